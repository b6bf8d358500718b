/*
 * build/madt-chain.efi: not part of pagoda.efi.  A test step run by the
 * firmware before pagoda (tests/qemu/22-smp-host.t), standing in for a
 * machine whose MADT lists a processor that never answers: it rewrites the
 * APIC ID of the last enabled Processor Local APIC entry of the MADT to
 * 0xFE (no CPU has it), fixes the table's checksum, says so on the
 * console, then loads and starts \EFI\pagoda\pagoda.efi from the volume it
 * was itself loaded from.  The CPU whose entry was rewritten stays where
 * the firmware parked it.
 */
#include <efi.h>
#include <efilib.h>

#include "boot/chain_start.h"

#include "boot/acpi.h"

#define FAKE_APIC_ID 0xfe


/* The ACPI RSDP from the UEFI configuration table (2.0 preferred), or NULL. */
static const void *find_rsdp(EFI_SYSTEM_TABLE *st)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	const void *found = NULL;
	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *ct = &st->ConfigurationTable[i];
		if (!CompareGuid(&ct->VendorGuid, &acpi20))
			return ct->VendorTable;
		if (!CompareGuid(&ct->VendorGuid, &acpi10))
			found = ct->VendorTable;
	}
	return found;
}

/* Rewrite the last enabled type-0 entry of the MADT (ACPI 6.5 5.2.12.2:
 * type, length, UID, APIC ID, flags) and fix the checksum (byte 9 of the
 * header).  Returns the APIC ID replaced, or -1 when there is none. */
static int fake_last_cpu(u8 *madt)
{
	u32 len = madt[4] | madt[5] << 8 | madt[6] << 16 | (u32)madt[7] << 24;
	u8 *last = NULL;
	for (u32 off = 44; off + 2 <= len && madt[off + 1] >= 2; off += madt[off + 1])
		if (madt[off] == 0 && madt[off + 1] >= 8 && (madt[off + 4] & 1))
			last = madt + off;
	if (!last)
		return -1;
	int old = last[3];
	last[3] = FAKE_APIC_ID;
	madt[9] = 0;
	u8 sum = 0;
	for (u32 i = 0; i < len; i++)
		sum += madt[i];
	madt[9] = (u8)-sum;
	return old;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	InitializeLib(image, st);

	u8 *madt = (u8 *)acpi_find_table(find_rsdp(st), "APIC");
	int old = madt ? fake_last_cpu(madt) : -1;
	if (old < 0)
		Print(L"madt-chain: no MADT with an enabled local APIC entry: left as it is\r\n");
	else
		Print(L"madt-chain: MADT entry of apic id %d now names apic id %d\r\n", old,
		      FAKE_APIC_ID);

	return chain_start_pagoda(image, L"madt-chain");
}
