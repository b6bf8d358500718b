/*
 * A virtual 16550 at 0x3f8-0x3ff, enough for a polled driver: the
 * transmitter is always ready (LSR = THRE | TEMT), nothing is ever
 * received, no interrupt is raised (IIR = 1).  Guest output is collected
 * per line (and per vCPU) and written to the console as one log line
 * prefixed with the guest's name: "[   1.234567] guest demo: hello", or
 * "guest demo/2: ..." for vCPU 2.
 */
#include "vmm/devices.h"
#include "vmm/guest.h"
#include "lib/log.h"
#include "lib/string.h"

#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

/* Emit the line V's UART output has gathered, prefixed with the guest's
 * name (and the vCPU's number for vCPUs other than 0). */
static void vuart_flush_vcpu(struct vcpu *v)
{
	if (!v->uart_len)
		return;
	char sub[GUEST_NAME_MAX + 16];
	if (v->id)
		snprintf(sub, sizeof(sub), "guest %s/%u", v->guest->name, v->id);
	else
		snprintf(sub, sizeof(sub), "guest %s", v->guest->name);
	log_msg(sub, "%.*s", (int)v->uart_len, v->uart_line);
	v->uart_len = 0;
}

void vuart_flush(struct guest *g)
{
	for (unsigned i = 0; i < g->nr_vcpus; i++)
		vuart_flush_vcpu(&g->vcpus[i]);
}

void vuart_write_bytes(struct guest *g, const char *s, size_t n)
{
	struct vcpu *v = g->cur ? g->cur : &g->vcpus[0];
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\n') {
			if (!v->uart_len)
				v->uart_line[v->uart_len++] = ' ';
			vuart_flush_vcpu(v);
			continue;
		}
		if (c == '\r')
			continue;
		/* Keep the console readable: non-printing bytes become '.' */
		if ((u8)c < 0x20 || (u8)c >= 0x7f)
			c = '.';
		v->uart_line[v->uart_len++] = c;
		if (v->uart_len == UART_LINE_MAX)
			vuart_flush_vcpu(v);
	}
}

static void uart_io(struct guest *g, u16 port, u8 size, bool in, u32 *val)
{
	struct vuart *u = &g->uart;
	unsigned reg = port - 0x3f8;
	bool dlab = u->lcr & 0x80;
	(void)size;
	if (!in) {
		u8 v = (u8)*val;
		switch (reg) {
		case 0:
			if (dlab)
				u->dll = v;
			else
				vuart_write_bytes(g, (const char *)&v, 1);
			break;
		case 1:
			if (dlab)
				u->dlm = v;
			else
				u->ier = v & 0x0f;
			break;
		case 3: u->lcr = v; break;
		case 4: u->mcr = v; break;
		case 7: u->scratch = v; break;
		default: break; /* FCR and read-only registers */
		}
		return;
	}
	switch (reg) {
	case 0: *val = dlab ? u->dll : 0; break;          /* nothing received */
	case 1: *val = dlab ? u->dlm : u->ier; break;
	case 2: *val = 0x01; break;                         /* IIR: no interrupt pending */
	case 3: *val = u->lcr; break;
	case 4: *val = u->mcr; break;
	case 5: *val = UART_LSR_THRE | UART_LSR_TEMT; break; /* always ready to send */
	case 6: *val = 0xb0; break;                         /* MSR: DCD, DSR, CTS */
	case 7: *val = u->scratch; break;
	}
}

/* isa-debug-exit compatible: writing V ends the guest with (V << 1) | 1. */
static void debug_exit_io(struct guest *g, u16 port, u8 size, bool in, u32 *val)
{
	(void)port;
	(void)size;
	if (in) {
		*val = 0xffffffff;
		return;
	}
	guest_exit(g, (int)((*val << 1) | 1));
}

static const struct io_device uart_dev = {"uart16550", 0x3f8, 8, uart_io};
static const struct io_device debug_exit_dev = {"debug-exit", 0xf4, 1, debug_exit_io};

void devices_init(struct guest *g)
{
	struct device_table *t = &g->devices;
	memset(t, 0, sizeof(*t));
	t->io[t->nr_io++] = &uart_dev;
	t->io[t->nr_io++] = &debug_exit_dev;
}

bool devices_io(struct guest *g, u16 port, u8 size, bool in, u32 *val)
{
	struct device_table *t = &g->devices;
	for (unsigned i = 0; i < t->nr_io; i++) {
		const struct io_device *d = t->io[i];
		if (port >= d->base && port < d->base + d->count) {
			d->io(g, port, size, in, val);
			return true;
		}
	}
	if (in)
		*val = 0xffffffff;
	return false;
}

const struct mmio_device *devices_find_mmio(struct guest *g, u64 gpa)
{
	struct device_table *t = &g->devices;
	for (unsigned i = 0; i < t->nr_mmio; i++) {
		const struct mmio_device *d = t->mmio[i];
		if (gpa >= d->base && gpa - d->base < d->size)
			return d;
	}
	return NULL;
}
