#ifndef PAGODA_NPT_H
#define PAGODA_NPT_H
#include "mm/tdp_fmt.h"
/* The NPT format, filled by npt_fmt_init() from CPUID (MAXPHYADDR, 1G pages). */
extern struct tdp_fmt npt_fmt;
void npt_fmt_init(void);
#endif
