/*
 * Builders of the neutral initial state of a vCPU (struct vcpu_state,
 * vmm/hv.h) for the usual ways a CPU is started.  The vendor backend turns
 * the result into VMCB/VMCS state (hv->vcpu_create, hv->set_state); the
 * builders know nothing of either.
 */
#ifndef PAGODA_VCPU_STATE_H
#define PAGODA_VCPU_STATE_H

#include "vmm/hv.h"

/* The flat GDT a loader leaves for a 32-bit protected-mode entry, as GRUB
 * and QEMU do for Multiboot: null, 32-bit code, 32-bit data, each with
 * base 0 and a 4 GiB limit. */
#define VCPU_FLAT_GDT_SIZE 24
#define VCPU_FLAT_CS 0x08
#define VCPU_FLAT_DS 0x10

/* Write the flat GDT (VCPU_FLAT_GDT_SIZE bytes) to GDT, the host view of
 * the guest memory vcpu_state_multiboot()'s GDT_BASE names. */
void vcpu_state_flat_gdt(void *gdt);

/*
 * The Multiboot machine state (Multiboot Specification 0.6.96, 3.2):
 * 32-bit protected mode, paging off, EAX = EAX_MAGIC, EBX = EBX_INFO,
 * EIP = ENTRY, EFLAGS = 2 (IF clear); CS = VCPU_FLAT_CS and DS, ES, SS, FS,
 * GS = VCPU_FLAT_DS, their hidden parts loaded from the flat GDT, and GDTR
 * = GDT_BASE with limit VCPU_FLAT_GDT_SIZE - 1, where the caller has placed
 * that GDT (vcpu_state_flat_gdt); IDTR empty; no LDT; TR a busy 32-bit TSS
 * at 0 (VM entry needs one).  The spec lets a loader leave GDTR invalid,
 * but a kernel that takes an exception before loading its own GDT then
 * faults on its first IRET or segment load; GRUB and QEMU give this one.
 */
void vcpu_state_multiboot(struct vcpu_state *st, u32 entry, u32 eax_magic, u32 ebx_info,
			  u32 gdt_base);

/*
 * Real mode at CS_SELECTOR:IP, as after INIT and a SIPI: CS base
 * CS_SELECTOR << 4, every segment a 64 KiB read/write (CS execute/read)
 * accessed segment, GDTR/IDTR base 0 limit 0xffff, CR0 = ET only,
 * EFLAGS = 2, every other register 0.
 */
void vcpu_state_real_mode(struct vcpu_state *st, u16 cs_selector, u16 ip);

#endif
