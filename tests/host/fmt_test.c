/*
 * Entry formats for the host tests, written from the manuals (the real ones
 * are filled by arch/x86/svm/npt.c and arch/x86/vmx/ept.c).
 *
 * NPT (AMD APM vol. 2, 15.25 and the long-mode PTE layouts of 5.3.3): P=0,
 * R/W=1, U/S=2, A=5, D=6, PS=7, NX=63, address 51:12.  MMIO: P=1 with bits
 * 51:48 set, reserved above a 48-bit MAXPHYADDR, so the access faults with
 * RSVD=1 in the #NPF error code; bits 62:52 (available) carry the
 * generation.
 *
 * EPT (Intel SDM vol. 3C, 29.3.2): R=0, W=1, X=2, memory type 5:3 (WB=6),
 * IPAT=6, PS=7, A=8, D=9, address 51:12.  MMIO: bits 2:0 = 010 (write
 * without read), an EPT misconfiguration (29.3.3.1); bits 62:52 carry the
 * generation.
 */
#include "tests/host/host_env.h"

#define ADDR_51_12 0x000ffffffffff000ULL
#define GEN_62_52 0x7ff0000000000000ULL

const struct tdp_fmt tdp_fmt_test_npt = {
	.name = "npt",
	.present_mask = BIT(0),
	.readable_mask = BIT(0),
	.writable_mask = BIT(1),
	.exec_mask = 0,
	.nx_mask = BIT(63),
	.user_mask = BIT(2),
	.large_mask = BIT(7),
	.accessed_mask = BIT(5),
	.dirty_mask = BIT(6),
	.memtype_leaf = 0,
	.nonleaf_bits = BIT(0) | BIT(1) | BIT(2),
	.addr_mask = ADDR_51_12,
	.mmio_mask = BIT(0) | 0x000f000000000000ULL,
	.mmio_value = BIT(0) | 0x000f000000000000ULL,
	.mmio_gen_mask = GEN_62_52,
	.mmio_gen_shift = 52,
	.huge_2m = true,
	.huge_1g = true,
	.levels = 4,
};

const struct tdp_fmt tdp_fmt_test_ept = {
	.name = "ept",
	.present_mask = BIT(0),
	.readable_mask = BIT(0),
	.writable_mask = BIT(1),
	.exec_mask = BIT(2),
	.nx_mask = 0,
	.user_mask = 0,
	.large_mask = BIT(7),
	.accessed_mask = BIT(8),
	.dirty_mask = BIT(9),
	.memtype_leaf = (6ULL << 3) | BIT(6),
	.nonleaf_bits = BIT(0) | BIT(1) | BIT(2),
	.addr_mask = ADDR_51_12,
	.mmio_mask = 0x7,
	.mmio_value = 0x2,
	.mmio_gen_mask = GEN_62_52,
	.mmio_gen_shift = 52,
	.huge_2m = true,
	.huge_1g = true,
	.levels = 4,
};
