/*
 * The PC's 8254 programmable interval timer (ports 0x40-0x43) and the
 * channel 2 gate/output bits of port 0x61 (vmm/dev/pit8254.c).
 *
 * A pure model: time is the caller's now_ns (the VMM clock, lib/time.h
 * time_ns()), converted to the 1.193182 MHz input clock.  Channel 0's
 * output drives ISA IRQ0 through pit_ops.irq0: each rising edge of OUT0 is
 * reported as a pulse, irq0(ctx, true) then irq0(ctx, false), from
 * pit_update() (the owner calls it when pit_next_deadline() has passed).
 * The caller serialises every call on one PIT.
 */
#ifndef PAGODA_DEV_PIT8254_H
#define PAGODA_DEV_PIT8254_H

#include "lib/time.h"
#include "lib/types.h"

struct bus;

#define PIT_HZ 1193182ULL /* the input clock of the three counters */

struct pit_ops {
	/* ISA IRQ0 line (channel 0's OUT) driven to LEVEL. */
	void (*irq0)(void *ctx, bool level);
};

/* One counter of the 8254. */
struct pit_channel {
	u8 mode;          /* control word M2-M0 (6, 7 read as 2, 3) */
	u8 rw;            /* control word RW1-RW0: 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;         /* control word BCD bit (stored; counting is binary) */
	u32 reload;       /* the count loaded, 1..65536 (a written 0 is 65536) */
	bool loaded;      /* a count has been loaded since the control word */
	bool triggered;   /* modes 1 and 5: the gate has risen since the load */
	bool gate;        /* the GATE input (channels 0 and 1: always high) */
	u64 start_ns;     /* time counting (re)started or the gate rose */
	u64 ticks_before; /* clocks counted before start_ns (gate pauses) */
	u8 write_lsb;     /* LSB written, MSB awaited (RW=3) */
	bool write_msb_next; /* RW=3: the next write is the MSB */
	bool read_msb_next;  /* RW=3: the next read returns the MSB */
	bool latched;        /* a count latch is held */
	u16 latch;           /* the latched count */
	bool status_latched; /* a read-back status latch is held */
	u8 status;           /* the latched status byte */
	u64 next_edge;       /* channel 0: clock count of the next OUT rising edge, 0 if none */
};

struct pit8254 {
	struct pit_channel ch[3];  /* counters 0, 1, 2 */
	u8 port61;                 /* port 0x61 bits 0-3 as written (gate 2, speaker, ...) */
	bool refresh;              /* port 0x61 bit 4: flips on every read */
	const struct pit_ops *ops; /* IRQ0 output */
	void *ctx;                 /* passed to ops */
};

/* Power-on state at NOW_NS: every counter in mode 0 with no count loaded,
 * channel 2's gate low.  Remembers OPS/CTX (no call through them yet). */
void pit_init(struct pit8254 *p, const struct pit_ops *ops, void *ctx, u64 now_ns);
/* One byte IN (fill *VAL) or OUT (consume *VAL) at PORT (0x40-0x43, 0x61)
 * at time NOW_NS.  Other ports read 0xff. */
void pit_io(struct pit8254 *p, u64 now_ns, u16 port, bool in, u32 *val);
/* Raise the IRQ0 edge that is due at NOW_NS: periods missed since the last
 * call are coalesced into one pulse. */
void pit_update(struct pit8254 *p, u64 now_ns);
/* Clocks of the 1.193182 MHz input in NS nanoseconds (rounded down), and
 * the first time (ns, rounded up) at which TICKS clocks have elapsed; both
 * exact for any u64 argument. */
u64 pit_ns_to_ticks(u64 ns);
static inline u64 pit_ticks_to_ns(u64 ticks)
{
	/* ceil((a * HZ + b) * 1e9 / HZ) = a * 1e9 + ceil(b * 1e9 / HZ). */
	u64 a = ticks / PIT_HZ, b = ticks % PIT_HZ;
	return a * NS_PER_SEC + (b * NS_PER_SEC + PIT_HZ - 1) / PIT_HZ;
}
/* Absolute time (ns) of the next IRQ0 edge, 0 when none is coming.
 * Inline: the scheduler asks at every exit of vCPU 0. */
static inline u64 pit_next_deadline(const struct pit8254 *p)
{
	const struct pit_channel *c = &p->ch[0];
	if (!c->next_edge)
		return 0;
	u64 t = c->start_ns + pit_ticks_to_ns(c->next_edge - c->ticks_before);
	return t ? t : 1;
}
/* Put P's ports (0x40-0x43, 0x61) on bus B; the handler reads time_ns().
 * 0, or negative from bus_add_io. */
int pit_add(struct bus *b, struct pit8254 *p);

#endif
