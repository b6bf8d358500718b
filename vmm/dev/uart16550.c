/*
 * A virtual 16550, enough for a polled driver: the transmitter is always
 * ready (LSR = THRE | TEMT), nothing is ever received, no interrupt is
 * raised (IIR = 1).  What the guest transmits goes to its console output
 * (vcpu_console_write), line by line.
 */
#include "vmm/dev/uart16550.h"
#include "vmm/dev/bus.h"
#include "vmm/vcpu.h"

#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

/* Register state: only what a polled guest driver reads back. */
struct uart16550 {
	u16 base;                            /* first port */
	u8 lcr, ier, mcr, scratch, dll, dlm; /* as last written */
};

static void uart_io(struct vcpu *v, void *opaque, u16 port, u8 size, bool in, u32 *val)
{
	struct uart16550 *u = opaque;
	unsigned reg = port - u->base;
	bool dlab = u->lcr & 0x80;
	(void)size;
	if (!in) {
		u8 b = (u8)*val;
		switch (reg) {
		case 0:
			if (dlab)
				u->dll = b;
			else
				vcpu_console_write(v, (const char *)&b, 1);
			break;
		case 1:
			if (dlab)
				u->dlm = b;
			else
				u->ier = b & 0x0f;
			break;
		case 3: u->lcr = b; break;
		case 4: u->mcr = b; break;
		case 7: u->scratch = b; break;
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

static const struct dev_ops uart_ops = {.name = "uart16550", .io = uart_io};

int uart16550_add(struct bus *b, u16 base)
{
	struct uart16550 *u = bus_alloc(b, sizeof(*u));
	if (!u)
		return -E_NOMEM;
	u->base = base;
	return bus_add_io(b, &uart_ops, u, base, 8);
}
