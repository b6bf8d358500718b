/*
 * MMIO and string-I/O emulation for the exit path (interface in mmio.h):
 * the guest's mode from its CR0/EFER/CS (Intel SDM Vol 3A 325384-081,
 * 2.5 and 9.8; AMD APM Vol 2 14.6), the instruction fetched at CS:rIP
 * through its page tables (gva.c), decoded (decode.c) and executed
 * (emulate.c) with every memory access walked again and sent to guest RAM,
 * a device row of the bus, or nowhere (an unassigned address: all ones).
 *
 * What is not checked: segment limits and types (a flat-model OS never
 * trips them), SMAP, alignment checks.  Accessed/dirty bits of the guest's
 * page tables are not set by emulated accesses.
 */
#include "vmm/emulate/mmio.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/tdp_mmu.h"
#include "vmm/emulate/decode.h"
#include "vmm/emulate/emulate.h"
#include "vmm/emulate/gva.h"
#include "vmm/policy.h"
#include "vmm/vm.h"

#define CR0_PE BIT(0)
#define EFER_LMA BIT(10)
#define RFLAGS_VM BIT(17)
#define X86_GP 13
#define X86_PF 14

_Static_assert((int)SEG_ES == (int)HV_SEG_ES && (int)SEG_CS == (int)HV_SEG_CS &&
		       (int)SEG_SS == (int)HV_SEG_SS && (int)SEG_DS == (int)HV_SEG_DS &&
		       (int)SEG_FS == (int)HV_SEG_FS && (int)SEG_GS == (int)HV_SEG_GS,
	       "decode.h's segment numbers are enum hv_seg's");

/* One emulation in progress: the vCPU, its paging state, what went wrong. */
struct mmio_ctx {
	struct vcpu *v;
	struct guest *g;
	struct gva_cpu cpu;   /* CR0, CR3, CR4, EFER, MAXPHYADDR for the walks */
	unsigned mode;        /* code size: 2, 4 or 8 bytes */
	bool user;            /* CPL 3: user-mode page checks */
	bool pf;              /* a walk faulted: inject #PF(pfec) with CR2 = pf_gva */
	u32 pfec;             /* its error code */
	u64 pf_gva;           /* its linear address */
	bool gp;              /* a non-canonical address: inject #GP(0) */
	bool dead;            /* a device or a failed read of the tables ended the guest */
};

/* ---- unassigned guest-physical addresses: logged once per page ---- */

/*
 * The pages already reported, per guest slot (struct guest has no room of
 * ours; the lead may move this into it).  Bounded: UNASSIGNED_PAGES pages
 * per guest are remembered, after which one more line says that further
 * pages go unlogged.  A slot is reset when another guest (pointer and
 * start time) uses it.  Entries are claimed with compare-and-exchange, so
 * vCPUs of one guest on several CPUs log a page once; two vCPUs of a
 * guest's very first unassigned access may both reset the slot and log
 * that page twice (harmless).
 */
#define UNASSIGNED_PAGES 32
struct unassigned_log {
	struct guest *owner;        /* the guest these pages belong to */
	u64 owner_start;            /* its start_tsc (a slot reused by a new guest resets) */
	u64 pages[UNASSIGNED_PAGES]; /* page number + 1 of each logged page, 0 = free */
	bool full_told;             /* "no more pages logged" said */
};
static struct unassigned_log unassigned[GUEST_MAX];

/* Log an access to unassigned GPA by G, the first time for its page. */
static void unassigned_note(struct vcpu *v, u64 gpa, bool write)
{
	struct guest *g = v->guest;
	struct unassigned_log *l = &unassigned[g->id % GUEST_MAX];
	if (READ_ONCE(l->owner) != g || READ_ONCE(l->owner_start) != g->start_tsc) {
		memset(l->pages, 0, sizeof(l->pages));
		l->full_told = false;
		WRITE_ONCE(l->owner_start, g->start_tsc);
		WRITE_ONCE(l->owner, g);
	}
	u64 key = (gpa >> PAGE_SHIFT) + 1;
	for (unsigned i = 0; i < UNASSIGNED_PAGES; i++) {
		u64 cur = __atomic_load_n(&l->pages[i], __ATOMIC_RELAXED);
		if (cur == key)
			return;
		if (cur == 0) {
			if (!__atomic_compare_exchange_n(&l->pages[i], &cur, key, false,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
				if (cur == key)
					return;
				continue; /* another page took it: look further */
			}
			pr_warn("mmio", "guest %s: %s unassigned gpa 0x%lx at rip=0x%lx: reads as all "
				"ones, writes ignored (logged once per page)", g->name,
				write ? "write to" : "read of", gpa, v->hw.regs.rip);
			return;
		}
	}
	if (!__atomic_exchange_n(&l->full_told, true, __ATOMIC_RELAXED))
		pr_warn("mmio", "guest %s: more than %u unassigned pages touched, no more logged",
			g->name, UNASSIGNED_PAGES);
}

/* ---- guest-physical accesses ---- */

/*
 * LEN bytes at GPA (inside one page) read into / written from BUF: guest
 * RAM if a memslot backs it, else the device row covering it (in
 * naturally sized pieces: 1, 2, 4 or 8 bytes), else nothing.  0, or
 * negative when the guest was ended.
 */
static int gpa_access(struct mmio_ctx *c, u64 gpa, void *buf, unsigned len, bool write)
{
	int r = write ? tdp_write_guest(c->g->mmu, gpa, buf, len) :
			tdp_read_guest(c->g->mmu, gpa, buf, len);
	if (r != -E_FAULT) {
		if (r) {
			guest_crash(c->g, "emulated access to gpa 0x%lx failed (%d)", gpa, r);
			c->dead = true;
		}
		return r;
	}
	const struct bus_row *row = bus_find_mmio(&c->g->bus, gpa);
	if (!row || !row->ops->mmio) {
		unassigned_note(c->v, gpa, write);
		if (!write)
			memset(buf, 0xff, len);
		return 0;
	}
	u8 *p = buf;
	while (len) {
		unsigned piece = len;
		if (piece != 1 && piece != 2 && piece != 4 && piece != 8)
			piece = 1; /* an odd split at a page end: byte by byte */
		u64 val = 0;
		if (write)
			memcpy(&val, p, piece);
		r = row->ops->mmio(c->v, row->opaque, gpa, (u8)piece, write, &val);
		if (r || c->g->state != GUEST_RUNNING) {
			c->dead = true;
			return r ? r : -E_BUSY;
		}
		if (!write)
			memcpy(p, &val, piece);
		p += piece;
		gpa += piece;
		len -= piece;
	}
	return 0;
}

/* The walker's view of guest RAM: a paging entry of SIZE bytes at GPA.
 * Tables outside RAM end the walk with an error. */
static int read_table(void *opaque, u64 gpa, unsigned size, u64 *val)
{
	struct mmio_ctx *c = opaque;
	*val = 0;
	return tdp_read_guest(c->g->mmu, gpa, val, size);
}

/*
 * The GPA of linear address LA for an access ACCESS (GVA_WRITE/GVA_FETCH).
 * 0, or negative with c->pf / c->gp / c->dead saying why.
 */
static int translate(struct mmio_ctx *c, u64 la, unsigned access, u64 *gpa)
{
	u32 pfec;
	if (c->user)
		access |= GVA_USER;
	int r = gva_translate(&c->cpu, la, access, read_table, c, gpa, &pfec);
	if (r == -E_FAULT) {
		c->pf = true;
		c->pfec = pfec;
		c->pf_gva = la;
	} else if (r == -E_RANGE) {
		c->gp = true;
	} else if (r) {
		guest_crash(c->g, "page walk for 0x%lx at rip=0x%lx read a table outside RAM (%d)",
			    la, c->v->hw.regs.rip, r);
		c->dead = true;
	}
	return r;
}

/* LEN bytes at linear LA, split at page boundaries, each piece walked. */
static int la_access(struct mmio_ctx *c, u64 la, void *buf, unsigned len, bool write)
{
	u8 *p = buf;
	while (len) {
		unsigned piece = MIN(len, PAGE_SIZE - (la & (PAGE_SIZE - 1)));
		u64 gpa;
		int r = translate(c, la, write ? GVA_WRITE : 0, &gpa);
		if (!r)
			r = gpa_access(c, gpa, p, piece, write);
		if (r)
			return r;
		p += piece;
		la += piece;
		len -= piece;
	}
	return 0;
}

/* ---- the emulator's callbacks ---- */

static u64 op_seg_base(void *ctx, unsigned seg)
{
	struct mmio_ctx *c = ctx;
	struct hv_segment s;
	hv->get_segment(&c->v->hw, (enum hv_seg)seg, &s);
	return s.base;
}

static int op_read(void *ctx, u64 la, void *buf, unsigned len)
{
	return la_access(ctx, la, buf, len, false);
}

static int op_write(void *ctx, u64 la, const void *buf, unsigned len)
{
	return la_access(ctx, la, (void *)buf, len, true);
}

static int op_pio(void *ctx, u16 port, unsigned size, bool in, u32 *val)
{
	struct mmio_ctx *c = ctx;
	bus_io(&c->g->bus, c->v, port, (u8)size, in, val);
	if (c->g->state != GUEST_RUNNING) {
		c->dead = true; /* the device ended the guest (debug exit) */
		return -E_BUSY;
	}
	return 0;
}

/* ---- one emulation ---- */

/*
 * Fill C for V: paging state, code size (real and virtual-8086 mode 16-bit;
 * long mode with CS.L 64-bit; else CS.D/B) and whether CPL is 3 (SS.DPL in
 * protected mode, as hv_ops promises).
 */
static void ctx_init(struct mmio_ctx *c, struct vcpu *v)
{
	memset(c, 0, sizeof(*c));
	c->v = v;
	c->g = v->guest;
	c->cpu.cr0 = hv->get_cr(&v->hw, 0);
	c->cpu.cr3 = hv->get_cr(&v->hw, 3);
	c->cpu.cr4 = hv->get_cr(&v->hw, 4);
	c->cpu.efer = hv->get_efer(&v->hw);
	c->cpu.maxphyaddr = (u8)cpuid_guest_maxphyaddr();
	struct hv_segment cs, ss;
	hv->get_segment(&v->hw, HV_SEG_CS, &cs);
	hv->get_segment(&v->hw, HV_SEG_SS, &ss);
	if (!(c->cpu.cr0 & CR0_PE)) {
		c->mode = 2;
	} else if (v->hw.regs.rflags & RFLAGS_VM) {
		c->mode = 2;
		c->user = true;
	} else {
		if ((c->cpu.efer & EFER_LMA) && (cs.attrib & HV_SEG_ATTR_L))
			c->mode = 8;
		else
			c->mode = (cs.attrib & HV_SEG_ATTR_DB) ? 4 : 2;
		c->user = ((ss.attrib >> 5) & 3) == 3;
	}
}

/*
 * Fetch up to 15 instruction bytes at CS:rIP into BYTES; returns how many
 * (fewer when a later page faults: c->pf then describes that page's fault,
 * for the decoder to need or not).  0 when not even the first byte could
 * be fetched.
 */
static unsigned fetch(struct mmio_ctx *c, u8 *bytes)
{
	u64 la = op_seg_base(c, SEG_CS) + c->v->hw.regs.rip;
	if (c->mode != 8)
		la = (u32)la;
	unsigned got = 0;
	while (got < INSN_MAX_LEN) {
		unsigned piece = MIN(INSN_MAX_LEN - got, PAGE_SIZE - (la & (PAGE_SIZE - 1)));
		u64 gpa;
		if (translate(c, la, GVA_FETCH, &gpa))
			break;
		if (tdp_read_guest(c->g->mmu, gpa, bytes + got, piece))
			break; /* code outside RAM: not emulated */
		got += piece;
		la += piece;
	}
	return got;
}

/* Queue the exception the failed emulation in C calls for. */
static void inject_fault(struct mmio_ctx *c)
{
	struct hv_event ev = {.valid = true, .type = HV_EVENT_EXCEPTION};
	if (c->pf) {
		hv->set_cr2(&c->v->hw, c->pf_gva);
		ev.vector = X86_PF;
		ev.has_error = true;
		ev.error = c->pfec;
		pr_info("mmio", "guest %s: #PF (error 0x%x) at 0x%lx during emulation at rip=0x%lx",
			c->g->name, c->pfec, c->pf_gva, c->v->hw.regs.rip);
	} else {
		ev.vector = X86_GP;
		ev.has_error = true;
		ev.error = 0;
	}
	int r = vcpu_inject_event(c->v, &ev);
	if (r)
		pr_err("mmio", "guest %s: exception %u not injected (%d)", c->g->name, ev.vector, r);
}

/*
 * Fetch, decode and run the instruction at V's CS:rIP.  WHAT names the
 * exit for the crash reason (the MMIO GPA or the port); STRING_IO demands
 * an INS/OUTS (anything else there means the exit and the bytes disagree).
 */
static bool emulate_at_rip(struct vcpu *v, const char *what, u64 where, bool string_io)
{
	struct mmio_ctx c;
	u8 bytes[INSN_MAX_LEN];
	struct insn in;
	const struct emul_ops ops = {.ctx = &c, .seg_base = op_seg_base, .read = op_read,
				     .write = op_write, .pio = op_pio};

	ctx_init(&c, v);
	unsigned n = fetch(&c, bytes);
	if (c.dead)
		return false;
	int r = n ? insn_decode(bytes, n, c.mode, &in) : -E_RANGE;
	if (r == -E_RANGE && (c.pf || c.gp)) {
		inject_fault(&c); /* the fetch itself faulted */
		return true;
	}
	if (!r && string_io != (in.op == INSN_INS || in.op == INSN_OUTS))
		r = -E_NOSYS;
	if (r) {
		char hex[3 * INSN_MAX_LEN + 1] = "";
		for (unsigned i = 0; i < n; i++)
			snprintf(hex + 3 * i, 4, "%02x ", bytes[i]);
		if (n)
			hex[3 * n - 1] = 0;
		guest_crash(v->guest, "%s 0x%lx: cannot emulate the %u-bit instruction at rip=0x%lx "
			    "(bytes: %s)", what, where, c.mode * 8, v->hw.regs.rip,
			    n ? hex : "not fetchable");
		return false;
	}
	/* A fetch fault past the instruction does not matter. */
	c.pf = c.gp = false;
	r = emulate_insn(&in, &v->hw.regs, &ops);
	if (!r)
		return true;
	if (c.dead)
		return false;
	if (c.pf || c.gp) {
		inject_fault(&c);
		return true;
	}
	guest_crash(v->guest, "%s 0x%lx: %s at rip=0x%lx failed (%d)", what, where,
		    insn_op_name(in.op), v->hw.regs.rip, r);
	return false;
}

bool emulate_mmio(struct vcpu *v, u64 gpa)
{
	return emulate_at_rip(v, "MMIO at gpa", gpa, false);
}

bool emulate_string_io(struct vcpu *v, const struct vm_exit *e)
{
	return emulate_at_rip(v, "string I/O on port", e->io.port, true);
}
