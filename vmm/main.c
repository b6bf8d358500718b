/*
 * vmm_main: where pagoda owns the machine.  boot/ has exited boot services
 * and called us on our own stack with the memory map and the ESP files.
 * After setting the machine up it runs the idle loop: console input first,
 * else a time slice of the next runnable guest, else a pause.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/desc.h"
#include "arch/x86/ipi.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "arch/x86/percpu.h"
#include "arch/x86/platform.h"
#include "arch/x86/serial.h"
#include "arch/x86/smp.h"
#include "arch/x86/spec.h"
#include "boot/boot_info.h"
#include "mm/pmm.h"
#include "vmm/console/console.h"
#include "vmm/hv.h"
#include "vmm/sched.h"
#include "lib/log.h"
#include "lib/string.h"

/* Mask both 8259 PICs: the VMM polls; stray firmware timer ticks stay out. */
static void mask_legacy_pic(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

/*
 * On each CPU (the boot CPU, then every AP): the x87/SSE state guests can
 * reach is what FXSAVE covers: CR4.OSFXSR on
 * (FXSAVE includes XMM), and XSAVE off with XCR0 cut back to x87|SSE, so a
 * guest that enables CR4.OSXSAVE itself cannot use AVX state the VMM would
 * not switch between guests (CPUID hides XSAVE and AVX anyway).
 */
static void fpu_host_init(void)
{
	u64 cr4 = read_cr4();
	/* XCR0 the same on every CPU: an AP that INIT reset has XCR0 = 1 and
	 * CR4.OSXSAVE clear, so OSXSAVE goes on for the XSETBV when the CPU
	 * has XSAVE (CPUID.1:ECX[26]). */
	if (cpuid(1).ecx & BIT(26)) {
		write_cr4(cr4 | CR4_OSXSAVE);
		xsetbv(0, 0x3);
	}
	cr4 &= ~CR4_OSXSAVE;
	write_cr4(cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT);
	write_cr0((read_cr0() & ~BIT(2)) | CR0_MP); /* EM off, MP on */
}

/* Remove log sink ID, whose device WHAT at ADDR the VMM's page tables will
 * not map; the other sink, if any, becomes the console. */
static void drop_sink(enum log_sink_id id, const char *what, u64 addr)
{
	log_set_sink(id, NULL);
	if (!log_get_outputs() && log_get_sinks())
		log_set_outputs(log_get_sinks());
	pr_warn("vmm", "%s at 0x%lx is above the identity map: not used", what, addr);
}

/*
 * The per-CPU part of the set-up on an application processor (smp.c calls
 * it on the AP, on its own stack and GDT/IDT): the FPU state the boot CPU
 * has, the virtualization backend on, its local APIC and timer.  Returns
 * NULL, or why the CPU is left out.
 */
static const char *ap_setup(unsigned cpu)
{
	fpu_host_init();
	if (hv && hv->cpu_enable(cpu) != 0)
		return "could not enable virtualization";
	if (lapic_ap_init())
		return "has no counting local APIC timer";
	return NULL;
}

/*
 * Start the application processors the MADT lists as enabled (those only
 * online-capable are named and left alone), ping each with an IPI, log
 * how many CPUs are online, and send them into the scheduler's loop.
 */
static void start_cpus(const struct boot_info *bi)
{
	u32 ids[BOOT_MAX_CPUS];
	unsigned n = 0;
	for (unsigned i = 0; i < bi->nr_cpus; i++) {
		if (bi->cpus[i].enabled)
			ids[n++] = bi->cpus[i].apic_id;
		else
			pr_info("smp", "apic id %u is online-capable but not enabled: not started",
				bi->cpus[i].apic_id);
	}
	char what[24] = "no virtualization";
	if (hv)
		snprintf(what, sizeof(what), "%s enabled", hv->name);
	unsigned online = smp_start_aps(ids, n, bi->ap_start_page, ap_setup, what);
	if (online > 1)
		smp_ping_aps();
	/* The APs wait in the scheduler's loop (vmm/sched.c), which decides
	 * which CPUs take guests. */
	smp_set_ap_loop(sched_ap_loop);
	for (unsigned c = 1; c < smp_nr_cpu_ids(); c++)
		ipi_send(c, IPI_KICK_VECTOR);
	if (bi->madt_cpus)
		pr_info("smp", "%u CPUs online (of %u in the MADT)", smp_nr_online(), bi->madt_cpus);
	else
		pr_info("smp", "%u CPUs online (of %u listed by the UEFI MP services)",
			smp_nr_online(), MAX(bi->nr_cpus, 1u));
	sched_cpus_init();
}

__noreturn void vmm_main(struct boot_info *bi)
{
	cli();
	desc_init(percpu_area(0));
	mask_legacy_pic();
	pr_info("vmm", "boot services exited; VMM on its own GDT/IDT/stack, image at 0x%lx "
		"(%lu KiB)", bi->image_base, bi->image_size >> 10);

	pmm_init();
	u64 pages = 0;
	for (unsigned i = 0; i < bi->nr_ranges; i++) {
		pmm_add_range(bi->ranges[i].base, bi->ranges[i].npages);
		pages += bi->ranges[i].npages;
	}
	pr_info("pmm", "%lu MiB usable in %u ranges (highest address 0x%lx)", pages >> 8,
		bi->nr_ranges, bi->max_phys);

	/* The screen console and an MMIO UART stay only if the VMM's identity
	 * map covers them (paging_init maps up to the higher of max_phys and
	 * 4 GiB); else their sink goes before the switch of page tables. */
	u64 mapped = ALIGN_UP(MAX(bi->max_phys, GiB(4)), GiB(1));
	if ((log_get_sinks() & LOG_TO_SCREEN) && bi->fb.base + bi->fb.size > mapped)
		drop_sink(LOG_SINK_SCREEN, "framebuffer", bi->fb.base);
	if ((log_get_sinks() & LOG_TO_SERIAL) && serial_is_mmio() && serial_base() + 64 > mapped)
		drop_sink(LOG_SINK_SERIAL, "MMIO UART", serial_base());

	u64 pt_pages;
	if (paging_init(bi->max_phys, &pt_pages)) {
		pr_err("vmm", "out of memory building the VMM page tables");
		halt_forever();
	}
	pr_info("paging", "identity map up to 0x%lx loaded (%lu table pages)",
		MAX(bi->max_phys, GiB(4)), pt_pages);

	/* Our own GDT, IDT, stack and page tables are loaded: the firmware's
	 * boot-services memory they replaced is free now. */
	u64 reclaimed = 0;
	for (unsigned i = 0; i < bi->nr_reclaim; i++) {
		pmm_add_range(bi->reclaim[i].base, bi->reclaim[i].npages);
		reclaimed += bi->reclaim[i].npages;
	}
	pr_info("pmm", "reclaimed %lu MiB of boot-services memory; %lu MiB free in all%s",
		reclaimed >> 8, pmm_free_count() >> 8,
		bi->lost_pages ? " (some ranges did not fit the boot map)" : "");

	fpu_host_init();
	spec_init();
	if (hv_select() == 0 && hv->cpu_enable(this_cpu()) != 0) {
		pr_err("vmm", "%s: enabling virtualization failed", hv->name);
		hv = NULL;
	}
	if (lapic_init())
		pr_warn("vmm", "no local APIC timer: guests are not preempted on AMD");
	start_cpus(bi);
	/* What guests may not take by touching memory: 4 MiB, or 1/64 of the
	 * machine when that is more (vCPU state, tables and bookkeeping of the
	 * guests the operator creates next). */
	pmm_set_guest_reserve(MAX(1024ULL, pmm_total_count() / 64));
	/* Pages zeroed in idle time, ahead of guests' first touches: 1/8 of
	 * the machine, 32 MiB at least.  They stay free pages (pmm drains the
	 * pool before it fails a request), so the target costs only the idle
	 * time that zeroes them. */
	u64 zero_target = MAX((u64)PMM_ZERO_POOL_DEFAULT, pmm_total_count() / 8);
	pmm_zero_pool_set_target(zero_target);
	pr_info("pmm", "zeroing up to %lu MiB of free pages ahead of guests, in idle time",
		zero_target >> 8);
	pr_info("vmm", "ready: %lu pages free, %lu kept from guest demand", pmm_free_count(),
		pmm_guest_reserve());

	platform_set_firmware(bi->poweroff, bi->reboot);
	console_init(bi);
	if (bi->startup)
		console_run_startup(bi->startup, bi->startup_len);
	else
		pr_info("console", "no \\pagoda\\startup.txt on the ESP");

	/* The idle loop: a typed line runs as soon as it is complete (a guest's
	 * slice is cut for it), guests run while the console is quiet. */
	console_prompt();
	for (;;) {
		console_run_policies();
		if (console_poll())
			console_run_ready();
		else
			sched_boot_turn(console_poll);
	}
}
