/*
 * The guest page walk (interface in gva.h), after the Intel SDM Vol 3A
 * (325384-081): 4.1 (paging modes), 4.3 (32-bit paging, Tables 4-4 to
 * 4-6), 4.4 (PAE paging, Tables 4-8 to 4-11), 4.5 (4- and 5-level paging,
 * Tables 4-14 to 4-20), 4.6 (access rights: R/W with CR0.WP, U/S, XD with
 * EFER.NXE, SMEP) and 4.7 (the #PF error code).
 */
#include "vmm/emulate/gva.h"

#define CR0_WP BIT(16)
#define CR0_PG BIT(31)
#define CR4_PSE BIT(4)
#define CR4_PAE BIT(5)
#define CR4_LA57 BIT(12)
#define CR4_SMEP BIT(20)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

/* Paging-entry bits common to every mode (SDM Vol 3A Table 4-19 and kin). */
#define PTE_P BIT(0)
#define PTE_RW BIT(1)
#define PTE_US BIT(2)
#define PTE_PS BIT(7)
#define PTE_XD BIT(63)

/* What a walk returns for a page fault (its error bits in *ERR), distinct
 * from every error of the read callback. */
#define WALK_FAULT 1

/* What the walk gathered on its way down: the rights every level grants. */
struct walk {
	bool writable;   /* R/W set at every level */
	bool user;       /* U/S set at every level */
	bool no_exec;    /* XD set at some level (with NXE) */
};

/* Bits MAXPHYADDR..51 of an entry: reserved (SDM Vol 3A 4.5.4). */
static u64 above_maxphy(unsigned maxphy)
{
	return (BIT(52) - 1) & ~(BIT(maxphy) - 1);
}

/* The access-rights checks of SDM Vol 3A 4.6 on the rights W gathered:
 * 0, or the P bit (a protection violation). */
static u32 check_rights(const struct gva_cpu *cpu, const struct walk *w, unsigned access)
{
	bool user = access & GVA_USER;
	if (user && !w->user)
		return PFEC_P;
	if ((access & GVA_WRITE) && !w->writable && (user || (cpu->cr0 & CR0_WP)))
		return PFEC_P;
	if (access & GVA_FETCH) {
		if (w->no_exec)
			return PFEC_P;
		if (!user && w->user && (cpu->cr4 & CR4_SMEP))
			return PFEC_P;
	}
	return 0;
}

/* Fold entry E into the rights W has gathered. */
static void gather(struct walk *w, u64 e, bool nxe)
{
	w->writable &= (e & PTE_RW) != 0;
	w->user &= (e & PTE_US) != 0;
	w->no_exec |= nxe && (e & PTE_XD);
}

/*
 * 32-bit paging (SDM Vol 3A 4.3): a 4-byte PDE, then a 4-byte PTE or a
 * 4-MiB page with CR4.PSE (PSE-36: PDE bits 20:13 are address bits 39:32,
 * bit 21 reserved).  0 with *GPA, WALK_FAULT with the fault's error bits
 * in *ERR, or the read's error.
 */
static int walk32(const struct gva_cpu *cpu, u32 gva, gva_read_fn read, void *opaque,
		  struct walk *w, u64 *gpa, u32 *err)
{
	u64 pde, pte;
	unsigned maxphy = MIN(cpu->maxphyaddr, 40);
	int r = read(opaque, (cpu->cr3 & 0xfffff000) + ((gva >> 22) & 0x3ff) * 4, 4, &pde);
	if (r)
		return r;
	if (!(pde & PTE_P))
		return *err = 0, WALK_FAULT;
	gather(w, pde, false);
	if ((pde & PTE_PS) && (cpu->cr4 & CR4_PSE)) {
		u64 hi = (pde >> 13) & 0xff; /* address bits 39:32 */
		if ((pde & BIT(21)) || (hi << 32) & above_maxphy(maxphy))
			return *err = PFEC_P | PFEC_RSVD, WALK_FAULT;
		*gpa = (pde & 0xffc00000) | (hi << 32) | (gva & 0x3fffff);
		return 0;
	}
	r = read(opaque, (pde & 0xfffff000) + ((gva >> 12) & 0x3ff) * 4, 4, &pte);
	if (r)
		return r;
	if (!(pte & PTE_P))
		return *err = 0, WALK_FAULT;
	gather(w, pte, false);
	*gpa = (pte & 0xfffff000) | (gva & 0xfff);
	return 0;
}

/*
 * The 8-byte-entry walks: PAE (SDM Vol 3A 4.4: four PDPTEs at CR3[31:5],
 * then PD and PT) and 4-/5-level paging (4.5: from CR3[51:12]).  A 1-GiB
 * page (PS in a PDPTE) exists only with 4/5 levels, a 2-MiB one in a PDE;
 * PS is reserved in PML4Es and PML5Es, XD is reserved without NXE.
 */
static int walk64(const struct gva_cpu *cpu, u64 gva, gva_read_fn read, void *opaque,
		  struct walk *w, u64 *gpa, u32 *err)
{
	bool nxe = cpu->efer & EFER_NXE, lma = cpu->efer & EFER_LMA;
	u64 rsvd_pa = above_maxphy(cpu->maxphyaddr);
	u64 addr_mask = (BIT(52) - 1) & ~0xfffULL;
	u64 rsvd_common = rsvd_pa | (nxe ? 0 : PTE_XD);
	u64 table, e;
	int level, r;

	if (lma) {
		level = (cpu->cr4 & CR4_LA57) ? 5 : 4;
		table = cpu->cr3 & addr_mask & ~rsvd_pa;
	} else {
		/* PAE: the PDPTE (bits 2:1, 8:5 and 63 reserved, 4.4.1) grants no rights. */
		r = read(opaque, (cpu->cr3 & 0xffffffe0) + ((gva >> 30) & 3) * 8, 8, &e);
		if (r)
			return r;
		if (!(e & PTE_P))
			return *err = 0, WALK_FAULT;
		if (e & (rsvd_pa | 0x1e6 | BIT(63)))
			return *err = PFEC_P | PFEC_RSVD, WALK_FAULT;
		table = e & addr_mask;
		level = 2;
	}
	for (; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		if ((r = read(opaque, table + ((gva >> shift) & 511) * 8, 8, &e)))
			return r;
		if (!(e & PTE_P))
			return *err = 0, WALK_FAULT;
		u64 rsvd = rsvd_common;
		bool leaf = level == 1 || ((e & PTE_PS) && (level == 2 || (level == 3 && lma)));
		if (level >= 4 || (level == 3 && !lma))
			rsvd |= PTE_PS;
		if (leaf && level > 1)
			rsvd |= (BIT(shift) - 1) & ~0x1fffULL; /* bits shift-1..13; 12 is PAT */
		if (e & rsvd)
			return *err = PFEC_P | PFEC_RSVD, WALK_FAULT;
		gather(w, e, nxe);
		if (leaf) {
			*gpa = (e & addr_mask & ~(BIT(shift) - 1)) | (gva & (BIT(shift) - 1));
			return 0;
		}
		table = e & addr_mask;
	}
	return -E_INVAL; /* not reached */
}

int gva_translate(const struct gva_cpu *cpu, u64 gva, unsigned access, gva_read_fn read,
		  void *opaque, u64 *gpa, u32 *pfec)
{
	struct gva_cpu c = *cpu;
	if (!c.maxphyaddr || c.maxphyaddr > 52)
		c.maxphyaddr = 52;
	if (!(c.cr0 & CR0_PG)) {
		*gpa = (u32)gva;
		return 0;
	}
	bool lma = c.efer & EFER_LMA;
	if (lma) {
		/* Non-canonical addresses give #GP, not #PF (SDM Vol 1 3.3.7.1). */
		unsigned bits = (c.cr4 & CR4_LA57) ? 57 : 48;
		u64 top = gva >> (bits - 1);
		if (top != 0 && top != (~0ULL >> (bits - 1)))
			return -E_RANGE;
	} else {
		gva = (u32)gva;
	}
	struct walk w = {.writable = true, .user = true};
	u32 err = 0;
	int r = (lma || (c.cr4 & CR4_PAE)) ? walk64(&c, gva, read, opaque, &w, gpa, &err) :
					    walk32(&c, (u32)gva, read, opaque, &w, gpa, &err);
	if (r == 0) {
		err = check_rights(&c, &w, access);
		if (!err)
			return 0;
		r = WALK_FAULT;
	}
	if (r != WALK_FAULT)
		return r;
	if (access & GVA_WRITE)
		err |= PFEC_W;
	if (access & GVA_USER)
		err |= PFEC_U;
	if ((access & GVA_FETCH) &&
	    ((c.cr4 & CR4_SMEP) || ((c.cr4 & CR4_PAE) && (c.efer & EFER_NXE))))
		err |= PFEC_I;
	*pfec = err;
	return -E_FAULT;
}
