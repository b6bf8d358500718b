/*
 * build/x2apic-chain.efi: not part of pagoda.efi.  A test step run by the
 * firmware before pagoda (tests/platform/09-x2apic.t), standing in for
 * firmware that hands over with the local APIC in x2APIC mode: if CPUID.1
 * ECX[21] says the CPU has x2APIC, it sets IA32_APIC_BASE EN|EXTD (bits 11
 * and 10), says so on the console, then loads and starts
 * \EFI\pagoda\pagoda.efi from the volume it was itself loaded from.
 */
#include <efi.h>
#include <efilib.h>

#include "boot/chain_start.h"

#include "arch/x86/cpu.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE BIT(11)
#define APIC_BASE_X2APIC BIT(10)


EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	InitializeLib(image, st);

	if (!(cpuid(1).ecx & BIT(21))) {
		Print(L"x2apic-chain: no x2APIC (CPUID.1:ECX[21] clear); APIC left as it is\r\n");
	} else {
		u64 before = rdmsr(MSR_APIC_BASE);
		/* xAPIC -> x2APIC is a legal transition; disabled -> x2APIC
		 * must go through enabled xAPIC first (SDM Vol 3 11.12.5). */
		if (!(before & APIC_BASE_ENABLE))
			wrmsr(MSR_APIC_BASE, before | APIC_BASE_ENABLE);
		wrmsr(MSR_APIC_BASE, before | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
		u64 after = rdmsr(MSR_APIC_BASE);
		Print(L"x2apic-chain: IA32_APIC_BASE 0x%lx -> 0x%lx: %s\r\n", before, after,
		      (after & APIC_BASE_X2APIC) ? L"x2APIC mode on" : L"x2APIC did not stick");
	}

	return chain_start_pagoda(image, L"x2apic-chain");
}
