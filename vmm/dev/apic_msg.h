/*
 * An interrupt message on the guest's APIC bus: what an I/O APIC
 * redirection entry or a local APIC's ICR sends, and what a local APIC
 * accepts (Intel SDM Vol 3A 11.6.1, the ICR layout; 11.6.2 destinations).
 * Shared by the device models (vmm/dev/lapic.c, ioapic.c) and the router
 * that carries messages between them (vmm/intr.c), which owns no format
 * of its own.
 */
#ifndef PAGODA_DEV_APIC_MSG_H
#define PAGODA_DEV_APIC_MSG_H

#include "lib/types.h"

/* Delivery modes, ICR bits 10:8 and redirection-entry bits 10:8. */
#define APIC_DM_FIXED 0
#define APIC_DM_LOWEST 1
#define APIC_DM_SMI 2
#define APIC_DM_NMI 4
#define APIC_DM_INIT 5
#define APIC_DM_SIPI 6
#define APIC_DM_EXTINT 7

/* Destination shorthands, ICR bits 19:18. */
#define APIC_SH_NONE 0
#define APIC_SH_SELF 1
#define APIC_SH_ALL 2
#define APIC_SH_ALL_BUT_SELF 3

struct apic_msg {
	u8 vector;    /* interrupt vector (SIPI: the start page number) */
	u8 delivery;  /* APIC_DM_* */
	bool logical; /* destination mode: logical (true) or physical */
	bool level;   /* trigger mode: level (true) or edge */
	bool assert;  /* level bit of an ICR write: false only for INIT level de-assert */
	u8 shorthand; /* APIC_SH_*; always NONE from an I/O APIC */
	u32 dest;     /* physical APIC ID or logical destination: 8 bits in xAPIC
	                 mode (0xff broadcast), 32 in x2APIC mode (0xffffffff) */
};

#endif
