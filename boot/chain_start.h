/*
 * The last step of the test boot steps (boot/x2apic_chain.c,
 * boot/madt_chain.c): start \EFI\pagoda\pagoda.efi from the ESP they were
 * loaded from, once each has changed the machine as its test needs.
 */
#ifndef PAGODA_CHAIN_START_H
#define PAGODA_CHAIN_START_H

#include <efi.h>

/*
 * Load and start pagoda.efi from the device IMAGE (the calling step) was
 * loaded from.  Returns what StartImage returned (pagoda does not return
 * once it owns the machine), or the error that stopped it, printed with
 * WHO (the step's name) in front.
 */
EFI_STATUS chain_start_pagoda(EFI_HANDLE image, const CHAR16 *who);

#endif
