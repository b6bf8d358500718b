/*
 * ACPI PM1a event and control registers (ACPI 6.5, 4.8.3.1 "PM1 Event
 * Grouping" and 4.8.3.2 "PM1 Control Grouping"), at the ports the FADT
 * built by vmm/acpi_tables.c names.  No event ever fires (no SCI is
 * raised): the status bits read 0, the enable bits are kept for reading
 * back.  PM1a_CNT reads with SCI_EN set (the machine is always in ACPI
 * mode: the FADT has no SMI_CMD); a write with SLP_EN and SLP_TYP =
 * ACPI_SLP_TYP_S5 (the DSDT's \_S5) is the guest's soft-off.  Other sleep
 * types are not offered by the DSDT and are ignored.
 *
 * The PM timer (ACPI 6.5, 4.8.3.3) at ACPI_PM_TMR_PORT: a free-running
 * counter at 3.579545 MHz that reads as a dword whose bits 23:0 count and
 * wrap (bits 31:24 read 0: the FADT leaves TMR_VAL_EXT clear) and ignores
 * writes.  It follows the VMM's clock (time_ns(), the TSC calibrated at
 * boot), so it agrees with the guests' TSC, local APIC timer and PIT; its
 * overflow status and interrupt (TMR_STS, TMR_EN) are never raised, like
 * every other PM1 event here.
 */
#include "vmm/dev/acpi_pm.h"
#include "vmm/acpi_tables.h"
#include "vmm/dev/bus.h"
#include "lib/time.h"
#include "vmm/vm.h"

/* The registers' state. */
struct acpi_pm {
	u16 en;  /* PM1a_EN as last written (events the guest enabled; none fire) */
	u16 cnt; /* PM1a_CNT as last written, SLP_EN cleared (write-only bit) */
};

u32 acpi_pm_timer_value(u64 ns)
{
	/* Whole seconds and the rest apart, so that NS * rate cannot wrap
	 * 64 bits (it would after 85 minutes). */
	u64 ticks = ns / 1000000000ULL * ACPI_PM_TIMER_HZ +
		    ns % 1000000000ULL * ACPI_PM_TIMER_HZ / 1000000000ULL;
	return (u32)ticks & ACPI_PM_TIMER_MASK;
}

/*
 * A port access of SIZE bytes at PORT: byte, word or dword accesses to the
 * 4-byte event block (STS at +0, EN at +2), the 2-byte control block or the
 * 4-byte PM timer, each byte of the access landing on its register.  The
 * timer is read once per access, so a dword read is one consistent value;
 * writes to it are ignored (read-only).  Ports between the blocks read
 * 0xff.
 */
static void acpi_pm_io(struct vcpu *v, void *opaque, u16 port, u8 size, bool in, u32 *val)
{
	struct acpi_pm *pm = opaque;
	if (in) {
		u32 out = 0, tmr = 0;
		if (port + size > ACPI_PM_TMR_PORT)
			tmr = acpi_pm_timer_value(time_ns());
		for (unsigned i = 0; i < size; i++) {
			unsigned p = port + i;
			u8 b = 0;
			if (p >= ACPI_PM_TMR_PORT && p < ACPI_PM_TMR_PORT + 4)
				b = (u8)(tmr >> ((p - ACPI_PM_TMR_PORT) * 8));
			else if (p >= ACPI_PM1A_CNT_PORT + 2 && p < ACPI_PM_TMR_PORT)
				b = 0xff;
			else if (p == ACPI_PM1A_EVT_PORT + 2 || p == ACPI_PM1A_EVT_PORT + 3)
				b = (u8)(pm->en >> ((p - ACPI_PM1A_EVT_PORT - 2) * 8));
			else if (p == ACPI_PM1A_CNT_PORT || p == ACPI_PM1A_CNT_PORT + 1)
				b = (u8)((pm->cnt | ACPI_PM1_CNT_SCI_EN) >> ((p - ACPI_PM1A_CNT_PORT) * 8));
			out |= (u32)b << (8 * i);
		}
		*val = out;
		return;
	}
	u16 cnt = pm->cnt;
	bool cnt_written = false;
	for (unsigned i = 0; i < size; i++) {
		unsigned p = port + i;
		u8 b = (u8)(*val >> (8 * i));
		if (p == ACPI_PM1A_EVT_PORT + 2 || p == ACPI_PM1A_EVT_PORT + 3) {
			unsigned sh = (p - ACPI_PM1A_EVT_PORT - 2) * 8;
			pm->en = (u16)((pm->en & ~(0xffu << sh)) | (u32)b << sh);
		} else if (p == ACPI_PM1A_CNT_PORT || p == ACPI_PM1A_CNT_PORT + 1) {
			unsigned sh = (p - ACPI_PM1A_CNT_PORT) * 8;
			cnt = (u16)((cnt & ~(0xffu << sh)) | (u32)b << sh);
			cnt_written = true;
		}
		/* PM1a_STS: write 1 to clear, and nothing is ever set. */
	}
	if (!cnt_written)
		return;
	pm->cnt = cnt & ~ACPI_PM1_CNT_SLP_EN;
	unsigned typ = (cnt & ACPI_PM1_CNT_SLP_TYP_MASK) >> ACPI_PM1_CNT_SLP_TYP_SHIFT;
	if ((cnt & ACPI_PM1_CNT_SLP_EN) && typ == ACPI_SLP_TYP_S5)
		guest_power_event(v->guest, GUEST_POWER_OFF, "acpi-s5");
}

static const struct dev_ops acpi_pm_ops = {.name = "acpi-pm1", .io = acpi_pm_io};

_Static_assert(ACPI_PM1A_EVT_PORT + 4 <= ACPI_PM1A_CNT_PORT && ACPI_PM1A_CNT_PORT + 2 <= ACPI_PM_TMR_PORT,
	       "the PM1a blocks and the timer are in this order, apart");

int acpi_pm_add(struct bus *b)
{
	struct acpi_pm *pm = bus_alloc(b, sizeof(*pm));
	if (!pm)
		return -E_NOMEM;
	/* One row for the three blocks, which are contiguous (the bus has
	 * few rows); the two bytes between PM1a_CNT and the timer read as
	 * an unassigned port would. */
	return bus_add_io(b, &acpi_pm_ops, pm, ACPI_PM1A_EVT_PORT, ACPI_PM_TMR_PORT + 4 - ACPI_PM1A_EVT_PORT);
}
