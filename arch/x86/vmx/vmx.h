#ifndef PAGODA_VMX_H
#define PAGODA_VMX_H
#include "mm/tdp_fmt.h"
#include "vmm/hv.h"

/* The Intel VMX ops table (arch/x86/vmx/vmx.c); hv_select() picks it when
 * SVM is absent. */
extern const struct hv_ops vmx_ops;

/* The EPT format (arch/x86/vmx/ept.c), filled by ept_fmt_init() from
 * IA32_VMX_EPT_VPID_CAP; AD tells whether the EPTP will enable A/D flags. */
extern struct tdp_fmt ept_fmt;
void ept_fmt_init(u64 ept_cap, bool ad);

#endif
