/* The per-guest device bus (vmm/dev/bus.h). */
#include "vmm/dev/bus.h"
#include "lib/string.h"
#include "mm/mm_env.h"
#include "mm/pmm.h"

static int bus_add(struct bus *b, const struct dev_ops *ops, void *opaque, u64 base, u64 size,
		   bool mmio)
{
	if (b->nr_rows == BUS_MAX_ROWS)
		return -E_BUSY;
	for (unsigned i = 0; i < b->nr_rows; i++) {
		const struct bus_row *r = &b->rows[i];
		if (r->mmio == mmio && base < r->base + r->size && r->base < base + size)
			return -E_EXIST;
	}
	b->rows[b->nr_rows++] = (struct bus_row){ops, opaque, base, size, mmio};
	return 0;
}

int bus_add_io(struct bus *b, const struct dev_ops *ops, void *opaque, u16 base, u16 count)
{
	return bus_add(b, ops, opaque, base, count, false);
}

int bus_add_mmio(struct bus *b, const struct dev_ops *ops, void *opaque, u64 base, u64 size)
{
	return bus_add(b, ops, opaque, base, size, true);
}

void *bus_alloc(struct bus *b, size_t size)
{
	size = ALIGN_UP(size, 16);
	if (!b->arena_pa) {
		b->arena_pa = pmm_alloc_page();
		if (!b->arena_pa)
			return NULL;
		memset(phys_to_virt(b->arena_pa), 0, PAGE_SIZE);
		b->arena_used = 0;
	}
	if (size > PAGE_SIZE - b->arena_used)
		return NULL;
	void *p = (u8 *)phys_to_virt(b->arena_pa) + b->arena_used;
	b->arena_used += size;
	return p;
}

void bus_destroy(struct bus *b)
{
	if (b->arena_pa)
		pmm_free_page(b->arena_pa);
	memset(b, 0, sizeof(*b));
}

bool bus_io(struct bus *b, struct vcpu *v, u16 port, u8 size, bool in, u32 *val)
{
	for (unsigned i = 0; i < b->nr_rows; i++) {
		const struct bus_row *r = &b->rows[i];
		if (!r->mmio && port >= r->base && port < r->base + r->size) {
			r->ops->io(v, r->opaque, port, size, in, val);
			return true;
		}
	}
	if (in)
		*val = 0xffffffff;
	return false;
}

int bus_move_mmio(struct bus *b, const struct dev_ops *ops, u64 new_base)
{
	struct bus_row *row = NULL;
	for (unsigned i = 0; i < b->nr_rows; i++)
		if (b->rows[i].mmio && b->rows[i].ops == ops)
			row = &b->rows[i];
	if (!row)
		return -E_NOENT;
	for (unsigned i = 0; i < b->nr_rows; i++) {
		const struct bus_row *o = &b->rows[i];
		if (o != row && o->mmio && new_base < o->base + o->size && o->base < new_base + row->size)
			return -E_EXIST;
	}
	row->base = new_base;
	return 0;
}

const struct bus_row *bus_find_mmio(struct bus *b, u64 gpa)
{
	for (unsigned i = 0; i < b->nr_rows; i++) {
		const struct bus_row *r = &b->rows[i];
		if (r->mmio && gpa >= r->base && gpa - r->base < r->size)
			return r;
	}
	return NULL;
}
