/*
 * Builders of the neutral initial vCPU state (see vmm/vcpu_state.h).
 * Segment attributes use the VMCB packing of hv.h: type [3:0], S [4], DPL
 * [6:5], P [7], AVL [8], L [9], D/B [10], G [11].
 */
#include "vmm/vcpu_state.h"
#include "arch/x86/cpu.h"
#include "lib/string.h"

#define TYPE_DATA_RWA 0x3   /* data, read/write, accessed */
#define TYPE_CODE_XRA 0xb   /* code, execute/read, accessed */
#define TYPE_LDT 0x2        /* system: LDT */
#define TYPE_TSS32_BUSY 0xb /* system: busy 32-bit TSS */

/* The flat GDT: base 0, limit 0xfffff in 4 KiB units, G, D/B, P, S. */
static const u64 flat_gdt[VCPU_FLAT_GDT_SIZE / 8] = {
	0,
	0x00cf9b000000ffffULL, /* VCPU_FLAT_CS: 32-bit code, execute/read, accessed */
	0x00cf93000000ffffULL, /* VCPU_FLAT_DS: 32-bit data, read/write, accessed */
};

void vcpu_state_flat_gdt(void *gdt)
{
	memcpy(gdt, flat_gdt, sizeof(flat_gdt));
}

/* The segment register a load of selector SEL from descriptor DESC gives:
 * base, limit scaled by G, attributes (descriptor bits 47:40 and 55:52),
 * accessed bit as in the descriptor. */
static struct hv_segment seg_from_desc(u16 sel, u64 desc)
{
	struct hv_segment s;
	u32 limit = (u32)((desc & 0xffff) | ((desc >> 32) & 0xf0000));
	s.selector = sel;
	s.attrib = (u16)(((desc >> 40) & 0xff) | ((desc >> 44) & 0xf00));
	s.limit = (s.attrib & HV_SEG_ATTR_G) ? (limit << 12) | 0xfff : limit;
	s.base = ((desc >> 16) & 0xffffff) | (((desc >> 56) & 0xff) << 24);
	return s;
}

static struct hv_segment seg(u16 sel, u64 base, u32 limit, u16 attrib)
{
	return (struct hv_segment){.selector = sel, .attrib = attrib, .limit = limit, .base = base};
}

void vcpu_state_multiboot(struct vcpu_state *st, u32 entry, u32 eax_magic, u32 ebx_info,
			  u32 gdt_base)
{
	memset(st, 0, sizeof(*st));
	st->regs.rip = entry;
	st->regs.rax = eax_magic;
	st->regs.rbx = ebx_info;
	st->regs.rflags = 0x2; /* bit 1 is reserved as 1 */
	for (unsigned i = HV_SEG_ES; i <= HV_SEG_GS; i++)
		st->seg[i] = seg_from_desc(VCPU_FLAT_DS, flat_gdt[VCPU_FLAT_DS / 8]);
	st->seg[HV_SEG_CS] = seg_from_desc(VCPU_FLAT_CS, flat_gdt[VCPU_FLAT_CS / 8]);
	st->seg[HV_SEG_LDTR] = seg(0, 0, 0, 0); /* unusable: no LDT */
	st->seg[HV_SEG_TR] = seg(0, 0, 0x67, HV_SEG_ATTR_P | TYPE_TSS32_BUSY);
	st->gdtr.base = gdt_base;
	st->gdtr.limit = VCPU_FLAT_GDT_SIZE - 1;
	st->cr0 = CR0_PE | CR0_ET;
}

void vcpu_state_real_mode(struct vcpu_state *st, u16 cs_selector, u16 ip)
{
	const u16 data = HV_SEG_ATTR_P | HV_SEG_ATTR_S | TYPE_DATA_RWA;
	memset(st, 0, sizeof(*st));
	st->regs.rip = ip;
	st->regs.rflags = 0x2;
	for (unsigned i = HV_SEG_ES; i <= HV_SEG_GS; i++)
		st->seg[i] = seg(0, 0, 0xffff, data);
	st->seg[HV_SEG_CS] = seg(cs_selector, (u64)cs_selector << 4, 0xffff,
				 HV_SEG_ATTR_P | HV_SEG_ATTR_S | TYPE_CODE_XRA);
	st->seg[HV_SEG_LDTR] = seg(0, 0, 0xffff, HV_SEG_ATTR_P | TYPE_LDT);
	st->seg[HV_SEG_TR] = seg(0, 0, 0xffff, HV_SEG_ATTR_P | TYPE_TSS32_BUSY);
	st->gdtr.limit = 0xffff;
	st->idtr.limit = 0xffff;
	st->cr0 = CR0_ET;
}
