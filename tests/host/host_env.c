/*
 * The world mm/ expects, for Linux: the log on stderr, a monotonic clock,
 * "physical" memory that is plain anonymous mappings (identity mapped, as
 * mm_env.h says), and one execution context per thread.
 */
#include "tests/host/host_env.h"
#include "mm/mm_env.h"
#include "mm/pmm.h"
#include "lib/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

int host_log_level = LOG_WARN;

/*
 * mm/'s per-context record (mm/mm_env.h): each thread of a test stands in
 * for a CPU, so each gets its own, zeroed when the thread starts.
 */
static __thread struct mm_ctx host_mm_ctx;

struct mm_ctx *mm_ctx_self(void) { return &host_mm_ctx; }

static u64 start_us;

u64 time_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000 + (u64)ts.tv_nsec / 1000;
}

static void vlog(const char *subsys, const char *fmt, va_list ap)
{
	if (!start_us)
		start_us = time_us();
	u64 t = time_us() - start_us;
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "[%5llu.%06llu] %s: %s\n", (unsigned long long)(t / 1000000),
		(unsigned long long)(t % 1000000), subsys, line);
}

void log_msg(const char *subsys, const char *fmt, ...)
{
	va_list ap;
	if (host_log_level < LOG_INFO)
		return;
	va_start(ap, fmt);
	vlog(subsys, fmt, ap);
	va_end(ap);
}

void log_lvl(enum log_level level, const char *subsys, const char *fmt, ...)
{
	va_list ap;
	if ((int)level > host_log_level)
		return;
	va_start(ap, fmt);
	vlog(subsys, fmt, ap);
	va_end(ap);
}

__attribute__((constructor)) static void host_env_init(void)
{
	const char *l = getenv("PAGODA_LOG");
	if (l)
		host_log_level = atoi(l);
}

void *host_map(u64 bytes, u64 align)
{
	u64 len = bytes + align;
	u8 *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		     -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return (void *)ALIGN_UP((uintptr_t)p, align);
}

u64 host_pmm_setup(u64 bytes)
{
	u64 base = (u64)(uintptr_t)host_map(bytes, MiB(2));
	pmm_init();
	pmm_add_range(base, bytes >> PAGE_SHIFT);
	return base;
}

bool host_page_is_zero(u64 pa)
{
	const u8 *p = (const u8 *)(uintptr_t)pa;
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		if (p[i])
			return false;
	return true;
}

u8 *host_read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	u8 *p = malloc(n > 0 ? (size_t)n : 1);
	if (n <= 0 || fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*size = n > 0 ? (size_t)n : 0;
	return p;
}
