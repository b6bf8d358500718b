/*
 * Host test of vmm/dev/pic8259.c: the ICW sequence, masking, priorities
 * and rotation, the EOI kinds, the cascade, ELCR and edge vs level
 * triggering, spurious IR7/IR15, the poll command and special mask mode,
 * the INTR callback, and the bus rows of pic_add().
 */
#include <stdlib.h>
#include <string.h>

#include "tests/host/tap.h"
#include "vmm/dev/bus.h"
#include "vmm/dev/pic8259.h"

/* Stand-in for the bus: records the rows pic_add() asks for. */
static u16 row_base[8], row_count[8];
static unsigned nr_rows;

int bus_add_io(struct bus *b, const struct dev_ops *ops, void *opaque, u16 base, u16 count)
{
	(void)b;
	(void)ops;
	(void)opaque;
	row_base[nr_rows] = base;
	row_count[nr_rows++] = count;
	return 0;
}

/* The INTR output as reported, and how many reports came. */
static bool intr_level;
static int intr_calls;

static void on_intr(void *ctx, bool level)
{
	*(int *)ctx += 1;
	intr_level = level;
}

static const struct pic_ops ops = {.intr = on_intr};

static void out(struct pic8259 *p, u16 port, u8 v)
{
	u32 val = v;
	pic_io(p, port, false, &val);
}

static u8 in(struct pic8259 *p, u16 port)
{
	u32 val = 0xdead;
	pic_io(p, port, true, &val);
	return (u8)val;
}

/* The init sequence Linux and most BIOSes use: vectors 0x20 and 0x28,
 * cascade on IR2, 8086 mode, ICW4 byte ICW4, nothing masked. */
static void pic_setup(struct pic8259 *p, u8 icw4)
{
	intr_calls = 0;
	intr_level = false;
	pic_init(p, &ops, &intr_calls);
	out(p, 0x20, 0x11);
	out(p, 0x21, 0x20);
	out(p, 0x21, 0x04);
	out(p, 0x21, icw4);
	out(p, 0xa0, 0x11);
	out(p, 0xa1, 0x28);
	out(p, 0xa1, 0x02);
	out(p, 0xa1, icw4);
}

static u8 isr(struct pic8259 *p, u16 port)
{
	out(p, port, 0x0b);
	return in(p, port);
}

static u8 irr(struct pic8259 *p, u16 port)
{
	out(p, port, 0x0a);
	return in(p, port);
}

static void pulse(struct pic8259 *p, unsigned irq)
{
	pic_set_irq(p, irq, true);
	pic_set_irq(p, irq, false);
}

static void test_init(void)
{
	struct pic8259 p;
	pic_init(&p, &ops, &intr_calls);
	intr_calls = 0;
	pulse(&p, 0);
	ok(!pic_intr(&p) && pic_intack(&p) == -1 && intr_calls == 0,
	   "before ICW1 nothing is delivered, INTA gives -1");
	out(&p, 0x21, 0xfb);
	out(&p, 0xa1, 0xff);
	ok(in(&p, 0x21) == 0xfb && in(&p, 0xa1) == 0xff,
	   "before ICW1 the IMR is writable (Linux's probe_8259A)");
	ok(!pic_intr(&p) && pic_intack(&p) == -1, "and that does not initialise the chip");
	pic_setup(&p, 0x01);
	is_u64(in(&p, 0x21), 0, "after the ICWs the IMR is clear");
	out(&p, 0x21, 0xa5);
	is_u64(in(&p, 0x21), 0xa5, "OCW1 sets the IMR, read back on the odd port");
	out(&p, 0xa1, 0x5a);
	is_u64(in(&p, 0xa1), 0x5a, "slave IMR likewise");
	/* A single-chip init without ICW4: ICW2 then straight to OCW1. */
	out(&p, 0x20, 0x12);
	out(&p, 0x21, 0x40);
	out(&p, 0x21, 0xfe);
	is_u64(in(&p, 0x21), 0xfe, "SNGL without IC4: the third byte is OCW1");
	pic_set_irq(&p, 0, true);
	is_u64(pic_intack(&p), 0x40, "and the vector base is ICW2's");
}

static void test_basic_delivery(void)
{
	struct pic8259 p;
	pic_setup(&p, 0x01);
	ok(!pic_intr(&p) && intr_calls == 0, "idle: INTR low, no callback");
	pulse(&p, 0);
	ok(pic_intr(&p) && intr_level && intr_calls == 1, "IRQ0 pulse raises INTR once");
	is_u64(irr(&p, 0x20), 0x01, "IRR shows the latched edge");
	is_u64(pic_intack(&p), 0x20, "INTA returns base + 0");
	ok(!pic_intr(&p) && !intr_level && intr_calls == 2, "INTR falls after INTA");
	is_u64(isr(&p, 0x20), 0x01, "ISR bit 0 set");
	is_u64(irr(&p, 0x20), 0x00, "edge request left IRR");
	pulse(&p, 0);
	ok(!pic_intr(&p), "a new IRQ0 waits while IRQ0 is in service");
	out(&p, 0x20, 0x20);
	is_u64(isr(&p, 0x20) & 1, 0, "non-specific EOI clears ISR");
	ok(pic_intr(&p), "then the waiting IRQ0 raises INTR");
}

static void test_mask_priority_eoi(void)
{
	struct pic8259 p;
	pic_setup(&p, 0x01);
	out(&p, 0x21, 0x01);
	pulse(&p, 0);
	ok(!pic_intr(&p), "a masked request does not raise INTR");
	is_u64(irr(&p, 0x20), 0x01, "but is latched in IRR");
	out(&p, 0x21, 0x00);
	ok(pic_intr(&p), "unmasking delivers it");
	is_u64(pic_intack(&p), 0x20, "vector 0x20");
	out(&p, 0x20, 0x20);

	pulse(&p, 3);
	pulse(&p, 1);
	is_u64(pic_intack(&p), 0x21, "IRQ1 beats IRQ3");
	ok(!pic_intr(&p), "IRQ3 is blocked by IRQ1 in service");
	pulse(&p, 0);
	ok(pic_intr(&p), "IRQ0 nests above IRQ1");
	is_u64(pic_intack(&p), 0x20, "vector 0x20");
	is_u64(isr(&p, 0x20), 0x03, "ISR holds IRQ0 and IRQ1");
	out(&p, 0x20, 0x20);
	is_u64(isr(&p, 0x20), 0x02, "non-specific EOI clears the highest (IRQ0)");
	out(&p, 0x20, 0x61);
	is_u64(isr(&p, 0x20), 0x00, "specific EOI 1 clears IRQ1");
	is_u64(pic_intack(&p), 0x23, "then IRQ3");
	out(&p, 0x20, 0x63);
	is_u64(isr(&p, 0x20), 0, "specific EOI 3");
}

static void test_rotation(void)
{
	struct pic8259 p;
	pic_setup(&p, 0x01);
	out(&p, 0x20, 0xc3); /* set priority: IR3 lowest, IR4 highest */
	pulse(&p, 1);
	pulse(&p, 5);
	is_u64(pic_intack(&p), 0x25, "after set-priority 3, IR5 beats IR1");
	out(&p, 0x20, 0xa0); /* rotate on non-specific EOI: IR5 lowest */
	is_u64(isr(&p, 0x20), 0, "rotate-on-EOI clears the ISR bit");
	pulse(&p, 5);
	is_u64(pic_intack(&p), 0x21, "after rotation IR1 beats IR5");
	out(&p, 0x20, 0xe1); /* rotate on specific EOI 1 */
	is_u64(isr(&p, 0x20), 0, "rotate on specific EOI clears IR1");
	pulse(&p, 0);
	is_u64(pic_intack(&p), 0x25, "IR1 lowest now: IR5 (pending) beats IR0");
}

static void test_cascade(void)
{
	struct pic8259 p;
	pic_setup(&p, 0x01);
	pulse(&p, 10);
	ok(pic_intr(&p), "slave IRQ10 raises the master's INTR");
	is_u64(pic_intack(&p), 0x2a, "INTA gives the slave's vector 0x2a");
	is_u64(isr(&p, 0x20), 0x04, "master ISR: IR2");
	is_u64(isr(&p, 0xa0), 0x04, "slave ISR: IR2");
	pulse(&p, 9);
	pulse(&p, 12);
	ok(!pic_intr(&p), "more slave requests wait for the slave's EOI");
	out(&p, 0xa0, 0x20);
	ok(!pic_intr(&p), "and for the master's (IR2 still in service)");
	out(&p, 0x20, 0x20);
	ok(pic_intr(&p), "after both EOIs INTR rises again");
	is_u64(pic_intack(&p), 0x29, "IRQ9 first");
	out(&p, 0xa0, 0x20);
	out(&p, 0x20, 0x20);
	ok(pic_intr(&p), "IRQ12 still pending raises a new IR2 edge");
	is_u64(pic_intack(&p), 0x2c, "then IRQ12");
	out(&p, 0xa0, 0x20);
	out(&p, 0x20, 0x20);
	ok(!pic_intr(&p), "all served");
	out(&p, 0xa1, 0x01);
	pulse(&p, 8);
	ok(!pic_intr(&p), "IRQ8 masked at the slave does not reach the master");
	pulse(&p, 0);
	is_u64(pic_intack(&p), 0x20, "master IRQ0 still works");
	out(&p, 0x20, 0x20);
	out(&p, 0x21, 0x04);
	out(&p, 0xa1, 0x00);
	ok(!pic_intr(&p), "IRQ8 unmasked at the slave, IR2 masked at the master: hidden");
	out(&p, 0x21, 0x00);
	is_u64(pic_intack(&p), 0x28, "IRQ8 once both are unmasked");
}

static void test_auto_eoi(void)
{
	struct pic8259 p;
	pic_setup(&p, 0x03);
	pulse(&p, 4);
	is_u64(pic_intack(&p), 0x24, "auto-EOI: vector 0x24");
	is_u64(isr(&p, 0x20), 0, "auto-EOI: no ISR bit");
	pulse(&p, 6);
	ok(pic_intr(&p), "auto-EOI: a lower request is not blocked");
	pulse(&p, 11);
	is_u64(pic_intack(&p), 0x2b, "slave in auto-EOI: 0x2b");
	ok(isr(&p, 0x20) == 0 && isr(&p, 0xa0) == 0, "neither ISR set");
	pulse(&p, 9);
	pulse(&p, 12);
	is_u64(pic_intack(&p), 0x29, "auto-EOI cascade: IRQ9 first");
	ok(pic_intr(&p), "the slave's INT fell during INTA: IRQ12 gives a new IR2 edge");
	is_u64(pic_intack(&p), 0x2c, "then IRQ12");
	is_u64(pic_intack(&p), 0x26, "then the IRQ6 left from before");
	ok(!pic_intr(&p), "nothing left");
}

static void test_elcr_level(void)
{
	struct pic8259 p;
	pic_setup(&p, 0x01);
	out(&p, 0x4d0, 0xff);
	is_u64(in(&p, 0x4d0), 0xf8, "ELCR1: IRQ 0, 1, 2 stay edge");
	out(&p, 0x4d1, 0xff);
	is_u64(in(&p, 0x4d1), 0xde, "ELCR2: IRQ 8 and 13 stay edge");
	out(&p, 0x4d0, 0x20);
	out(&p, 0x4d1, 0x00);
	pic_set_irq(&p, 5, true);
	is_u64(pic_intack(&p), 0x25, "level IRQ5 delivered");
	is_u64(irr(&p, 0x20), 0x20, "level request stays in IRR while the line is high");
	out(&p, 0x20, 0x20);
	ok(pic_intr(&p), "still high after EOI: delivered again");
	pic_set_irq(&p, 5, false);
	ok(!pic_intr(&p), "the line falls: INTR falls, nothing latched");
	is_u64(irr(&p, 0x20), 0, "IRR follows the level line");
	/* Edge line held high: one interrupt only. */
	pic_set_irq(&p, 4, true);
	is_u64(pic_intack(&p), 0x24, "edge IRQ4 delivered");
	out(&p, 0x20, 0x20);
	ok(!pic_intr(&p), "edge line held high: no second interrupt");
	pic_set_irq(&p, 4, false);
	pic_set_irq(&p, 4, true);
	ok(pic_intr(&p), "a new rising edge: delivered again");
	/* ICW1 LTIM makes every input level triggered. */
	pic_setup(&p, 0x01);
	out(&p, 0x20, 0x19);
	out(&p, 0x21, 0x20);
	out(&p, 0x21, 0x04);
	out(&p, 0x21, 0x01);
	pic_set_irq(&p, 3, true);
	pic_set_irq(&p, 3, false);
	ok(!pic_intr(&p), "LTIM: a pulse gone before INTA is not latched");
}

static void test_spurious(void)
{
	struct pic8259 p;
	pic_setup(&p, 0x01);
	out(&p, 0x4d0, 0x20);
	pic_set_irq(&p, 5, true);
	ok(pic_intr(&p), "level IRQ5 raises INTR");
	pic_set_irq(&p, 5, false);
	is_u64(pic_intack(&p), 0x27, "request gone before INTA: master IR7 vector");
	is_u64(isr(&p, 0x20), 0, "spurious IR7 sets no ISR bit");
	/* Slave: IR2 was latched (edge) at the master, the slave request is
	 * gone by INTA. */
	out(&p, 0x4d0, 0x00);
	out(&p, 0x4d1, 0x08);
	pic_set_irq(&p, 11, true);
	pic_set_irq(&p, 11, false);
	ok(pic_intr(&p), "master IR2 edge stays latched");
	is_u64(pic_intack(&p), 0x2f, "slave request gone: slave IR7 vector (IRQ15)");
	is_u64(isr(&p, 0x20), 0x04, "master ISR has IR2 (the OS EOIs the master)");
	is_u64(isr(&p, 0xa0), 0, "slave ISR empty");
}

static void test_poll_smm(void)
{
	struct pic8259 p;
	pic_setup(&p, 0x01);
	out(&p, 0x20, 0x0c);
	is_u64(in(&p, 0x20), 0x00, "poll with nothing pending: 0");
	pulse(&p, 6);
	out(&p, 0x20, 0x0c);
	is_u64(in(&p, 0x20), 0x86, "poll word: 0x80 | 6");
	is_u64(isr(&p, 0x20), 0x40, "poll acknowledges IR6");
	ok(!pic_intr(&p), "and drops INTR");
	out(&p, 0x20, 0x20);
	/* Special mask mode: IR3 in service and masked lets IR5 through. */
	pulse(&p, 3);
	is_u64(pic_intack(&p), 0x23, "IR3 in service");
	pulse(&p, 5);
	ok(!pic_intr(&p), "IR5 blocked by IR3 in service");
	out(&p, 0x21, 0x08);
	out(&p, 0x20, 0x68);
	ok(pic_intr(&p), "special mask mode + IR3 masked: IR5 passes");
	is_u64(pic_intack(&p), 0x25, "vector 0x25");
	out(&p, 0x20, 0x48);
	out(&p, 0x20, 0x65);
	out(&p, 0x20, 0x63);
	is_u64(isr(&p, 0x20), 0, "specific EOIs clear both");
}

static void test_sfnm_rotate_aeoi(void)
{
	struct pic8259 p;
	pic_setup(&p, 0x01);
	out(&p, 0x20, 0x11);
	out(&p, 0x21, 0x20);
	out(&p, 0x21, 0x04);
	out(&p, 0x21, 0x11); /* master: 8086 mode, special fully nested */
	pulse(&p, 10);
	is_u64(pic_intack(&p), 0x2a, "SFNM: IRQ10 in service");
	pulse(&p, 9);
	ok(pic_intr(&p), "SFNM: a higher slave request passes IR2 in service");
	is_u64(pic_intack(&p), 0x29, "vector 0x29, nested");
	pulse(&p, 11);
	ok(!pic_intr(&p), "a lower slave request still waits");
	pic_setup(&p, 0x01); /* plain nesting for comparison */
	pulse(&p, 10);
	pic_intack(&p);
	pulse(&p, 9);
	ok(!pic_intr(&p), "without SFNM IR2 in service blocks the slave");

	pic_setup(&p, 0x03);
	out(&p, 0x20, 0x80); /* rotate in auto-EOI mode: set */
	pulse(&p, 1);
	is_u64(pic_intack(&p), 0x21, "rotate-AEOI: IR1");
	pulse(&p, 0);
	pulse(&p, 3);
	is_u64(pic_intack(&p), 0x23, "IR1 became lowest: IR3 beats IR0");
	is_u64(pic_intack(&p), 0x20, "then IR0 (IR3 now lowest)");
	out(&p, 0x20, 0x00); /* rotate in auto-EOI mode: clear */
	pulse(&p, 7);
	pulse(&p, 0);
	is_u64(pic_intack(&p), 0x27, "IR0 lowest after the last rotation: IR7 beats IR0");
	pulse(&p, 7);
	is_u64(pic_intack(&p), 0x27, "rotation cleared: IR7 again (no rotation on its INTA)");
	is_u64(pic_intack(&p), 0x20, "then IR0");
}

static void test_add(void)
{
	struct pic8259 p;
	pic_init(&p, NULL, NULL);
	nr_rows = 0;
	is_u64(pic_add(NULL, &p), 0, "pic_add succeeds");
	ok(nr_rows == 3 && row_base[0] == 0x20 && row_count[0] == 2 && row_base[1] == 0xa0 &&
		   row_count[1] == 2 && row_base[2] == 0x4d0 && row_count[2] == 2,
	   "rows 0x20/2, 0xa0/2, 0x4d0/2");
	pulse(&p, 1); /* NULL ops: no crash */
	ok(!pic_intr(&p), "uninitialised pair with NULL ops stays quiet");
}

int main(void)
{
	test_init();
	test_basic_delivery();
	test_mask_priority_eoi();
	test_rotation();
	test_cascade();
	test_auto_eoi();
	test_elcr_level();
	test_spurious();
	test_poll_smm();
	test_sfnm_rotate_aeoi();
	test_add();
	return tap_done();
}
