/*
 * Basic types and helpers shared by every part of pagoda: boot/, arch/, mm/,
 * vmm/ and the host-side test builds of mm/ and the parsers.  Only
 * freestanding compiler headers are used, so the same file serves the VMM
 * (no libc) and a Linux test program.
 */
#ifndef PAGODA_TYPES_H
#define PAGODA_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ULL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))

#define KiB(x) ((u64)(x) << 10)
#define MiB(x) ((u64)(x) << 20)
#define GiB(x) ((u64)(x) << 30)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((u64)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((u64)(a) - 1)) == 0)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define BIT(n) (1ULL << (n))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __packed __attribute__((packed))
#define __aligned(n) __attribute__((aligned(n)))
#define __noreturn __attribute__((noreturn))
#define __printf(a, b) __attribute__((format(printf, a, b)))

#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* Error codes: functions return 0 or a negative one of these. */
#define E_OK 0
#define E_NOMEM 12    /* out of host pages or heap */
#define E_INVAL 22    /* malformed argument, image or config */
#define E_PERM 1      /* not allowed from where it was asked (a hypercall at CPL > 0) */
#define E_NOENT 2     /* no such guest, file or slot */
#define E_EXIST 17    /* name or range already in use */
#define E_BUSY 16     /* object in a state that forbids the operation */
#define E_NOSYS 38    /* unknown hypercall or command */
#define E_RANGE 34    /* value out of range */
#define E_NODEV 19    /* no virtualization support / no device */
#define E_AGAIN 11    /* lost a race; retry */
#define E_FAULT 14    /* bad guest address */

/* Spin-wait hint to the CPU (PAUSE on x86). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__)
	__asm__ volatile("pause" ::: "memory");
#endif
}

#endif
