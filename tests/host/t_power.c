/*
 * Host test of the machine power devices of a PC guest: the ACPI PM1a
 * event and control ports (vmm/dev/acpi_pm.c) and the reset ports 0xcf9,
 * 0x60 and 0x64 (vmm/dev/pc_reset.c), through the bus rows they register.
 * guest_power_event, bus_add_io and bus_alloc are stand-ins here that
 * record what the devices do.
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
	test_reset();
	return tap_done();
}
