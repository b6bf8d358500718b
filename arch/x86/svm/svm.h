#ifndef PAGODA_SVM_H
#define PAGODA_SVM_H
#include "vmm/hv.h"
/* The AMD SVM ops table (arch/x86/svm/svm.c). */
extern const struct hv_ops svm_ops;
#endif
