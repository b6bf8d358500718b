/*
 * Page tables of the VMM itself.  The VMM addresses physical memory through
 * an identity map (mm/mm_env.h relies on it), so after ExitBootServices we
 * build our own: the firmware's tables live in boot-services memory we do
 * not own.  Leaves are writable, executable, supervisor, write-back by PAT
 * entry 0; MMIO above RAM gets its memory type from the MTRRs the firmware
 * programmed (UC for the APIC and PCI holes), which wins over WB in PAT
 * (SDM Vol 3 12.5.2.2).
 */
#include "arch/x86/paging.h"
#include "arch/x86/cpu.h"
#include "mm/pmm.h"
#include "mm/mm_env.h"
#include "lib/log.h"

#define PTE_P BIT(0)
#define PTE_W BIT(1)
#define PTE_PS BIT(7)

int paging_init(u64 max_phys, u64 *pages)
{
	u64 end = ALIGN_UP(MAX(max_phys, GiB(4)), GiB(1));
	u64 ngb = end / GiB(1);
	bool gb_pages = cpuid(0x80000001).edx & BIT(26); /* Page1GB */
	u64 used = 0;

	if (ngb > 512 * 512ULL)
		ngb = 512 * 512ULL; /* 256 TiB: more than 4-level paging maps anyway */
	u64 pml4_pa = pmm_alloc_page_zeroed();
	if (!pml4_pa)
		return -E_NOMEM;
	used++;
	u64 *pml4 = phys_to_virt(pml4_pa);
	for (u64 g = 0; g < ngb; g++) {
		u64 i4 = g / 512, i3 = g % 512;
		if (!(pml4[i4] & PTE_P)) {
			u64 pa = pmm_alloc_page_zeroed();
			if (!pa)
				return -E_NOMEM;
			used++;
			pml4[i4] = pa | PTE_P | PTE_W;
		}
		u64 *pdpt = phys_to_virt(pml4[i4] & ~0xfffULL);
		if (gb_pages) {
			pdpt[i3] = g * GiB(1) | PTE_P | PTE_W | PTE_PS;
			continue;
		}
		u64 pd_pa = pmm_alloc_page_zeroed();
		if (!pd_pa)
			return -E_NOMEM;
		used++;
		u64 *pd = phys_to_virt(pd_pa);
		for (int i2 = 0; i2 < 512; i2++)
			pd[i2] = (g * GiB(1) + (u64)i2 * MiB(2)) | PTE_P | PTE_W | PTE_PS;
		pdpt[i3] = pd_pa | PTE_P | PTE_W;
	}
	write_cr3(pml4_pa);
	*pages = used;
	return 0;
}
