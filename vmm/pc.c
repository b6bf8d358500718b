/*
 * A PC for a guest (vmm/pc.h): the guest object, its image through the
 * loader table, its vCPUs from the loader's start state, and the devices
 * every guest has (pc_add_devices).
 */
#include "vmm/pc.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "lib/time.h"
#include "vmm/dev/acpi_pm.h"
#include "vmm/dev/debug_exit.h"
#include "vmm/dev/ioapic.h"
#include "vmm/dev/mmio_testdev.h"
#include "vmm/dev/pc_reset.h"
#include "vmm/dev/pic8259.h"
#include "vmm/dev/pit8254.h"
#include "vmm/dev/rtc.h"
#include "vmm/dev/uart16550.h"
#include "vmm/intr.h"
#include "vmm/loader/loader.h"
#include "vmm/vm.h"

#define PC_IOAPIC_BASE 0xfec00000ULL
#define PC_COM1_BASE 0x3f8
#define PC_COM1_IRQ 4

/* Output lines of the chipset's devices: each drives an ISA line of the
 * guest at CTX (vmm/intr.c routes it to the 8259s and the I/O APIC). */
static void pit_irq0(void *ctx, bool level) { intr_set_gsi(ctx, 0, level); }
static void com1_irq(void *ctx, bool level) { intr_set_gsi(ctx, PC_COM1_IRQ, level); }

/* The 8259 pair's INTR reaches vCPU 0 through its LINT0: vmm/intr.c
 * reads pic_intr() at each entry, so a rising INTR only has to wake it. */
static void pic_intr_out(void *ctx, bool level)
{
	struct guest *g = ctx;
	if (level && g->nr_vcpus)
		intr_wake(&g->vcpus[0]);
}

/* A message of the I/O APIC for the local APICs. */
static void ioapic_send(void *ctx, const struct apic_msg *m) { intr_apic_send(ctx, NULL, m); }

static const struct pit_ops pc_pit_ops = {.irq0 = pit_irq0};
static const struct pic_ops pc_pic_ops = {.intr = pic_intr_out};
static const struct ioapic_ops pc_ioapic_ops = {.send = ioapic_send};
static const struct uart_ops pc_com1_ops = {.irq = com1_irq};

/*
 * The devices of every PC guest: a local APIC per vCPU, the 8259 pair, the I/O APIC at
 * 0xfec00000, the local APIC page at 0xfee00000, the 8254 PIT, the CMOS
 * RTC (the firmware's clock, the guest's RAM size), COM1 at 0x3f8 on IRQ 4,
 * the debug-exit port 0xf4, the MMIO test device (vmm/dev/mmio_testdev.h),
 * the ACPI PM1a ports the FADT names (vmm/dev/acpi_pm.h) and the reset
 * ports 0xcf9, 0x60/0x64 (vmm/dev/pc_reset.h).  State in the bus arena.  0 or negative.
 */
static int pc_add_devices(struct guest *g)
{
	struct guest_intr *gi = &g->intr;
	u64 now = time_ns();
	for (unsigned i = 0; i < g->nr_vcpus; i++)
		intr_vcpu_init(&g->vcpus[i]);
	gi->pic = bus_alloc(&g->bus, sizeof(*gi->pic));
	gi->ioapic = bus_alloc(&g->bus, sizeof(*gi->ioapic));
	gi->pit = bus_alloc(&g->bus, sizeof(*gi->pit));
	gi->rtc = bus_alloc(&g->bus, sizeof(*gi->rtc));
	if (!gi->pic || !gi->ioapic || !gi->pit || !gi->rtc)
		return -E_NOMEM;
	pic_init(gi->pic, &pc_pic_ops, g);
	ioapic_init(gi->ioapic, &pc_ioapic_ops, g);
	pit_init(gi->pit, &pc_pit_ops, g, now);
	u64 below = MIN(g->mem_size, (u64)PC_IOAPIC_BASE);
	rtc_init(gi->rtc, time_unix(), now, below, g->mem_size - below);
	int r = pic_add(&g->bus, gi->pic);
	if (!r)
		r = ioapic_add(&g->bus, gi->ioapic, PC_IOAPIC_BASE);
	if (!r)
		r = intr_add_lapic_mmio(g);
	if (!r)
		r = pit_add(&g->bus, gi->pit);
	if (!r)
		r = rtc_add(&g->bus, gi->rtc);
	if (!r) {
		gi->com1 = uart16550_add(&g->bus, PC_COM1_BASE, &pc_com1_ops, g);
		r = gi->com1 ? 0 : -E_NOMEM;
	}
	if (!r)
		r = debug_exit_add(&g->bus, 0xf4);
	if (!r)
		r = mmio_testdev_add(&g->bus, MMIO_TESTDEV_BASE);
	if (!r)
		r = acpi_pm_add(&g->bus);
	if (!r)
		r = pc_reset_add(&g->bus);
	return r;
}

/*
 * What a PC BIOS leaves behind for the kernel it boots, which Multiboot
 * kernels (under GRUB or QEMU's -kernel) and real-mode code expect: the
 * real-mode interrupt vector table at 0 with every vector pointing into
 * the BIOS area, the 8259s initialised at vectors 0x08 and 0x70 with the
 * timer's IRQ 0 open, and the PIT's channel 0 in mode 3 with count 65536
 * (18.2 Hz).  The handlers are stubs in a page at 0xff000 (the Multiboot
 * map reserves 0x9fc00-0x100000): the dummy IRET at F000:FF53 where PC
 * BIOSes keep one, and for the 8259's vectors an EOI before the IRET, so
 * a tick ends a HLT in real mode and the next one can come.  Guests that
 * take interrupts program the 8259s themselves (Linux, kvm-unit-tests'
 * start-up code, the test guests).  0 or negative.
 */
#define BIOS_PAGE 0xff000ULL
#define BIOS_SEG 0xf000
#define BIOS_IRET_OFF 0xff53   /* F000:FF53: IRET */
#define BIOS_EOI1_OFF 0xfe00   /* EOI to the master, IRET */
#define BIOS_EOI2_OFF 0xfe10   /* EOI to the slave and the master, IRET */

static int pc_bios_state(struct guest *g)
{
	static const u8 eoi1[] = {0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58, 0xcf};
	/* push ax; mov al, 0x20; out 0x20, al; pop ax; iret */
	static const u8 eoi2[] = {0x50, 0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20, 0x58, 0xcf};
	/* push ax; mov al, 0x20; out 0xa0, al; out 0x20, al; pop ax; iret */
	u8 *bios = guest_boot_page(g), *ivt = guest_boot_page(g);
	if (!bios || !ivt)
		return -E_NOMEM;
	bios[BIOS_IRET_OFF & 0xfff] = 0xcf;
	memcpy(bios + (BIOS_EOI1_OFF & 0xfff), eoi1, sizeof(eoi1));
	memcpy(bios + (BIOS_EOI2_OFF & 0xfff), eoi2, sizeof(eoi2));
	for (unsigned v = 0; v < 256; v++) {
		u16 off = (v >= 0x08 && v < 0x10) ? BIOS_EOI1_OFF :
			  (v >= 0x70 && v < 0x78) ? BIOS_EOI2_OFF : BIOS_IRET_OFF;
		ivt[v * 4] = (u8)off;
		ivt[v * 4 + 1] = (u8)(off >> 8);
		ivt[v * 4 + 2] = (u8)BIOS_SEG;
		ivt[v * 4 + 3] = (u8)(BIOS_SEG >> 8);
	}
	int r = guest_place(g, BIOS_PAGE, bios, PAGE_SIZE);
	if (!r)
		r = guest_place(g, 0, ivt, 1024);
	return r;
}

/* The 8259s and the PIT as the BIOS programs them (see pc_bios_state):
 * through the models' own ports, as the BIOS's OUTs would. */
static void pc_bios_devices(struct guest *g)
{
	static const struct { u16 port; u8 val; } pic_init_seq[] = {
		{0x20, 0x11}, {0x21, 0x08}, {0x21, 0x04}, {0x21, 0x01}, /* master: ICW1-4 */
		{0xa0, 0x11}, {0xa1, 0x70}, {0xa1, 0x02}, {0xa1, 0x01}, /* slave */
		{0x21, 0xfa}, {0xa1, 0xff}, /* IMR: IRQ 0 (timer) and 2 (cascade) open */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(pic_init_seq); i++) {
		u32 v = pic_init_seq[i].val;
		pic_io(g->intr.pic, pic_init_seq[i].port, false, &v);
	}
	u64 now = time_ns();
	u32 mode3 = 0x36, zero = 0; /* counter 0, LSB then MSB, mode 3, binary */
	pit_io(g->intr.pit, now, 0x43, false, &mode3);
	pit_io(g->intr.pit, now, 0x40, false, &zero);
	zero = 0;
	pit_io(g->intr.pit, now, 0x40, false, &zero);
}

int pc_create(const struct pc_config *cfg, struct guest **out, char *err, size_t errlen)
{
	struct guest *g;
	int r = guest_create(cfg->name, cfg->mem, cfg->huge, cfg->cmdline, cfg->nr_vcpus, &g, err,
			     errlen);
	if (r)
		return r;
	struct vcpu_state bsp;
	u64 entry;
	const char *format;
	char why[160];
	r = loader_load(g, cfg->image, cfg->image_size, cfg->modules, cfg->nr_modules, cfg->initrd,
			cfg->initrd_size, &bsp, &entry, &format, why, sizeof(why));
	if (r) {
		snprintf(err, errlen, "bad image: %s", why);
		goto fail;
	}
	bool bios = strcmp(format, "multiboot") == 0;
	if (bios && (r = pc_bios_state(g)) != 0) {
		snprintf(err, errlen, "cannot set up the guest (out of host memory)");
		goto fail;
	}
	if (cfg->reserve && guest_reserve_memory(g)) {
		snprintf(err, errlen, "not enough host memory for reserve=1 (%lu MiB free above "
			 "the VMM's reserve)", (pmm_free_count() > pmm_guest_reserve() ?
			 pmm_free_count() - pmm_guest_reserve() : 0) >> 8);
		r = -E_NOMEM;
		goto fail;
	}
	r = guest_setup_vcpus(g, &bsp);
	if (!r)
		r = pc_add_devices(g);
	if (!r && bios)
		pc_bios_devices(g);
	if (r) {
		snprintf(err, errlen, "cannot set up the guest (%s)",
			 r == -E_NOMEM ? "out of host memory" : "vCPU or device setup failed");
		goto fail;
	}
	pr_info("vmm", "guest %s created: id=%u mem=%luM%s%s vcpus=%u %s entry=0x%lx image=%lu bytes "
		"cmdline=\"%s\"", g->name, g->id, cfg->mem >> 20, cfg->huge ? " (huge pages)" : "",
		cfg->reserve ? " (reserved)" : "",
		cfg->nr_vcpus, format, entry, cfg->image_size, cfg->cmdline);
	*out = g;
	return 0;
fail:
	guest_discard(g);
	return r;
}
