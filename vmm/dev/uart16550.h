/*
 * A 16550A UART for a guest (vmm/dev/uart16550.c): the eight registers at
 * BASE..BASE+7, a 16-byte receive FIFO, interrupts on one ISA line.
 *
 * The model (uart16550_init/_io/_input) is pure: transmitted bytes and the
 * interrupt line leave through struct uart_ops; the caller serialises the
 * calls on one UART.  uart16550_add() puts a UART on a guest's bus.
 */
#ifndef PAGODA_DEV_UART16550_H
#define PAGODA_DEV_UART16550_H

#include "lib/types.h"

struct bus;

#define UART_RX_FIFO 16 /* receive FIFO depth of a 16550A */

struct uart_ops {
	/* The IRQ output changed to LEVEL (an interrupt pending and MCR OUT2
	 * set).  NULL: not wired. */
	void (*irq)(void *ctx, bool level);
	/* The guest transmitted BYTE (never called in loopback mode).  NULL:
	 * dropped (but see uart16550_add). */
	void (*tx)(void *ctx, u8 byte);
};

struct uart16550 {
	u8 ier;          /* interrupt enable register, bits 3:0 */
	u8 lcr;          /* line control register (bit 7 DLAB) */
	u8 mcr;          /* modem control register, bits 4:0 */
	u8 lsr_errors;   /* LSR error bits latched (OE), cleared by reading LSR */
	u8 msr_delta;    /* MSR bits 3:0 (delta CTS, DSR, trailing RI, DCD) */
	u8 scr;          /* scratch register */
	u8 dll, dlm;     /* divisor latch */
	bool fifo_on;    /* FCR bit 0: FIFO mode */
	u8 rx_trigger;   /* FCR bits 7:6 as a byte count: 1, 4, 8 or 14 */
	bool thre_pending; /* the THRE interrupt is pending (see uart16550.c) */
	u8 rx[UART_RX_FIFO]; /* received bytes, oldest at rx_head */
	u8 rx_head;      /* index of the oldest byte */
	u8 rx_count;     /* bytes held */
	bool irq_out;    /* the IRQ level last reported through ops */
	const struct uart_ops *ops; /* output and IRQ */
	void *ctx;       /* passed to ops */
};

/* Power-on state (nothing received, every interrupt disabled, FIFO off),
 * remembering OPS/CTX.  Nothing is reported through OPS. */
void uart16550_init(struct uart16550 *u, const struct uart_ops *ops, void *ctx);
/* One byte IN (fill *VAL) or OUT (consume *VAL) at register REG (0-7). */
void uart16550_io(struct uart16550 *u, u16 reg, bool in, u32 *val);
/* Receive up to N bytes of BUF from the line; returns how many fit in the
 * FIFO (the rest stays with the caller).  0 in loopback mode, where the
 * line is disconnected. */
size_t uart16550_input(struct uart16550 *u, const u8 *buf, size_t n);
/* Bytes uart16550_input() would accept now. */
size_t uart16550_rx_room(const struct uart16550 *u);
/* Put a UART at ports BASE..BASE+7 of bus B, its state in the bus arena.
 * OPS/CTX as for uart16550_init, except that a NULL OPS or ops->tx sends
 * the guest's bytes to the console of the vCPU that wrote them
 * (vcpu_console_write).  Returns the UART, or NULL (arena full, bus full,
 * ports taken). */
struct uart16550 *uart16550_add(struct bus *b, u16 base, const struct uart_ops *ops, void *ctx);

#endif
