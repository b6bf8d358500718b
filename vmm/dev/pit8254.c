/*
 * The 8254 PIT of a PC, after the Intel 8254 datasheet (order 231164):
 *   - Port 0x43, control word: SC1-SC0 (bits 7:6) counter, RW1-RW0 (5:4)
 *     00 = counter latch command, 01 LSB, 10 MSB, 11 LSB then MSB;
 *     M2-M0 (3:1) mode (x10 = 2, x11 = 3); BCD (0).
 *     SC = 11 is the read-back command: bit 5 = 0 latches the count, bit 4
 *     = 0 latches the status, bits 3:1 select counters 2, 1, 0.
 *   - Status byte: OUT (7), NULL COUNT (6), then RW, mode and BCD as
 *     programmed.
 *   - Modes: 0 interrupt on terminal count (OUT low, high when the count
 *     reaches 0, gate low pauses), 1 hardware-retriggerable one-shot (gate
 *     rising edge starts it, OUT low until terminal count), 2 rate
 *     generator (OUT low for one clock when the count reaches 1, reload),
 *     3 square wave (OUT high for ceil(N/2), low for floor(N/2)), 4
 *     software-triggered strobe, 5 hardware-triggered strobe (OUT low for
 *     one clock at terminal count).  In modes 2 and 3 a low gate forces
 *     OUT high and its rising edge reloads the counter.
 * On a PC, channel 0 drives IRQ0, channel 2 feeds the speaker; port 0x61
 * bit 0 is channel 2's gate, bit 1 the speaker enable, bit 4 the refresh
 * toggle and bit 5 channel 2's OUT.
 *
 * Simplifications: a count written takes
 * effect at once in every mode (the chip waits for the next reload in
 * modes 2 and 3) and OUT changes after N clocks rather than N + 1; BCD
 * counting is not modelled (the bit is kept for the status byte, the count
 * runs in binary); the refresh bit flips on each read of port 0x61.
 */
#include "vmm/dev/pit8254.h"
#include "vmm/dev/bus.h"
#include "lib/time.h"

u64 pit_ns_to_ticks(u64 ns)
{
	/* floor((q * 1e9 + r) * HZ / 1e9) = q * HZ + floor(r * HZ / 1e9),
	 * and r * HZ < 2^51: no overflow for any NS. */
	u64 q = ns / NS_PER_SEC, r = ns % NS_PER_SEC;
	return q * PIT_HZ + r * PIT_HZ / NS_PER_SEC;
}

/* True when counter C's clock runs while its gate is low (modes 1 and 5
 * use the gate only as a trigger). */
static bool ch_gate_is_trigger(const struct pit_channel *c)
{
	return c->mode == 1 || c->mode == 5;
}

/* Clocks counted by C since its count was loaded, at NOW_NS. */
static u64 ch_elapsed(const struct pit_channel *c, u64 now_ns)
{
	if (!c->loaded)
		return 0;
	if (ch_gate_is_trigger(c) ? !c->triggered : !c->gate)
		return c->ticks_before;
	return c->ticks_before + pit_ns_to_ticks(now_ns > c->start_ns ? now_ns - c->start_ns : 0);
}

/* Counter C's OUT at NOW_NS. */
static bool ch_out(const struct pit_channel *c, u64 now_ns)
{
	if (!c->loaded)
		return c->mode != 0; /* mode 0: low after the control word */
	u64 d = ch_elapsed(c, now_ns), n = c->reload;
	switch (c->mode) {
	case 0:
		return d >= n;
	case 1:
		return !c->triggered || d >= n;
	case 2:
		return !c->gate || n < 2 || d % n != n - 1;
	case 3:
		return !c->gate || d % n < (n + 1) / 2;
	case 4:
		return d != n;
	default: /* 5 */
		return !c->triggered || d != n;
	}
}

/* Counter C's count element at NOW_NS (what a read returns). */
static u16 ch_count(const struct pit_channel *c, u64 now_ns)
{
	u64 d = ch_elapsed(c, now_ns), n = c->reload;
	if (!c->loaded)
		return (u16)n;
	switch (c->mode) {
	case 2:
		return (u16)(n - d % n);
	case 3:
		return (u16)((n - (2 * d) % n) & 0xfffe);
	default: /* 0, 1, 4, 5: count down through 0 and wrap */
		return (u16)(n - d);
	}
}

/* The status byte of counter C at NOW_NS (read-back command). */
static u8 ch_status(const struct pit_channel *c, u64 now_ns)
{
	return (u8)((ch_out(c, now_ns) ? 0x80 : 0) | (c->loaded ? 0 : 0x40) | c->rw << 4 |
		    c->mode << 1 | (c->bcd ? 1 : 0));
}

/* Channel 0: the clock count of OUT's next rising edge after D clocks, or
 * 0 when no edge is coming. */
static u64 ch0_edge_after(const struct pit_channel *c, u64 d)
{
	u64 n = c->reload;
	if (!c->loaded)
		return 0;
	switch (c->mode) {
	case 0:
		return d < n ? n : 0;
	case 2:
	case 3:
		return (d / n + 1) * n;
	case 4:
		return d < n + 1 ? n + 1 : 0;
	default: /* 1, 5: the gate of channel 0 never rises */
		return 0;
	}
}

/* Load V (0 meaning 65536) into counter I of P at NOW_NS. */
static void pit_load(struct pit8254 *p, unsigned i, u32 v, u64 now_ns)
{
	struct pit_channel *c = &p->ch[i];
	c->reload = v ? v : 65536;
	c->loaded = true;
	c->triggered = false;
	c->start_ns = now_ns;
	c->ticks_before = 0;
	if (i == 0)
		c->next_edge = ch0_edge_after(c, 0);
}

/* Gate of counter C changes to LEVEL at NOW_NS. */
static void ch_set_gate(struct pit_channel *c, bool level, u64 now_ns)
{
	if (level == c->gate)
		return;
	if (!level) {
		if (!ch_gate_is_trigger(c))
			c->ticks_before = ch_elapsed(c, now_ns); /* pause */
		c->gate = false;
		return;
	}
	c->gate = true;
	c->start_ns = now_ns;
	if (c->mode != 0 && c->mode != 4) { /* 1, 2, 3, 5: rising edge reloads */
		c->ticks_before = 0;
		c->triggered = true;
	}
}

/* The control word B written to port 0x43 at NOW_NS. */
static void pit_control(struct pit8254 *p, u8 b, u64 now_ns)
{
	unsigned sc = b >> 6;
	if (sc == 3) { /* read-back */
		for (unsigned i = 0; i < 3; i++) {
			struct pit_channel *c = &p->ch[i];
			if (!(b & (2 << i)))
				continue;
			if (!(b & 0x10) && !c->status_latched) {
				c->status = ch_status(c, now_ns);
				c->status_latched = true;
			}
			if (!(b & 0x20) && !c->latched) {
				c->latch = ch_count(c, now_ns);
				c->latched = true;
			}
		}
		return;
	}
	struct pit_channel *c = &p->ch[sc];
	unsigned rw = (b >> 4) & 3;
	if (rw == 0) { /* counter latch command */
		if (!c->latched) {
			c->latch = ch_count(c, now_ns);
			c->latched = true;
		}
		return;
	}
	unsigned mode = (b >> 1) & 7;
	c->mode = (u8)(mode > 5 ? mode - 4 : mode);
	c->rw = (u8)rw;
	c->bcd = b & 1;
	c->loaded = false;
	c->triggered = false;
	c->write_msb_next = c->read_msb_next = false;
	c->latched = c->status_latched = false;
	c->next_edge = 0;
}

/* The byte B written to counter I's port at NOW_NS. */
static void pit_write_counter(struct pit8254 *p, unsigned i, u8 b, u64 now_ns)
{
	struct pit_channel *c = &p->ch[i];
	switch (c->rw) {
	case 1:
		pit_load(p, i, b, now_ns);
		break;
	case 2:
		pit_load(p, i, (u32)b << 8, now_ns);
		break;
	default:
		if (!c->write_msb_next) {
			c->write_lsb = b;
			c->write_msb_next = true;
			if (c->mode == 0) { /* the first byte stops the count, OUT low */
				c->loaded = false;
				if (i == 0)
					c->next_edge = 0;
			}
		} else {
			c->write_msb_next = false;
			pit_load(p, i, c->write_lsb | (u32)b << 8, now_ns);
		}
		break;
	}
}

/* A read of counter I's port at NOW_NS: a latched status, a latched
 * count, else the live count, one byte at a time as RW selects. */
static u8 pit_read_counter(struct pit8254 *p, unsigned i, u64 now_ns)
{
	struct pit_channel *c = &p->ch[i];
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	u16 count = c->latched ? c->latch : ch_count(c, now_ns);
	bool msb;
	bool last = true;
	switch (c->rw) {
	case 1:
		msb = false;
		break;
	case 2:
		msb = true;
		break;
	default:
		msb = c->read_msb_next;
		c->read_msb_next = !msb;
		last = msb;
		break;
	}
	if (last)
		c->latched = false;
	return msb ? (u8)(count >> 8) : (u8)count;
}

void pit_init(struct pit8254 *p, const struct pit_ops *ops, void *ctx, u64 now_ns)
{
	*p = (struct pit8254){.ops = ops, .ctx = ctx};
	for (unsigned i = 0; i < 3; i++) {
		p->ch[i].rw = 3;
		p->ch[i].reload = 65536;
		p->ch[i].gate = i != 2;
		p->ch[i].start_ns = now_ns;
	}
}

void pit_io(struct pit8254 *p, u64 now_ns, u16 port, bool in, u32 *val)
{
	if (port == 0x61) {
		if (in) {
			p->refresh = !p->refresh;
			*val = (u32)(p->port61 | (p->refresh ? 0x10 : 0) |
				     (ch_out(&p->ch[2], now_ns) ? 0x20 : 0));
		} else {
			p->port61 = (u8)*val & 0x0f;
			ch_set_gate(&p->ch[2], *val & 1, now_ns);
		}
		return;
	}
	if (port < 0x40 || port > 0x43) {
		if (in)
			*val = 0xff;
		return;
	}
	if (port == 0x43) {
		if (in)
			*val = 0xff; /* the control register cannot be read */
		else
			pit_control(p, (u8)*val, now_ns);
		return;
	}
	if (in)
		*val = pit_read_counter(p, port - 0x40u, now_ns);
	else
		pit_write_counter(p, port - 0x40u, (u8)*val, now_ns);
}

void pit_update(struct pit8254 *p, u64 now_ns)
{
	struct pit_channel *c = &p->ch[0];
	if (!c->next_edge)
		return;
	u64 d = ch_elapsed(c, now_ns);
	if (d < c->next_edge)
		return;
	c->next_edge = ch0_edge_after(c, d);
	if (p->ops && p->ops->irq0) {
		p->ops->irq0(p->ctx, true);
		p->ops->irq0(p->ctx, false);
	}
}

/* Bus handler: byte accesses of any vCPU to the PIT at OPAQUE. */
static void pit_bus_io(struct vcpu *v, void *opaque, u16 port, u8 size, bool in, u32 *val)
{
	(void)v;
	(void)size;
	pit_io(opaque, time_ns(), port, in, val);
	if (in)
		*val &= 0xff;
}

static const struct dev_ops pit_dev_ops = {.name = "pit8254", .io = pit_bus_io};

int pit_add(struct bus *b, struct pit8254 *p)
{
	int r = bus_add_io(b, &pit_dev_ops, p, 0x40, 4);
	if (!r)
		r = bus_add_io(b, &pit_dev_ops, p, 0x61, 1);
	return r;
}
