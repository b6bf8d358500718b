/*
 * The 8259A pair of a PC, as the Intel 8259A datasheet (order 231468)
 * describes it.  Facts used below:
 *   - Even port write with D4=1: ICW1 (D0 IC4, D1 SNGL, D3 LTIM), followed
 *     on the odd port by ICW2 (vector bits 7:3), ICW3 unless SNGL, ICW4 if
 *     IC4 (D1 AEOI, D4 SFNM).  Initialisation clears IMR and ISR, gives IR7
 *     the lowest priority, clears special mask mode, selects IRR for reads
 *     and resets the edge-sense latches.
 *   - Odd port write after initialisation: OCW1, the IMR.
 *   - Even port write with D4=0, D3=0: OCW2, D7:5 = R SL EOI, D2:0 = level.
 *   - Even port write with D4=0, D3=1: OCW3, D6:5 = ESMM SMM, D2 = poll,
 *     D1:0 = RR RIS.
 *   - A request must still be there at INTA, else the chip answers with
 *     its IR7 vector and sets no ISR bit (the "default IR7").
 * The PC cascade: the slave's INT drives master IR2; on the INTA of IR2 the
 * slave supplies the vector.  The ELCR (ports 0x4d0/0x4d1, one bit per
 * IRQ, 1 = level) comes from the PIIX/ICH chipsets; IRQ 0, 1, 2, 8 and 13
 * are always edge.
 *
 * One liberty: an edge-triggered request stays latched in IRR when the
 * line falls again before INTA (as KVM and QEMU model it), so a device may
 * signal an edge as a pulse (line up, then down).  A level-triggered
 * request that falls before INTA gives the default IR7, as on the chip.
 */
#include "vmm/dev/pic8259.h"
#include "vmm/dev/bus.h"

#define PIC_CASCADE_IR 2 /* master input the slave's INT drives */

/* Priority rank (0 = highest) of the highest-priority IR set in MASK under
 * C's rotation, or 8 when MASK is empty. */
static unsigned chip_top_rank(const struct pic_chip *c, u8 mask)
{
	for (unsigned rank = 0; rank < 8; rank++)
		if (mask & BIT((rank + c->priority_base) & 7))
			return rank;
	return 8;
}

/* The IR whose rank under C's rotation is RANK (< 8). */
static unsigned chip_rank_ir(const struct pic_chip *c, unsigned rank)
{
	return (rank + c->priority_base) & 7;
}

/* True when IR of chip C is level triggered (ICW1 LTIM or its ELCR bit). */
static bool chip_level(const struct pic_chip *c, unsigned ir)
{
	return c->ltim || (c->elcr & BIT(ir));
}

/* The IR chip C would present at INTA now (an unmasked request of higher
 * priority than everything in service), or -1.  IS_MASTER: in special fully
 * nested mode the cascade IR's own ISR bit does not block the slave. */
static int chip_pending(const struct pic_chip *c, bool is_master)
{
	if (!c->ready || c->init_step)
		return -1;
	u8 req = c->irr & ~c->imr;
	unsigned req_rank = chip_top_rank(c, req);
	if (req_rank == 8)
		return -1;
	u8 busy = c->isr;
	if (c->special_mask)
		busy &= ~c->imr; /* masked IRs in service do not block (OCW3 SMM) */
	if (is_master && c->sfnm)
		busy &= ~BIT(PIC_CASCADE_IR);
	if (req_rank < chip_top_rank(c, busy))
		return (int)chip_rank_ir(c, req_rank);
	return -1;
}

/* Drive IR input IR of chip C to LEVEL: a rising edge latches IRR; a level
 * input also drops its request when it falls. */
static void chip_set_line(struct pic_chip *c, unsigned ir, bool level)
{
	u8 bit = (u8)BIT(ir);
	bool was = c->lines & bit;
	if (level) {
		c->lines |= bit;
		if (!was || chip_level(c, ir))
			c->irr |= bit;
	} else {
		c->lines &= ~bit;
		if (chip_level(c, ir))
			c->irr &= ~bit;
	}
}

/* Accept IR on chip C at INTA: an edge request leaves IRR (a level one
 * stays while the line is high), ISR records it unless in auto-EOI mode. */
static void chip_ack(struct pic_chip *c, unsigned ir)
{
	if (!chip_level(c, ir))
		c->irr &= ~BIT(ir);
	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->priority_base = (ir + 1) & 7;
	} else {
		c->isr |= BIT(ir);
	}
}

/* Feed the slave's INT into master IR2, then report the master's INTR when
 * it changed. */
static void pic_update(struct pic8259 *p)
{
	struct pic_chip *m = &p->chip[0];
	chip_set_line(m, PIC_CASCADE_IR, chip_pending(&p->chip[1], false) >= 0);
	bool intr = chip_pending(m, true) >= 0;
	if (intr != p->intr_out) {
		p->intr_out = intr;
		if (p->ops && p->ops->intr)
			p->ops->intr(p->ctx, intr);
	}
}

void pic_init(struct pic8259 *p, const struct pic_ops *ops, void *ctx)
{
	*p = (struct pic8259){.ops = ops, .ctx = ctx};
	p->chip[0].elcr_mask = 0xf8; /* IRQ 0, 1, 2 always edge */
	p->chip[1].elcr_mask = 0xde; /* IRQ 8 and 13 always edge */
}

void pic_set_irq(struct pic8259 *p, unsigned irq, bool level)
{
	if (irq >= 16)
		return;
	chip_set_line(&p->chip[irq >> 3], irq & 7, level);
	pic_update(p);
}

bool pic_intr(const struct pic8259 *p)
{
	return chip_pending(&p->chip[0], true) >= 0;
}

int pic_intack(struct pic8259 *p)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	if (!m->ready || m->init_step)
		return -1;
	int ir = chip_pending(m, true);
	int vector;
	if (ir < 0) {
		vector = m->vector_base + 7; /* default IR7: no ISR bit */
	} else {
		chip_ack(m, (unsigned)ir);
		if (ir == PIC_CASCADE_IR && !m->single) {
			int sir = chip_pending(s, false);
			if (sir >= 0) {
				chip_ack(s, (unsigned)sir);
				vector = s->vector_base + sir;
			} else {
				vector = s->vector_base + 7; /* slave's default IR7 */
			}
			/* The slave's INT falls during its INTA: a request still
			 * pending there raises a new edge on IR2. */
			m->lines &= ~BIT(PIC_CASCADE_IR);
		} else {
			vector = m->vector_base + ir;
		}
	}
	pic_update(p);
	return vector;
}

/* The poll command (OCW3 P=1) read of chip C: acknowledges the top request
 * as an INTA would and returns 0x80 | IR, or 0 when none (datasheet: "poll
 * word", I = bit 7, W2-W0 = bits 2:0). */
static u8 chip_poll(struct pic_chip *c, bool is_master)
{
	int ir = chip_pending(c, is_master);
	if (ir < 0)
		return 0;
	chip_ack(c, (unsigned)ir);
	return (u8)(0x80 | ir);
}

/* ICW1 to chip C: start the initialisation sequence. */
static void chip_icw1(struct pic_chip *c, u8 b)
{
	c->need_icw4 = b & 0x01;
	c->single = b & 0x02;
	c->ltim = b & 0x08;
	c->imr = 0;
	c->isr = 0;
	c->lines = 0;                /* edge-sense latches reset */
	c->irr &= c->ltim ? 0xff : c->elcr; /* only level requests survive */
	c->priority_base = 0;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_aeoi = false;
	if (!c->need_icw4)
		c->auto_eoi = c->sfnm = false; /* ICW4 functions cleared */
	c->init_step = 2;
}

/* OCW2 to chip C: the EOI and rotation commands (R SL EOI in bits 7:5). */
static void chip_ocw2(struct pic_chip *c, u8 b)
{
	unsigned level = b & 7;
	unsigned rank;
	switch (b >> 5) {
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		rank = chip_top_rank(c, c->isr);
		if (rank == 8)
			break;
		level = chip_rank_ir(c, rank);
		c->isr &= ~BIT(level);
		if (b >> 5 == 5)
			c->priority_base = (level + 1) & 7;
		break;
	case 3: /* specific EOI */
		c->isr &= ~BIT(level);
		break;
	case 7: /* rotate on specific EOI */
		c->isr &= ~BIT(level);
		c->priority_base = (level + 1) & 7;
		break;
	case 6: /* set priority: LEVEL becomes the lowest */
		c->priority_base = (level + 1) & 7;
		break;
	case 4: /* rotate in auto-EOI mode: set */
		c->rotate_aeoi = true;
		break;
	case 0: /* rotate in auto-EOI mode: clear */
		c->rotate_aeoi = false;
		break;
	default: /* 2: no operation */
		break;
	}
}

/* OCW3 to chip C: read-register select, poll, special mask mode. */
static void chip_ocw3(struct pic_chip *c, u8 b)
{
	if (b & 0x02)
		c->read_isr = b & 0x01;
	c->poll = b & 0x04;
	if (b & 0x40)
		c->special_mask = b & 0x20;
}

/* Write B to the odd port of chip C: the next ICW, or OCW1. */
static void chip_write_odd(struct pic_chip *c, u8 b)
{
	switch (c->init_step) {
	case 0:
		c->imr = b;
		return;
	case 2:
		c->vector_base = b & 0xf8;
		c->init_step = c->single ? (c->need_icw4 ? 4 : 0) : 3;
		break;
	case 3:
		c->icw3 = b;
		c->init_step = c->need_icw4 ? 4 : 0;
		break;
	default: /* 4 */
		c->auto_eoi = b & 0x02;
		c->sfnm = b & 0x10;
		c->init_step = 0;
		break;
	}
	if (!c->init_step)
		c->ready = true; /* the last ICW */
}

void pic_io(struct pic8259 *p, u16 port, bool in, u32 *val)
{
	if (port == 0x4d0 || port == 0x4d1) {
		struct pic_chip *c = &p->chip[port & 1];
		if (in) {
			*val = c->elcr;
		} else {
			c->elcr = (u8)*val & c->elcr_mask;
			/* A line now level triggered requests while it is high. */
			c->irr = (u8)((c->irr & ~c->elcr) | (c->lines & c->elcr));
			pic_update(p);
		}
		return;
	}
	if ((port & ~0x81) != 0x20) { /* not 0x20, 0x21, 0xa0, 0xa1 */
		if (in)
			*val = 0xff;
		return;
	}
	bool slave = port & 0x80, odd = port & 1;
	struct pic_chip *c = &p->chip[slave];
	if (in) {
		if (odd)
			*val = c->imr;
		else if (c->poll) {
			c->poll = false;
			*val = chip_poll(c, !slave);
			pic_update(p);
		} else
			*val = c->read_isr ? c->isr : c->irr;
		return;
	}
	u8 b = (u8)*val;
	if (odd)
		chip_write_odd(c, b);
	else if (b & 0x10)
		chip_icw1(c, b);
	else if (b & 0x08)
		chip_ocw3(c, b);
	else
		chip_ocw2(c, b);
	pic_update(p);
}

/* Bus handler: byte accesses of any vCPU to the pair at OPAQUE. */
static void pic_bus_io(struct vcpu *v, void *opaque, u16 port, u8 size, bool in, u32 *val)
{
	(void)v;
	(void)size;
	pic_io(opaque, port, in, val);
	if (in)
		*val &= 0xff;
}

static const struct dev_ops pic_dev_ops = {.name = "pic8259", .io = pic_bus_io};

int pic_add(struct bus *b, struct pic8259 *p)
{
	int r = bus_add_io(b, &pic_dev_ops, p, 0x20, 2);
	if (!r)
		r = bus_add_io(b, &pic_dev_ops, p, 0xa0, 2);
	if (!r)
		r = bus_add_io(b, &pic_dev_ops, p, 0x4d0, 2);
	return r;
}
