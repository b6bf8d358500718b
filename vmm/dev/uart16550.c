/*
 * A 16550A UART, after the National Semiconductor PC16550D datasheet.
 * Registers (DLAB = LCR bit 7):
 *   0  RBR (read) / THR (write); DLL when DLAB
 *   1  IER: 0 ERBFI received data, 1 ETBEI THR empty, 2 ELSI line status,
 *      3 EDSSI modem status; DLM when DLAB
 *   2  IIR (read): bit 0 = 1 when nothing is pending, bits 3:1 the source
 *      (011 line status > 010 received data / 110 character timeout >
 *      001 THR empty > 000 modem status), bits 7:6 = 11 in FIFO mode.
 *      FCR (write): 0 FIFO enable, 1 clear RX, 2 clear TX, 7:6 RX trigger
 *      level 1/4/8/14 bytes.
 *   3  LCR   4  MCR: 0 DTR, 1 RTS, 2 OUT1, 3 OUT2, 4 loopback
 *   5  LSR: 0 DR, 1 OE, 2 PE, 3 FE, 4 BI, 5 THRE, 6 TEMT, 7 RX FIFO error
 *   6  MSR: 0 DCTS, 1 DDSR, 2 TERI, 3 DDCD, 4 CTS, 5 DSR, 6 RI, 7 DCD
 *   7  SCR
 * In loopback the transmitter feeds the receiver, the line input is cut,
 * and the modem inputs read the outputs: CTS = RTS, DSR = DTR, RI = OUT1,
 * DCD = OUT2.  On a PC, MCR OUT2 enables the IRQ driver: the IRQ level here
 * is (an interrupt pending) AND MCR bit 3, in loopback too.
 *
 * Transmission is instantaneous: THR and the transmitter are always empty
 * (LSR THRE and TEMT set).  The THRE interrupt is pending after each THR
 * write (the byte left at once) and when ETBEI goes from 0 to 1 (as on
 * the chip, THR being empty); reading IIR while it is the reported source
 * clears it.  A driver that writes THR from its handler thus gets a new
 * THRE interrupt until it clears ETBEI, which Linux's 8250 driver does when
 * it has nothing left to send.  Received data: the character-timeout
 * source (IIR 0x0c) is reported at once for a FIFO holding fewer bytes
 * than the trigger level (no four-character delay).
 */
#include "vmm/dev/uart16550.h"
#include "vmm/dev/bus.h"
#include "vmm/vcpu.h"

#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define IER_ELSI 0x04
#define IER_EDSSI 0x08

#define IIR_NONE 0x01
#define IIR_MODEM 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO 0xc0

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

/* How many received bytes U can hold: the FIFO, or one holding register. */
static unsigned rx_capacity(const struct uart16550 *u)
{
	return u->fifo_on ? UART_RX_FIFO : 1;
}

/* Append byte B to U's receive FIFO; false when it is full. */
static bool rx_push(struct uart16550 *u, u8 b)
{
	if (u->rx_count >= rx_capacity(u))
		return false;
	u->rx[(u->rx_head + u->rx_count) % UART_RX_FIFO] = b;
	u->rx_count++;
	return true;
}

/* The highest-priority pending interrupt source of U, as IIR bits 3:0. */
static u8 uart_source(const struct uart16550 *u)
{
	if ((u->ier & IER_ELSI) && u->lsr_errors)
		return IIR_RLS;
	if ((u->ier & IER_ERBFI) && u->rx_count)
		return u->fifo_on && u->rx_count < u->rx_trigger ? IIR_TIMEOUT : IIR_RDA;
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && u->msr_delta)
		return IIR_MODEM;
	return IIR_NONE;
}

/* Report U's IRQ output through ops when it changed. */
static void uart_update_irq(struct uart16550 *u)
{
	bool level = uart_source(u) != IIR_NONE && (u->mcr & MCR_OUT2);
	if (level == u->irq_out)
		return;
	u->irq_out = level;
	if (u->ops && u->ops->irq)
		u->ops->irq(u->ctx, level);
}

/* MSR bits 7:4 of U: the outputs looped back, or a modem always ready
 * (DCD, DSR, CTS) on the outside line. */
static u8 uart_modem_lines(const struct uart16550 *u)
{
	if (!(u->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	return (u8)((u->mcr & MCR_RTS ? MSR_CTS : 0) | (u->mcr & MCR_DTR ? MSR_DSR : 0) |
		    (u->mcr & MCR_OUT1 ? MSR_RI : 0) | (u->mcr & MCR_OUT2 ? MSR_DCD : 0));
}

/* The guest wrote B to THR: out on the line, or into the receiver in
 * loopback (an overrun when it is full). */
static void uart_transmit(struct uart16550 *u, u8 b)
{
	if (u->mcr & MCR_LOOP) {
		if (!rx_push(u, b))
			u->lsr_errors |= LSR_OE;
	} else if (u->ops && u->ops->tx) {
		u->ops->tx(u->ctx, b);
	}
	u->thre_pending = true; /* the byte is gone: THR is empty again */
}

/* The guest wrote B to FCR. */
static void uart_write_fcr(struct uart16550 *u, u8 b)
{
	static const u8 trigger[4] = {1, 4, 8, 14};
	bool on = b & 0x01;
	if (on != u->fifo_on || (b & 0x02))
		u->rx_head = u->rx_count = 0; /* mode change or RX clear empties it */
	u->fifo_on = on;
	if (on)
		u->rx_trigger = trigger[b >> 6];
}

/* The guest wrote B to MCR: the modem inputs seen in loopback change, and
 * so do their delta bits. */
static void uart_write_mcr(struct uart16550 *u, u8 b)
{
	u8 before = uart_modem_lines(u);
	u->mcr = b & 0x1f;
	u8 after = uart_modem_lines(u), changed = before ^ after;
	if (changed & MSR_CTS)
		u->msr_delta |= 0x01;
	if (changed & MSR_DSR)
		u->msr_delta |= 0x02;
	if ((before & MSR_RI) && !(after & MSR_RI))
		u->msr_delta |= 0x04; /* trailing edge of RI */
	if (changed & MSR_DCD)
		u->msr_delta |= 0x08;
}

/* A read of register REG of U. */
static u8 uart_read(struct uart16550 *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	u8 v;
	switch (reg) {
	case 0:
		if (dlab)
			return u->dll;
		if (!u->rx_count)
			return 0;
		v = u->rx[u->rx_head];
		u->rx_head = (u8)((u->rx_head + 1) % UART_RX_FIFO);
		u->rx_count--;
		return v;
	case 1:
		return dlab ? u->dlm : u->ier;
	case 2:
		v = uart_source(u);
		if (v == IIR_THRE)
			u->thre_pending = false;
		return (u8)(v | (u->fifo_on ? IIR_FIFO : 0));
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		v = (u8)((u->rx_count ? LSR_DR : 0) | u->lsr_errors | LSR_THRE | LSR_TEMT);
		u->lsr_errors = 0;
		return v;
	case 6:
		v = uart_modem_lines(u) | u->msr_delta;
		u->msr_delta = 0;
		return v;
	default:
		return u->scr;
	}
}

/* A write of B to register REG of U. */
static void uart_write(struct uart16550 *u, unsigned reg, u8 b)
{
	bool dlab = u->lcr & LCR_DLAB;
	switch (reg) {
	case 0:
		if (dlab)
			u->dll = b;
		else
			uart_transmit(u, b);
		break;
	case 1:
		if (dlab) {
			u->dlm = b;
			break;
		}
		if (!(u->ier & IER_ETBEI) && (b & IER_ETBEI))
			u->thre_pending = true; /* THR is empty when enabled */
		u->ier = b & 0x0f;
		break;
	case 2:
		uart_write_fcr(u, b);
		break;
	case 3:
		u->lcr = b;
		break;
	case 4:
		uart_write_mcr(u, b);
		break;
	case 7:
		u->scr = b;
		break;
	default: /* LSR and MSR: factory test writes, ignored */
		break;
	}
}

void uart16550_init(struct uart16550 *u, const struct uart_ops *ops, void *ctx)
{
	*u = (struct uart16550){.ops = ops, .ctx = ctx, .rx_trigger = 1};
}

void uart16550_io(struct uart16550 *u, u16 reg, bool in, u32 *val)
{
	reg &= 7;
	if (in)
		*val = uart_read(u, reg);
	else
		uart_write(u, reg, (u8)*val);
	uart_update_irq(u);
}

size_t uart16550_rx_room(const struct uart16550 *u)
{
	if (u->mcr & MCR_LOOP)
		return 0;
	return rx_capacity(u) - u->rx_count;
}

size_t uart16550_input(struct uart16550 *u, const u8 *buf, size_t n)
{
	size_t taken = 0;
	if (u->mcr & MCR_LOOP)
		return 0;
	while (taken < n && rx_push(u, buf[taken]))
		taken++;
	uart_update_irq(u);
	return taken;
}

/* A UART on a guest's bus: the model plus what its bus handler needs. */
struct uart_port {
	struct uart16550 uart;        /* the model (first: uart16550_add returns it) */
	u16 base;                     /* first port */
	struct vcpu *writer;          /* the vCPU whose access is being handled */
	struct vcpu *line_vcpu;       /* the vCPU whose console line the bytes sent with
					 THRE interrupts enabled go to until a newline
					 (NULL: the next such byte begins a line) */
	const struct uart_ops *owner_ops; /* the ops given to uart16550_add */
	void *owner_ctx;              /* and their ctx */
};

/* IRQ output of the port at CTX: forwarded to its owner. */
static void port_irq(void *ctx, bool level)
{
	struct uart_port *p = ctx;
	if (p->owner_ops && p->owner_ops->irq)
		p->owner_ops->irq(p->owner_ctx, level);
}

/*
 * A byte the guest sent through the port at CTX: the owner's tx, else a
 * vCPU's console line.  A guest that polls LSR (THRE interrupts off) may
 * write from several vCPUs at once without a lock, so each byte goes to
 * the line of the vCPU that wrote it.  A guest that sends with THRE
 * interrupts on has one driver feeding one stream, from whichever CPU
 * takes the interrupt: Linux's 8250 driver fills the FIFO (16 bytes) from
 * the writer's CPU and sends the rest from the interrupt handler, which
 * may run on another.  Those bytes stay on the line of the vCPU that
 * began it, up to its newline, so one line of the guest is one line of
 * the log.
 */
static void port_tx(void *ctx, u8 byte)
{
	struct uart_port *p = ctx;
	if (p->owner_ops && p->owner_ops->tx) {
		p->owner_ops->tx(p->owner_ctx, byte);
		return;
	}
	struct vcpu *to = p->writer;
	if (p->uart.ier & IER_ETBEI) {
		if (p->line_vcpu)
			to = p->line_vcpu;
		p->line_vcpu = byte == '\n' ? NULL : to;
	}
	if (to)
		vcpu_console_write(to, (const char *)&byte, 1);
}

static const struct uart_ops port_ops = {.irq = port_irq, .tx = port_tx};

/* Bus handler: byte accesses of V to the port at OPAQUE. */
static void port_io(struct vcpu *v, void *opaque, u16 port, u8 size, bool in, u32 *val)
{
	struct uart_port *p = opaque;
	(void)size;
	p->writer = v;
	uart16550_io(&p->uart, port - p->base, in, val);
	p->writer = NULL;
}

static const struct dev_ops uart_dev_ops = {.name = "uart16550", .io = port_io};

struct uart16550 *uart16550_add(struct bus *b, u16 base, const struct uart_ops *ops, void *ctx)
{
	struct uart_port *p = bus_alloc(b, sizeof(*p));
	if (!p)
		return NULL;
	uart16550_init(&p->uart, &port_ops, p);
	p->base = base;
	p->owner_ops = ops;
	p->owner_ctx = ctx;
	if (bus_add_io(b, &uart_dev_ops, p, base, 8))
		return NULL;
	return &p->uart;
}
