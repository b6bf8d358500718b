/*
 * Host test of the machine power devices of a PC guest: the ACPI PM1a
 * event and control ports and the PM timer (vmm/dev/acpi_pm.c) and the
 * reset ports 0xcf9, 0x60 and 0x64 (vmm/dev/pc_reset.c), through the bus
 * rows they register.  guest_power_event, bus_add_io and bus_alloc are
 * stand-ins here that record what the devices do; time_ns is the clock
 * the test sets.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/host/tap.h"
#include "vmm/acpi_tables.h"
#include "vmm/dev/acpi_pm.h"
#include "vmm/dev/bus.h"
#include "vmm/dev/pc_reset.h"
#include "vmm/vm.h"

/* The port rows the devices registered. */
static struct row {
	const struct dev_ops *ops;
	void *opaque;
	u16 base, count;
} rows[8];
static unsigned nr_rows;

int bus_add_io(struct bus *b, const struct dev_ops *ops, void *opaque, u16 base, u16 count)
{
	(void)b;
	if (nr_rows == 8)
		return -E_NOMEM;
	rows[nr_rows++] = (struct row){ops, opaque, base, count};
	return 0;
}

void *bus_alloc(struct bus *b, size_t size)
{
	(void)b;
	return calloc(1, size);
}

/* The power events the devices raised. */
static int events;
static enum guest_power last_what;
static const char *last_source;

void guest_power_event(struct guest *g, enum guest_power what, const char *source)
{
	(void)g;
	events++;
	last_what = what;
	last_source = source;
}

/* The VMM clock the PM timer reads, set by the test. */
static u64 now_ns;
u64 time_ns(void) { return now_ns; }

static struct guest the_guest;
static struct vcpu the_vcpu = {.guest = &the_guest};

/* An access of SIZE bytes at PORT through the row covering it; reads
 * return the value, unassigned ports read all ones as the bus does. */
static u32 io(u16 port, u8 size, bool in, u32 val)
{
	for (unsigned i = 0; i < nr_rows; i++) {
		if (port >= rows[i].base && port < rows[i].base + rows[i].count) {
			rows[i].ops->io(&the_vcpu, rows[i].opaque, port, size, in, &val);
			return val;
		}
	}
	return 0xffffffff;
}

static void reset_events(void)
{
	events = 0;
	last_what = GUEST_POWER_NONE;
	last_source = NULL;
}

static void test_acpi_pm(void)
{
	ok(acpi_pm_add(NULL) == 0, "acpi_pm_add registers its ports");
	/* PM1a_CNT: SCI_EN always reads set (ACPI mode, no SMI_CMD). */
	ok((io(ACPI_PM1A_CNT_PORT, 2, true, 0) & ACPI_PM1_CNT_SCI_EN) != 0, "PM1a_CNT reads SCI_EN");
	/* PM1a_STS reads 0, PM1a_EN keeps what was written (word and bytes). */
	ok(io(ACPI_PM1A_EVT_PORT, 2, true, 0) == 0, "PM1a_STS reads 0");
	io(ACPI_PM1A_EVT_PORT + 2, 2, false, 0x0121);
	ok(io(ACPI_PM1A_EVT_PORT + 2, 2, true, 0) == 0x0121, "PM1a_EN reads back a word write");
	ok(io(ACPI_PM1A_EVT_PORT, 4, true, 0) == 0x01210000u, "a dword read sees STS 0 and EN");
	io(ACPI_PM1A_EVT_PORT + 3, 1, false, 0x80);
	ok(io(ACPI_PM1A_EVT_PORT + 2, 2, true, 0) == 0x8021, "a byte write lands on EN's high byte");
	/* SLP_TYP = S5 without SLP_EN: nothing yet; SLP_EN alone with another
	 * type: nothing (not offered). */
	reset_events();
	u32 s5 = ACPI_SLP_TYP_S5 << ACPI_PM1_CNT_SLP_TYP_SHIFT;
	io(ACPI_PM1A_CNT_PORT, 2, false, s5 | ACPI_PM1_CNT_SCI_EN);
	ok(events == 0, "SLP_TYP without SLP_EN does not power off");
	io(ACPI_PM1A_CNT_PORT, 2, false, (3u << ACPI_PM1_CNT_SLP_TYP_SHIFT) | ACPI_PM1_CNT_SLP_EN);
	ok(events == 0, "SLP_EN with a sleep type other than S5 is ignored");
	ok((io(ACPI_PM1A_CNT_PORT, 2, true, 0) & ACPI_PM1_CNT_SLP_EN) == 0, "SLP_EN reads 0");
	io(ACPI_PM1A_CNT_PORT, 2, false, s5 | ACPI_PM1_CNT_SLP_EN);
	ok(events == 1 && last_what == GUEST_POWER_OFF && strcmp(last_source, "acpi-s5") == 0,
	   "SLP_EN with SLP_TYP S5 powers off (acpi-s5)");
	/* Linux's write: the high byte alone (SLP_EN is bit 13). */
	reset_events();
	io(ACPI_PM1A_CNT_PORT + 1, 1, false, (s5 | ACPI_PM1_CNT_SLP_EN) >> 8);
	ok(events == 1 && last_what == GUEST_POWER_OFF, "a byte write of the high half powers off");
}

/* The PM timer's count at NS by exact 128-bit arithmetic, 24 bits. */
static u32 pm_ticks_ref(u64 ns)
{
	return (u32)((unsigned __int128)ns * ACPI_PM_TIMER_HZ / 1000000000u) & 0xffffff;
}

static void test_pm_timer(void)
{
	/* The pure conversion: 3.579545 MHz, 24 bits, no overflow. */
	is_u64(acpi_pm_timer_value(0), 0, "PM timer: 0 at time 0");
	is_u64(acpi_pm_timer_value(1000000000ULL), ACPI_PM_TIMER_HZ, "PM timer: 3579545 ticks in 1 s");
	is_u64(acpi_pm_timer_value(1000000ULL), 3579, "PM timer: 3579 ticks in 1 ms (truncated)");
	/* 2^24 ticks = 4.687 s: the count wraps to 0 there. */
	u64 wrap_ns = (u64)(((unsigned __int128)1 << 24) * 1000000000u / ACPI_PM_TIMER_HZ) + 1;
	ok(acpi_pm_timer_value(wrap_ns) < 4 && acpi_pm_timer_value(wrap_ns - 300) > 0xfffff0,
	   "PM timer: wraps from 0xffffff to 0 after 4.69 s");
	bool same = true;
	srand(7);
	u64 ns = 0;
	for (int i = 0; i < 100000; i++) {
		/* days of uptime, well past where ns * rate overflows 64 bits */
		ns += (u64)rand() * 1000 + (u64)rand();
		if (acpi_pm_timer_value(ns) != pm_ticks_ref(ns)) {
			diag("at %lu ns: %u, want %u", (unsigned long)ns, acpi_pm_timer_value(ns),
			     pm_ticks_ref(ns));
			same = false;
			break;
		}
	}
	ok(same && ns > 86400ULL * 1000000000ULL, "PM timer: exact to the tick over days of the VMM clock");
	u32 last = 0;
	bool mono = true;
	for (u64 t = 5000000000ULL; t < 5000000000ULL + 3000000; t += 97) {
		u32 v = acpi_pm_timer_value(t);
		if (t > 5000000000ULL && v < last)
			mono = false;
		last = v;
	}
	ok(mono, "PM timer: never goes back between wraps");

	/* Through the port: the dword, its bytes, writes ignored. */
	now_ns = 123456789012ULL;
	u32 v = pm_ticks_ref(now_ns);
	is_u64(io(ACPI_PM_TMR_PORT, 4, true, 0), v, "PM timer port: a dword read gives the count");
	ok(io(ACPI_PM_TMR_PORT + 1, 1, true, 0) == ((v >> 8) & 0xff) &&
	   io(ACPI_PM_TMR_PORT + 2, 2, true, 0) == (v >> 16) && io(ACPI_PM_TMR_PORT + 3, 1, true, 0) == 0,
	   "PM timer port: byte and word reads give their bytes, bits 31:24 read 0");
	io(ACPI_PM_TMR_PORT, 4, false, 0x12345678);
	is_u64(io(ACPI_PM_TMR_PORT, 4, true, 0), v, "PM timer port: writes are ignored");
	now_ns += 1000000000ULL;
	is_u64((io(ACPI_PM_TMR_PORT, 4, true, 0) - v) & 0xffffff, ACPI_PM_TIMER_HZ & 0xffffff,
	       "PM timer port: follows the VMM clock (one second later)");
	ok(io(ACPI_PM1A_CNT_PORT + 2, 2, true, 0) == 0xffff, "the two ports between PM1a_CNT and the timer read 0xff");
	ok((io(ACPI_PM1A_CNT_PORT, 2, true, 0) & ACPI_PM1_CNT_SCI_EN) != 0,
	   "PM1a_CNT still reads SCI_EN beside the timer");
}

static void test_reset(void)
{
	ok(pc_reset_add(NULL) == 0, "pc_reset_add registers its ports");
	reset_events();
	ok(io(0x64, 1, true, 0) == 0, "8042 status reads 0: no data, input buffer empty");
	ok(io(0x60, 1, true, 0) == 0, "8042 data reads 0");
	io(0x64, 1, false, 0xd1);
	io(0x60, 1, false, 0xfe);
	ok(events == 0, "other 8042 commands and data writes do nothing");
	io(0x64, 1, false, 0xfe);
	ok(events == 1 && last_what == GUEST_POWER_REBOOT && strcmp(last_source, "kbc-0xfe") == 0,
	   "8042 command 0xfe resets (kbc-0xfe)");
	reset_events();
	io(0xcf9, 1, false, 0x02);
	ok(events == 0 && io(0xcf9, 1, true, 0) == 0x02, "RST_CNT 0x02 is kept, no reset yet");
	io(0xcf9, 1, false, 0x06);
	ok(events == 1 && last_what == GUEST_POWER_REBOOT && strcmp(last_source, "port-0xcf9") == 0,
	   "RST_CNT with RST_CPU resets (port-0xcf9)");
	ok(io(0xcf9, 1, true, 0) == 0x02, "RST_CPU is not kept");
}

int main(void)
{

	test_acpi_pm();
	test_pm_timer();
	test_reset();
	return tap_done();
}
