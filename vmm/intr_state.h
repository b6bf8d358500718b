/*
 * The interrupt controllers and timers of one guest, as struct guest holds
 * them (header only, so vm.h needs none of vmm/intr.c).  vmm/intr.c routes
 * between them; vmm/pc.c creates them.
 */
#ifndef PAGODA_INTR_STATE_H
#define PAGODA_INTR_STATE_H

#include "lib/types.h"

struct pic8259;
struct ioapic;
struct pit8254;
struct rtc;
struct uart16550;

#define INTR_NR_GSI 24 /* I/O APIC pins */
#define INTR_INPUT_MAX 512 /* bytes typed to a guest that wait for room in its UART */

/* The guest-wide interrupt controllers and timers; each lives in the
 * guest's bus arena (NULL until pc_create adds it).  Per-vCPU local
 * APICs are in struct vcpu. */
struct guest_intr {
	struct pic8259 *pic;     /* the master/slave 8259 pair */
	struct ioapic *ioapic;   /* at 0xfec00000 */
	struct pit8254 *pit;     /* channel 0 drives ISA IRQ 0 */
	struct rtc *rtc;         /* CMOS at 0x70/0x71 */
	struct uart16550 *com1;  /* 0x3f8, ISA IRQ 4; input typed to the guest goes here */
	u8 input[INTR_INPUT_MAX]; /* bytes for COM1's receiver, oldest first */
	u32 input_len;           /* bytes in input[] */
};

#endif
