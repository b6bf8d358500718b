/*
 * The I/O APIC as an OS programs it (82093AA datasheet, 3.1 and 3.2):
 *  - the version register says at least 24 redirection entries;
 *  - a redirection entry reads back what was written (vector, trigger
 *    mode, mask, destination), delivery status and remote IRR idle;
 *  - the 8254 PIT's IRQ 0, routed through pin 2 (the usual ISA IRQ 0 ->
 *    GSI 2 override of a PC) as an edge-triggered fixed interrupt to our
 *    APIC ID, arrives repeatedly;
 *  - masking pin 2 stops it.
 * The 8259s stay fully masked so the PIT reaches the CPU only this way.
 */
#include "guest/lib/guest.h"
#include "guest/lib/intr.h"

const char guest_name[] = "ioapic";

#define VEC_PIT 0x60
#define PIT_PIN 2
#define PIT_DIVISOR 11932 /* 1.193182 MHz / 11932: about 100 Hz (slow enough that
                            * a slow emulator handles each tick before the next) */

static volatile unsigned pit_hits;

static void on_pit(struct exc_frame *f)
{
	(void)f;
	pit_hits++;
	lapic_eoi();
}

/* Sleep with HLT until the PIT handler ran WANT times, or LIMIT TSC
 * cycles went by. */
static bool wait_hits(unsigned want, u64 limit)
{
	u64 t0 = rdtsc();
	while (pit_hits < want && rdtsc() - t0 < limit) {
		sti_hlt();
		cli();
	}
	return pit_hits >= want;
}

/* 8254 channel 0, lobyte/hibyte, mode 2 (rate generator): control word
 * 0x34 at port 0x43, then the divisor at port 0x40. */
static void pit_start(u16 divisor)
{
	outb(0x43, 0x34);
	outb(0x40, (u8)divisor);
	outb(0x40, (u8)(divisor >> 8));
}

static void test_registers(void)
{
	u32 ver = ioapic_read(1);
	diag("I/O APIC version register 0x%x", ver);
	expect(((ver >> 16) & 0xff) >= 23, "at least 24 redirection entries");
	ioapic_write(0x11 + 2 * 10, 0x5a000000);
	ioapic_write(0x10 + 2 * 10, (1u << 16) | (1u << 15) | 0x77);
	expect_eq(ioapic_read(0x10 + 2 * 10), (1u << 16) | (1u << 15) | 0x77,
		  "entry 10 low reads back: masked, level, vector 0x77");
	expect_eq(ioapic_read(0x11 + 2 * 10) >> 24, 0x5a, "entry 10 destination reads back");
	ioapic_write(0x10 + 2 * 10, 1u << 16);
	ioapic_write(0x11 + 2 * 10, 0);
}

static void test_pit(void)
{
	ioapic_route(PIT_PIN, VEC_PIT, (u8)lapic_id(), false);
	pit_start(PIT_DIVISOR);
	u64 t5 = rdtsc();
	bool got = wait_hits(5, 1ull << 33);
	/* TSC cycles per PIT period, from the five periods just seen (Bochs'
	 * TSC runs at a few MHz, real CPUs' at GHz: no fixed count fits). */
	u64 period = (rdtsc() - t5) / 5 + 1;
	expect(got, "PIT through I/O APIC pin 2: five interrupts (%u)", pit_hits);
	ioapic_mask(PIT_PIN, true);
	sti();
	for (volatile int i = 0; i < 1000; i++)
		;
	cli();
	unsigned after = pit_hits;
	u64 t0 = rdtsc();
	/* About 30 PIT periods. */
	while (rdtsc() - t0 < 30 * period)
		__asm__ volatile("pause");
	sti();
	for (volatile int i = 0; i < 1000; i++)
		;
	cli();
	expect_eq(pit_hits, after, "masked pin: no more interrupts");
	expect_eq(ioapic_read(0x10 + 2 * PIT_PIN) & ((1u << 12) | (1u << 14)), 0,
		  "delivery status and remote IRR idle");
	outb(0x43, 0x30); /* channel 0 mode 0 without a count: stops the rate */
}

void main(const char *cmdline)
{
	(void)cmdline;
	exc_set_handler(VEC_PIT, on_pit);
	pic_init(0x20);
	lapic_enable(false);
	test_registers();
	test_pit();
}
