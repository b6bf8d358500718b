/*
 * Starting the application processors (arch/x86/smp.c): INIT-SIPI-SIPI
 * through the real-mode code of arch/x86/ap_start.asm, one AP at a time,
 * each on its own stack and struct percpu.  After start-up the APs idle
 * (HLT with interrupts on), woken by IPIs (arch/x86/ipi.h), until they are
 * given a loop to run (smp_set_ap_loop).
 */
#ifndef PAGODA_SMP_H
#define PAGODA_SMP_H

#include "lib/types.h"

/*
 * What the layers above do on each AP once it runs on its own GDT, IDT,
 * stack and per-CPU area, with the boot CPU's CR0, CR4 (VMXE aside), EFER
 * (SVME aside) and PAT: FPU state, virtualization on, local APIC timer.
 * Returns NULL, or why the CPU cannot be used (it is then left out).
 */
typedef const char *(*smp_ap_setup_fn)(unsigned cpu);

/*
 * Start the APs whose local APIC IDS (N of them; the boot CPU's own ID
 * among them or not) are given, through the low pages at START_PAGE
 * (2 pages below 1 MiB, page-aligned; 0: start none), numbering them
 * 1, 2, ... in order of success, with SETUP run on each; ENABLED names
 * what SETUP turned on, for the log line `cpu N: apic id X online
 * (ENABLED)`.  Needs lapic_init() done on the boot CPU.  An AP that does
 * not check in within 200 ms, or whose SETUP fails, is reported, sent
 * INIT again and left out.  Returns the number of CPUs online, the boot
 * CPU included.
 */
unsigned smp_start_aps(const u32 *ids, unsigned n, u64 start_page, smp_ap_setup_fn setup,
		       const char *enabled);

/* Give the APs LOOP to run instead of idling (the layers above's
 * scheduler); each AP calls it when its next interrupt wakes it. */
void smp_set_ap_loop(void (*loop)(void));

/* CPUs online (the boot CPU included), and the highest CPU number + 1. */
unsigned smp_nr_online(void);
unsigned smp_nr_cpu_ids(void);

/*
 * Ping each online AP with smp_call_on() from the boot CPU (CPU 0): it
 * records its CPU number and APIC ID, which are checked, and calls the
 * boot CPU back from its IPI handler while the boot CPU waits for it with
 * interrupts off.  Logs each answer and its round-trip time.  Returns the
 * number of APs that answered correctly.
 */
unsigned smp_ping_aps(void);

#endif
