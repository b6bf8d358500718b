/*
 * The PC's pair of 8259A programmable interrupt controllers (master at
 * ports 0x20/0x21, slave at 0xa0/0xa1 cascaded on master IR2) and the
 * edge/level control registers at 0x4d0/0x4d1 (vmm/dev/pic8259.c).
 *
 * A pure model: no vCPU, no globals.  The owner drives the sixteen ISA
 * request lines with pic_set_irq(), watches the master's INTR output
 * through pic_ops.intr, and runs the INTA cycle with pic_intack() when it
 * injects the interrupt.  The caller serialises every call on one pair.
 */
#ifndef PAGODA_DEV_PIC8259_H
#define PAGODA_DEV_PIC8259_H

#include "lib/types.h"

struct bus;

struct pic_ops {
	/* The master's INTR output changed to LEVEL. */
	void (*intr)(void *ctx, bool level);
};

/* One 8259A. */
struct pic_chip {
	u8 irr;           /* interrupt request register: requests latched */
	u8 isr;           /* in-service register: acknowledged, not yet EOIed */
	u8 imr;           /* interrupt mask register (OCW1) */
	u8 lines;         /* the current level of each IR input */
	u8 elcr;          /* edge (0) / level (1) per IR, from port 0x4d0/0x4d1 */
	u8 elcr_mask;     /* the ELCR bits that may be set (the rest stay edge) */
	u8 vector_base;   /* ICW2 bits 7:3: the vector of IR0 */
	u8 priority_base; /* the IR of highest priority (0 until rotated) */
	u8 init_step;     /* 0: none under way; 2, 3, 4: the ICW expected next */
	bool ready;       /* an ICW sequence has completed since power-on */
	bool need_icw4;   /* ICW1 IC4: an ICW4 follows */
	bool single;      /* ICW1 SNGL: no cascade, so no ICW3 */
	bool ltim;        /* ICW1 LTIM: every IR is level triggered */
	bool auto_eoi;    /* ICW4 AEOI: the INTA cycle clears the ISR bit */
	bool sfnm;        /* ICW4 SFNM: special fully nested mode (master) */
	bool rotate_aeoi; /* OCW2 R/SL/EOI = 100: rotate in auto-EOI mode */
	bool read_isr;    /* OCW3 RR/RIS: an even-port read returns ISR, else IRR */
	bool poll;        /* OCW3 P: the next even-port read is a poll */
	bool special_mask; /* OCW3 ESMM/SMM: special mask mode */
	u8 icw3;          /* ICW3 as written (master: slave map; slave: its ID) */
};

/* The master/slave pair of a PC. */
struct pic8259 {
	struct pic_chip chip[2];   /* [0] master, [1] slave */
	const struct pic_ops *ops; /* the INTR output */
	void *ctx;                 /* passed to ops */
	bool intr_out;             /* INTR as last reported through ops */
};

/* Reset the pair to its power-on state (nothing requested or in service,
 * IMR 0, vector base 0, every line edge triggered, not yet initialised:
 * OCW1 works, nothing is delivered until ICW1-ICW4 have been written) and
 * remember OPS/CTX.  Nothing is reported through OPS. */
void pic_init(struct pic8259 *p, const struct pic_ops *ops, void *ctx);
/* ISA request line IRQ (0-15) is now at LEVEL.  Edge-triggered lines latch
 * a request on a rising edge; level-triggered ones follow the line. */
void pic_set_irq(struct pic8259 *p, unsigned irq, bool level);
/* The master's INTR output now. */
bool pic_intr(const struct pic8259 *p);
/* The INTA cycle: returns the vector to deliver and moves the request to
 * the ISR (unless auto-EOI); a spurious IR7 vector of the master (or of the
 * slave, through master IR2) when the request has gone.  -1 while the
 * master has not been through its ICW sequence. */
int pic_intack(struct pic8259 *p);
/* One byte IN (fill *VAL) or OUT (consume *VAL) at PORT: 0x20, 0x21, 0xa0,
 * 0xa1, 0x4d0, 0x4d1.  Other ports read 0xff. */
void pic_io(struct pic8259 *p, u16 port, bool in, u32 *val);
/* Put P's ports on bus B.  0, or negative from bus_add_io. */
int pic_add(struct bus *b, struct pic8259 *p);

#endif
