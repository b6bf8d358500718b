/*
 * bench/kvm/kvmrun.c -- runs one Multiboot ELF32 guest (pagoda's C test
 * guests, e.g. build/guest/kvmbench.elf) on Linux KVM, for `make bench-kvm`
 * (scripts/bench-kvm.sh).  Built static on the host and put into the
 * benchmark's initramfs; written from the KVM API documentation
 * (Documentation/virt/kvm/api.rst).
 *
 *   kvmrun [-m MiB] [-t SECONDS] IMAGE [CMDLINE]
 *
 * The guest gets MiB of RAM (default 6144) at guest-physical 0, one
 * memslot backed by anonymous memory mapped MAP_NORESERVE (only what it
 * touches is allocated) and with transparent huge pages off (4 KiB
 * backing, as pagoda's default huge=0), one vCPU, no in-kernel irqchip.
 * It starts as pagoda starts a Multiboot image: 32-bit protected mode,
 * flat segments, paging off, EAX = 0x2BADB002, EBX = a Multiboot
 * information block (memory sizes, command line) at 0x8000.
 *
 * The guest's COM1 output (OUT to 0x3f8 with DLAB clear) goes to stdout;
 * it ends with an OUT to the debug-exit port 0xf4 (its status) or a HLT
 * (interrupts are never enabled, so that HLT is final: without an
 * in-kernel irqchip KVM returns it to user space).  Then the VM is closed
 * and this prints
 *     kvmrun: exit=STATUS destroy_us=N unmap_us=N
 * destroy_us: the close() of the vCPU and VM file descriptors (KVM frees
 * the VM and its nested page tables there); unmap_us: the munmap() of
 * guest memory afterwards.  Exit status: the guest's, or 100 + a reason
 * when something failed (message on stderr).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MB_BOOT_MAGIC 0x2badb002u /* EAX at entry (Multiboot 0.6.96, 3.2) */
#define MB_INFO_GPA 0x8000u        /* where pagoda puts the info, too */
#define MB_CMDLINE_GPA 0x8100u
#define MB_CMDLINE_MAX 0xf00u
#define MB_INFO_MEM (1u << 0)      /* info flags: mem_lower/mem_upper */
#define MB_INFO_CMDLINE (1u << 2)  /* info flags: cmdline */
#define LOW_RAM_KIB 639u           /* mem_lower: RAM below 0x9fc00 */
#define COM1 0x3f8
#define UART_LCR_DLAB 0x80
#define UART_LSR_IDLE 0x60         /* THR empty, transmitter empty */
#define DEBUG_EXIT_PORT 0xf4
#define CR0_PE (1u << 0)
#define CR0_ET (1u << 4)
#define CPUID_ENTRIES_MAX 256
#define EXIT_FAIL 100               /* 100 + reason: see fail() calls */

/* Print "kvmrun: MSG" (and errno's text when ERR) on stderr and exit with
 * EXIT_FAIL + WHY. */
static _Noreturn void fail(int why, int err, const char *msg)
{
	if (err)
		fprintf(stderr, "kvmrun: %s: %s\n", msg, strerror(err));
	else
		fprintf(stderr, "kvmrun: %s\n", msg);
	exit(EXIT_FAIL + why);
}

/* Microseconds of CLOCK_MONOTONIC. */
static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Read all of PATH into a malloc'd buffer; *LEN its size. */
static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail(1, errno, path);
	if (fseek(f, 0, SEEK_END) != 0)
		fail(1, errno, path);
	long n = ftell(f);
	if (n <= 0)
		fail(1, 0, "image is empty");
	rewind(f);
	uint8_t *buf = malloc((size_t)n);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail(1, errno, path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Copy the PT_LOAD segments of the ELF32 image IMG (LEN bytes) to their
 * physical addresses in guest memory MEM (MEM_SIZE bytes), zeroing each
 * segment's tail past its file bytes.  Returns the entry point. */
static uint32_t load_elf32(const uint8_t *img, size_t len, uint8_t *mem, uint64_t mem_size)
{
	const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img;
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS32 || eh->e_machine != EM_386)
		fail(2, 0, "image is not an ELF32 i386 file");
	if (eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf32_Phdr) > len)
		fail(2, 0, "ELF program headers beyond the file");
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf32_Phdr *ph = (const Elf32_Phdr *)(img + eh->e_phoff) + i;
		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_filesz > ph->p_memsz || (uint64_t)ph->p_offset + ph->p_filesz > len ||
		    (uint64_t)ph->p_paddr + ph->p_memsz > mem_size)
			fail(2, 0, "ELF segment outside the file or guest memory");
		memcpy(mem + ph->p_paddr, img + ph->p_offset, ph->p_filesz);
		memset(mem + ph->p_paddr + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	return eh->e_entry;
}

/* Write the Multiboot information block (Multiboot 0.6.96, 3.3: flags,
 * mem_lower, mem_upper in KiB, cmdline) and its command line CMDLINE into
 * guest memory MEM of MEM_SIZE bytes. */
static void write_mb_info(uint8_t *mem, uint64_t mem_size, const char *cmdline)
{
	uint32_t *info = (uint32_t *)(mem + MB_INFO_GPA);
	size_t n = strlen(cmdline);
	if (n >= MB_CMDLINE_MAX)
		fail(3, 0, "command line too long");
	memset(info, 0, 0x100);
	info[0] = MB_INFO_MEM | MB_INFO_CMDLINE;
	info[1] = LOW_RAM_KIB;
	info[2] = (uint32_t)((mem_size - (1u << 20)) / 1024); /* RAM from 1 MiB */
	info[4] = MB_CMDLINE_GPA;
	memcpy(mem + MB_CMDLINE_GPA, cmdline, n + 1);
}

/* A flat 4 GiB segment of TYPE with selector SEL: present, DPL 0, code or
 * data (S=1), 32-bit (D/B=1), 4 KiB granularity. */
static struct kvm_segment flat_segment(uint16_t sel, uint8_t type)
{
	struct kvm_segment s = {
		.base = 0, .limit = 0xffffffffu, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	return s;
}

/* Give VCPU the CPUID leaves KVM supports (without them the guest has no
 * long mode: KVM checks CPUID.80000001H:EDX.LM before allowing EFER.LME). */
static void set_cpuid(int kvm, int vcpu)
{
	size_t sz = sizeof(struct kvm_cpuid2) + CPUID_ENTRIES_MAX * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = calloc(1, sz);
	if (!c)
		fail(4, errno, "calloc");
	c->nent = CPUID_ENTRIES_MAX;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) < 0)
		fail(4, errno, "KVM_GET_SUPPORTED_CPUID");
	if (ioctl(vcpu, KVM_SET_CPUID2, c) < 0)
		fail(4, errno, "KVM_SET_CPUID2");
	free(c);
}

/* Set VCPU up at ENTRY in 32-bit protected mode without paging, flat
 * segments (code 0x08, data 0x10), EAX/EBX as a Multiboot loader leaves
 * them (3.2). */
static void set_boot_state(int vcpu, uint32_t entry)
{
	struct kvm_sregs sr;
	if (ioctl(vcpu, KVM_GET_SREGS, &sr) < 0)
		fail(5, errno, "KVM_GET_SREGS");
	sr.cs = flat_segment(0x08, 0xb); /* execute/read, accessed */
	sr.ds = sr.es = sr.fs = sr.gs = sr.ss = flat_segment(0x10, 0x3); /* read/write, accessed */
	sr.cr0 = CR0_PE | CR0_ET;
	sr.cr3 = 0;
	sr.cr4 = 0;
	sr.efer = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sr) < 0)
		fail(5, errno, "KVM_SET_SREGS");
	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rax = MB_BOOT_MAGIC;
	r.rbx = MB_INFO_GPA;
	r.rflags = 0x2; /* bit 1 is always 1 */
	if (ioctl(vcpu, KVM_SET_REGS, &r) < 0)
		fail(5, errno, "KVM_SET_REGS");
}

/* The UART registers the guest's serial code writes and reads. */
struct uart {
	uint8_t lcr; /* line control: DLAB (bit 7) turns ports +0/+1 into the divisor */
};

/* One port I/O exit of RUN: COM1 output to stdout, COM1 reads answered
 * as an idle UART, other ports ignored (reads give 0xff).  Returns 1 and
 * sets *STATUS when the guest wrote the debug-exit port. */
static int do_io(struct kvm_run *run, struct uart *u, int *status)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	for (unsigned i = 0; i < run->io.count; i++, data += run->io.size) {
		uint16_t port = run->io.port;
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			if (port == DEBUG_EXIT_PORT) {
				*status = data[0];
				return 1;
			}
			if (port == COM1 && !(u->lcr & UART_LCR_DLAB))
				putchar(data[0]);
			else if (port == COM1 + 3)
				u->lcr = data[0];
		} else {
			memset(data, port == COM1 + 5 ? UART_LSR_IDLE : (port >= COM1 && port < COM1 + 8 ? 0 : 0xff),
			       run->io.size);
		}
	}
	return 0;
}

/* SIGALRM: the guest ran past its time limit. */
static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "kvmrun: timeout: guest still running\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(EXIT_FAIL + 9);
	_exit(EXIT_FAIL + 9);
}

int main(int argc, char **argv)
{
	uint64_t mem_mib = 6144;
	unsigned timeout = 600;
	int opt;
	while ((opt = getopt(argc, argv, "m:t:")) != -1) {
		if (opt == 'm')
			mem_mib = strtoull(optarg, NULL, 0);
		else if (opt == 't')
			timeout = (unsigned)strtoul(optarg, NULL, 0);
		else
			optind = argc + 1;
	}
	if (optind >= argc || optind + 2 < argc || mem_mib < 2 || mem_mib > (1u << 20)) {
		fprintf(stderr, "usage: kvmrun [-m MiB] [-t SECONDS] IMAGE [CMDLINE]\n");
		return 2;
	}
	const char *cmdline = optind + 1 < argc ? argv[optind + 1] : "";
	uint64_t mem_size = mem_mib << 20;
	signal(SIGALRM, on_alarm);
	alarm(timeout);
	setvbuf(stdout, NULL, _IOLBF, 0);

	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		fail(6, errno, "/dev/kvm");
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		fail(6, 0, "KVM API version is not 12");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		fail(6, errno, "KVM_CREATE_VM");

	uint8_t *mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		fail(7, errno, "mmap of guest memory");
	madvise(mem, mem_size, MADV_NOHUGEPAGE); /* not fatal: THP may be off already */
	struct kvm_userspace_memory_region slot = {
		.slot = 0, .flags = 0, .guest_phys_addr = 0,
		.memory_size = mem_size, .userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		fail(7, errno, "KVM_SET_USER_MEMORY_REGION");

	size_t img_len;
	uint8_t *img = read_file(argv[optind], &img_len);
	uint32_t entry = load_elf32(img, img_len, mem, mem_size);
	free(img);
	write_mb_info(mem, mem_size, cmdline);

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		fail(8, errno, "KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0)
		fail(8, errno, "KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		fail(8, errno, "mmap of kvm_run");
	set_cpuid(kvm, vcpu);
	set_boot_state(vcpu, entry);

	struct uart uart = {0};
	int status = -1;
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			fail(10, errno, "KVM_RUN");
		}
		if (run->exit_reason == KVM_EXIT_IO) {
			if (do_io(run, &uart, &status))
				break;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_HLT) {
			status = 0;
			break;
		}
		char msg[128];
		if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
			snprintf(msg, sizeof(msg), "VM entry failed: hardware reason 0x%llx",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			snprintf(msg, sizeof(msg), "KVM internal error, suberror %u",
				 run->internal.suberror);
		else if (run->exit_reason == KVM_EXIT_MMIO)
			snprintf(msg, sizeof(msg), "MMIO access at 0x%llx outside RAM",
				 (unsigned long long)run->mmio.phys_addr);
		else
			snprintf(msg, sizeof(msg), "unexpected exit reason %u%s", run->exit_reason,
				 run->exit_reason == KVM_EXIT_SHUTDOWN ? " (shutdown: triple fault)" : "");
		fail(11, 0, msg);
	}
	fflush(stdout);

	/* The kvm_run mapping holds the vCPU file: drop it before the timed
	 * part, so that close() of the VM is the last reference. */
	munmap(run, (size_t)run_size);
	uint64_t t0 = now_us();
	close(vcpu);
	close(vm);
	uint64_t t1 = now_us();
	munmap(mem, mem_size);
	uint64_t t2 = now_us();
	close(kvm);
	printf("kvmrun: exit=%d destroy_us=%llu unmap_us=%llu\n", status,
	       (unsigned long long)(t1 - t0), (unsigned long long)(t2 - t1));
	return status;
}
