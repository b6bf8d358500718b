/*
 * boot/: the only code that includes <efi.h>.
 *
 * efi_main() calibrates the TSC, reads the ESP directory \pagoda\ (the
 * startup file, guest images and \pagoda\config) into memory, records the
 * GOP framebuffer, sets the console up as \pagoda\config says (UART port
 * and speed, screen, both), takes the final memory map, calls
 * ExitBootServices, and hands a
 * struct boot_info to vmm_main() on a stack of its own.  From then on the
 * firmware's boot services are gone; only ResetSystem (a runtime service)
 * is used, for poweroff and reboot.
 */
#include <efi.h>
#include <efilib.h>

#include "arch/x86/cpu.h"
#include "arch/x86/fbcon.h"
#include "arch/x86/serial.h"
#include "boot/acpi.h"
#include "boot/boot_info.h"
#include "boot/config.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/time.h"

#define VMM_STACK_PAGES 32 /* 128 KiB */

static struct boot_info bi;

static void efi_poweroff(void)
{
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetShutdown, EFI_SUCCESS, 0, NULL);
}

static void efi_reboot(void)
{
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetCold, EFI_SUCCESS, 0, NULL);
}

/*
 * TSC ticks per millisecond, measured against the firmware's Stall(): the
 * fewest ticks any of five 10 ms stalls took.  A stall can only overrun
 * (the firmware's busy loop, or an emulator's CPU thread, preempted while
 * it polls its timer: one 20 ms measurement under a loaded TCG once gave
 * 2.88 GHz on a 2.1 GHz host, and every clock of the VMM and its guests
 * ran 36% slow), never return early, so the least is the truest.
 */
static u64 calibrate_tsc_khz(void)
{
	u64 best = ~0ULL;
	for (int i = 0; i < 5; i++) {
		u64 t0 = rdtsc();
		uefi_call_wrapper(BS->Stall, 1, 10000);
		u64 t1 = rdtsc();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	return best / 10;
}

/*
 * The file name W as ASCII in OUT (MAX bytes with the NUL).  Returns NULL,
 * or why the name cannot be used: too long for OUT, or not ASCII (cutting
 * or replacing characters could make two files the same name).
 */
static const char *name_to_ascii(const CHAR16 *w, char *out, size_t max)
{
	size_t i = 0;
	const char *why = NULL;
	for (; w[i]; i++) {
		if (w[i] >= 0x80 || w[i] < 0x20)
			why = "not printable ASCII";
		if (i + 1 < max)
			out[i] = w[i] >= 0x20 && w[i] < 0x80 ? (char)w[i] : '?';
	}
	out[i + 1 < max ? i : max - 1] = 0;
	if (i + 1 > max)
		why = "name longer than 63 characters";
	return why;
}

/*
 * Read every regular file of \pagoda\ on the volume pagoda was loaded from
 * into EfiLoaderData pool memory (which survives ExitBootServices and is not
 * given to pmm).  A missing directory is not an error: the VMM then has only
 * its built-in test guest and no startup file.
 */
static void load_esp_files(EFI_HANDLE image)
{
	EFI_LOADED_IMAGE *li = NULL;
	EFI_STATUS st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
					  (void **)&li);
	if (EFI_ERROR(st)) {
		pr_err("boot", "no loaded-image protocol (status %lx)", (u64)st);
		return;
	}
	bi.image_base = (u64)(uintptr_t)li->ImageBase;
	bi.image_size = li->ImageSize;

	EFI_FILE_HANDLE root = LibOpenRoot(li->DeviceHandle);
	if (!root) {
		pr_warn("boot", "cannot open the boot volume; no files loaded");
		return;
	}
	EFI_FILE_HANDLE dir;
	st = uefi_call_wrapper(root->Open, 5, root, &dir, L"\\pagoda", EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st)) {
		pr_warn("boot", "no \\pagoda directory on the boot volume; no files loaded");
		return;
	}
	/* Directory entries are read into a pool buffer that grows when an
	 * entry (a long name) does not fit, so no entry ends the listing. */
	UINTN cap = sizeof(EFI_FILE_INFO) + 512;
	void *buf = NULL;
	unsigned skipped = 0;
	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, cap, &buf)))
		buf = NULL;
	while (buf) {
		UINTN sz = cap;
		st = uefi_call_wrapper(dir->Read, 3, dir, &sz, buf);
		if (st == EFI_BUFFER_TOO_SMALL) {
			uefi_call_wrapper(BS->FreePool, 1, buf);
			cap = sz;
			if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, cap, &buf)))
				buf = NULL;
			continue;
		}
		if (EFI_ERROR(st) || sz == 0)
			break;
		EFI_FILE_INFO *fi = (EFI_FILE_INFO *)buf;
		if (fi->Attribute & EFI_FILE_DIRECTORY)
			continue;
		struct boot_file *bf = &bi.files[bi.nr_files < BOOT_MAX_FILES ? bi.nr_files : 0];
		char shown[BOOT_NAME_MAX];
		const char *why = name_to_ascii(fi->FileName, shown, sizeof(shown));
		if (!why && bi.nr_files == BOOT_MAX_FILES)
			why = "more files than the VMM keeps";
		for (unsigned k = 0; !why && k < bi.nr_files; k++)
			if (strcmp(bi.files[k].name, shown) == 0)
				why = "a file of the same name was loaded";
		if (why) {
			pr_warn("boot", "skipped \\pagoda\\%s: %s", shown, why);
			skipped++;
			continue;
		}
		memcpy(bf->name, shown, sizeof(bf->name));
		EFI_FILE_HANDLE fh;
		st = uefi_call_wrapper(dir->Open, 5, dir, &fh, fi->FileName, EFI_FILE_MODE_READ, 0);
		if (EFI_ERROR(st)) {
			pr_warn("boot", "skipped \\pagoda\\%s: cannot open it (status %lx)", bf->name,
				(u64)st);
			skipped++;
			continue;
		}
		UINTN size = fi->FileSize;
		void *data = NULL;
		st = uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, size ? size : 1, &data);
		if (!EFI_ERROR(st) && size)
			st = uefi_call_wrapper(fh->Read, 3, fh, &size, data);
		uefi_call_wrapper(fh->Close, 1, fh);
		if (EFI_ERROR(st) || size != fi->FileSize) {
			pr_warn("boot", "skipped \\pagoda\\%s: cannot read it (status %lx)", bf->name,
				(u64)st);
			skipped++;
			continue;
		}
		bf->data = data;
		bf->size = size;
		pr_info("boot", "loaded \\pagoda\\%s (%lu bytes)", bf->name, (u64)size);
		if (strcmp(bf->name, "startup.txt") == 0) {
			bi.startup = data;
			bi.startup_len = size;
		}
		bi.nr_files++;
	}
	if (buf)
		uefi_call_wrapper(BS->FreePool, 1, buf);
	else
		pr_warn("boot", "no pool memory to list \\pagoda");
	if (skipped)
		pr_warn("boot", "%u file(s) of \\pagoda skipped (see above)", skipped);
	uefi_call_wrapper(dir->Close, 1, dir);
}

/*
 * Record the GOP framebuffer in bi.fb when UEFI offers one with 32-bit RGB
 * or BGR pixels (the current mode is kept: the firmware chose it for the
 * display).  Other pixel formats and no GOP leave bi.fb.base 0.
 */
static void find_framebuffer(void)
{
	EFI_GUID guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	EFI_STATUS st = uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL, (void **)&gop);
	if (EFI_ERROR(st) || !gop || !gop->Mode || !gop->Mode->Info) {
		pr_info("boot", "no graphics output (GOP): no screen console");
		return;
	}
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *mi = gop->Mode->Info;
	if (mi->PixelFormat != PixelRedGreenBlueReserved8BitPerColor &&
	    mi->PixelFormat != PixelBlueGreenRedReserved8BitPerColor) {
		pr_info("boot", "GOP pixel format %d is not 32-bit RGB/BGR: no screen console",
			(int)mi->PixelFormat);
		return;
	}
	bi.fb.base = gop->Mode->FrameBufferBase;
	bi.fb.size = gop->Mode->FrameBufferSize;
	bi.fb.width = mi->HorizontalResolution;
	bi.fb.height = mi->VerticalResolution;
	bi.fb.stride = mi->PixelsPerScanLine;
	bi.fb.bgr = mi->PixelFormat == PixelBlueGreenRedReserved8BitPerColor;
}

/* The ACPI RSDP from the UEFI configuration table (the 2.0 one preferred),
 * or NULL. */
static const void *find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	const void *found = NULL;
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *ct = &ST->ConfigurationTable[i];
		if (memcmp(&ct->VendorGuid, &acpi20, sizeof(EFI_GUID)) == 0)
			return ct->VendorTable;
		if (memcmp(&ct->VendorGuid, &acpi10, sizeof(EFI_GUID)) == 0)
			found = ct->VendorTable;
	}
	return found;
}

/* The UEFI PI MP Services protocol (PI spec Vol 2, 13.4), which GNU-EFI
 * does not declare: only the two calls used here are typed. */
#define MP_SERVICES_GUID \
	{0x3fdda605, 0xa76e, 0x4f46, {0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08}}
#define MP_PROCESSOR_ENABLED 0x2 /* StatusFlag bit 1 (bit 0: the BSP, bit 2: healthy) */

/* EFI_PROCESSOR_INFORMATION, the fields every PI version has. */
struct mp_processor_info {
	u64 processor_id;       /* the local APIC ID */
	u32 status_flag;        /* MP_PROCESSOR_ENABLED and others */
	u32 package, core, thread; /* EFI_CPU_PHYSICAL_LOCATION */
	u8 extended[24];        /* room for PI 1.7's extended location, never asked for */
};

struct mp_services {
	EFI_STATUS(EFIAPI *get_number_of_processors)(struct mp_services *self, UINTN *nr,
						     UINTN *nr_enabled);
	EFI_STATUS(EFIAPI *get_processor_info)(struct mp_services *self, UINTN n,
					       struct mp_processor_info *info);
	void *other[5]; /* StartupAllAPs, StartupThisAP, SwitchBSP, EnableDisableAP, WhoAmI */
};

/*
 * Where there is no MADT (OVMF under Bochs installs no ACPI tables): the
 * processors the firmware's MP Services protocol knows, into bi.cpus.
 * Returns the number found (0 when the protocol is not there).
 */
static unsigned cpus_from_mp_services(void)
{
	EFI_GUID guid = MP_SERVICES_GUID;
	struct mp_services *mp = NULL;
	UINTN nr = 0, nr_enabled = 0;
	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL, (void **)&mp)) || !mp ||
	    EFI_ERROR(uefi_call_wrapper(mp->get_number_of_processors, 3, mp, &nr, &nr_enabled)))
		return 0;
	unsigned kept = 0;
	for (UINTN i = 0; i < nr && kept < BOOT_MAX_CPUS; i++) {
		struct mp_processor_info info;
		if (EFI_ERROR(uefi_call_wrapper(mp->get_processor_info, 3, mp, i, &info)))
			continue;
		bi.cpus[kept].apic_id = (u32)info.processor_id;
		bi.cpus[kept].enabled = info.status_flag & MP_PROCESSOR_ENABLED;
		kept++;
	}
	pr_info("boot", "UEFI MP services: %lu processors, %lu enabled", (u64)nr, (u64)nr_enabled);
	bi.nr_cpus = kept;
	return kept;
}

/*
 * Record the processors of the ACPI MADT in bi.cpus (boot/acpi.c's
 * madt_parse), or, without a MADT, those of the UEFI MP services, and
 * reserve the low pages the application processors start in (a SIPI
 * vector names a page below 1 MiB; 0xA0000 up is video memory and ROM).
 * Without either list or low pages only the boot CPU runs.
 */
static void find_cpus(void)
{
	const u8 *t = acpi_find_table(find_rsdp(), "APIC");
	struct madt_cpu mc[BOOT_MAX_CPUS];
	unsigned nr = 0, total = 0;
	const char *why = t ? madt_parse(t, *(const u32 *)(t + 4), mc, BOOT_MAX_CPUS, &nr, &total)
			    : "no MADT (APIC) table";
	if (why) {
		if (!cpus_from_mp_services()) {
			pr_warn("boot", "ACPI MADT not used: %s; no UEFI MP services either: the "
				"boot CPU runs alone", why);
			return;
		}
		pr_info("boot", "ACPI MADT not used: %s; CPUs from the UEFI MP services", why);
	} else {
		unsigned enabled = 0;
		for (unsigned i = 0; i < nr; i++) {
			bi.cpus[i].apic_id = mc[i].apic_id;
			bi.cpus[i].enabled = mc[i].enabled;
			enabled += mc[i].enabled;
		}
		bi.nr_cpus = nr;
		bi.madt_cpus = total;
		pr_info("boot", "ACPI MADT: %u processor entries, %u enabled, %u online-capable",
			total, enabled, nr - enabled);
	}
	EFI_PHYSICAL_ADDRESS low = 0x9ffff;
	EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData,
					  BOOT_AP_START_PAGES, &low);
	if (EFI_ERROR(st) || low < PAGE_SIZE) {
		pr_warn("boot", "no free pages below 0xA0000 for the AP start-up code (status %lx)",
			(u64)st);
		return;
	}
	bi.ap_start_page = low;
}

/*
 * Start the console UART: the port of \pagoda\config's serial= when given,
 * else the UART of the ACPI SPCR table when there is a usable one that
 * answers, else COM1; at CFG's baud= when given, else SPCR's speed, else
 * 115200.  0 or -E_NODEV; *FROM says where the UART came from ("ACPI
 * SPCR", or NULL for the configured or default port), *SPCR_WHY why an SPCR table was not used (or NULL).
 */
static int start_uart(const struct boot_config *cfg, const char **from, const char **spcr_why)
{
	*from = NULL;
	*spcr_why = NULL;
	if (!cfg->serial_set) {
		const u8 *t = acpi_find_table(find_rsdp(), "SPCR");
		struct spcr_uart u;
		if (t)
			*spcr_why = spcr_parse(t, *(const u32 *)(t + 4), &u);
		if (t && !*spcr_why) {
			u32 baud = cfg->baud_set ? cfg->baud : u.baud;
			int err = u.mmio ? serial_init_mmio(u.base, u.stride, u.width, baud)
					 : serial_init((u16)u.base, baud);
			if (!err) {
				*from = "ACPI SPCR";
				return 0;
			}
			*spcr_why = "no 16550 answers at its address";
		}
	}
	return serial_init(cfg->serial_port, cfg->baud);
}

static const char *const console_names[] = {"both", "serial", "screen", "both"};

/*
 * Apply \pagoda\config (when there is one) and start the console: probe and
 * program the UART at the configured port and speed, start the screen
 * console on the framebuffer, and enable the sinks the config asks for
 * among those present (both by default).  Lines logged until here were kept
 * in the log's backlog and come out now, so the whole log goes to the
 * configured console.  When no UART answers, the screen is the console.
 */
static void start_console(void)
{
	struct boot_config cfg;
	char why[96];
	unsigned bad = 0;
	const struct boot_file *file = NULL;
	boot_config_defaults(&cfg);
	for (unsigned i = 0; i < bi.nr_files; i++)
		if (strcmp(bi.files[i].name, "config") == 0)
			file = &bi.files[i];
	if (file)
		bad = boot_config_parse(&cfg, file->data, file->size, why, sizeof(why));

	const char *uart_from, *spcr_why;
	int serr = start_uart(&cfg, &uart_from, &spcr_why);
	if (!serr)
		log_set_sink(LOG_SINK_SERIAL, serial_write);
	if (bi.fb.base &&
	    !fbcon_init(bi.fb.base, bi.fb.width, bi.fb.height, bi.fb.stride, bi.fb.bgr))
		log_set_sink(LOG_SINK_SCREEN, fbcon_write);
	unsigned want = cfg.console == BOOT_CONSOLE_SERIAL   ? LOG_TO_SERIAL
			: cfg.console == BOOT_CONSOLE_SCREEN ? LOG_TO_SCREEN
							     : LOG_TO_SERIAL | LOG_TO_SCREEN;
	unsigned have = log_get_sinks();
	if (log_set_outputs(want & have ? want & have : have))
		return; /* neither a UART nor a screen: nowhere to write */

	if (file)
		pr_info("boot", "\\pagoda\\config: serial=0x%x baud=%u console=%s", cfg.serial_port,
			cfg.baud, console_names[cfg.console]);
	if (bad)
		pr_warn("boot", "\\pagoda\\config: %u bad line(s) ignored; %s", bad, why);
	if (spcr_why)
		pr_warn("boot", "ACPI SPCR table not used: %s", spcr_why);
	if (uart_from)
		pr_info("boot", "console UART from %s: %s 0x%lx", uart_from,
			serial_is_mmio() ? "memory at" : "I/O port", serial_base());
	if (serr == -E_NODEV)
		pr_warn("boot", "no 16550 UART answers at port 0x%x: %s", cfg.serial_port,
			fbcon_present() ? "the screen is the console" : "no console");
	if (fbcon_present()) {
		u32 cols, rows;
		fbcon_size(&cols, &rows);
		pr_info("boot", "screen %ux%u (%ux%u characters), framebuffer at 0x%lx", bi.fb.width,
			bi.fb.height, cols, rows, bi.fb.base);
	}
	if (cfg.console != BOOT_CONSOLE_DEFAULT && (want & ~have))
		pr_warn("boot", "console=%s asked for, but there is no %s", console_names[cfg.console],
			(want & ~have) == LOG_TO_SCREEN ? "screen" : "UART");
}

/* Append [base, end) to the range list ARR of *N entries, merging with the
 * last entry when adjacent; pages that do not fit are counted as lost. */
static void add_range(struct boot_mem_range *arr, unsigned *n, u64 base, u64 end)
{
	if (base < MiB(1))
		base = MiB(1); /* below 1 MiB: left for real-mode trampolines and firmware habits */
	if (end <= base)
		return;
	if (*n && arr[*n - 1].base + arr[*n - 1].npages * PAGE_SIZE == base) {
		arr[*n - 1].npages += (end - base) / PAGE_SIZE;
		return;
	}
	if (*n == BOOT_MAX_RANGES) {
		bi.lost_pages += (end - base) / PAGE_SIZE;
		return;
	}
	arr[*n].base = base;
	arr[*n].npages = (end - base) / PAGE_SIZE;
	(*n)++;
}

/*
 * Turn the final UEFI memory map into pmm ranges: EfiConventionalMemory for
 * at once, boot-services code and data for later (the VMM takes those once
 * it runs on its own stack, GDT, IDT and page tables, which until then live
 * there).  Runtime-services and ACPI memory stay the firmware's.
 */
static void collect_ranges(EFI_MEMORY_DESCRIPTOR *map, UINTN map_size, UINTN desc_size)
{
	for (UINTN off = 0; off < map_size; off += desc_size) {
		EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)((u8 *)map + off);
		u64 base = d->PhysicalStart, end = base + d->NumberOfPages * PAGE_SIZE;
		if (end > bi.max_phys)
			bi.max_phys = end;
		switch (d->Type) {
		case EfiConventionalMemory:
			add_range(bi.ranges, &bi.nr_ranges, base, end);
			break;
		case EfiBootServicesCode:
		case EfiBootServicesData:
			add_range(bi.reclaim, &bi.nr_reclaim, base, end);
			break;
		case EfiRuntimeServicesCode:
		case EfiRuntimeServicesData:
		case EfiACPIReclaimMemory:
		case EfiACPIMemoryNVS:
			bi.firmware_pages += d->NumberOfPages;
			break;
		default:
			break;
		}
	}
}

/* Jump to vmm_main on STACK_TOP; never returns. */
static __noreturn void switch_stack_and_enter(u64 stack_top)
{
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "call vmm_main\n\t"
			 "ud2" ::"r"(stack_top), "D"(&bi)
			 : "memory");
	__builtin_unreachable();
}

/* Called by GNU-EFI's crt0 with the System V ABI (crt0 converts from the UEFI one). */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	bi.tsc_start = rdtsc();
	time_init(bi.tsc_start, 0);
	InitializeLib(image, systab);
	/* Until start_console() the log keeps its lines in its backlog. */
	pr_info("boot", "pagoda starting (UEFI %d.%02d)", systab->Hdr.Revision >> 16,
		systab->Hdr.Revision & 0xffff);

	bi.tsc_khz = calibrate_tsc_khz();
	time_set_khz(bi.tsc_khz);
	pr_info("boot", "TSC %lu kHz", bi.tsc_khz);
	/* The wall clock for guests' RTCs: the firmware's, read once (the
	 * EFI time is local time with a zone offset, or unspecified: taken
	 * as UTC, as a PC's CMOS clock usually is under firmware). */
	EFI_TIME now;
	if (uefi_call_wrapper(systab->RuntimeServices->GetTime, 2, &now, NULL) == EFI_SUCCESS) {
		u64 t = time_date_to_unix(now.Year, now.Month, now.Day, now.Hour, now.Minute,
					  now.Second);
		u64 el = time_us() / 1000000;
		time_set_unix_at_start(t > el ? t - el : t);
		pr_info("boot", "firmware clock %04u-%02u-%02u %02u:%02u:%02u", now.Year, now.Month,
			now.Day, now.Hour, now.Minute, now.Second);
	}
	bi.poweroff = efi_poweroff;
	bi.reboot = efi_reboot;

	load_esp_files(image);
	find_framebuffer();
	start_console();
	find_cpus();

	EFI_PHYSICAL_ADDRESS stack = 0;
	EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData,
					  VMM_STACK_PAGES, &stack);
	if (EFI_ERROR(st)) {
		pr_err("boot", "cannot allocate the VMM stack (status %lx)", (u64)st);
		return st;
	}

	/*
	 * ExitBootServices needs the key of the current map; any allocation in
	 * between changes it, so the map buffer is sized generously first and
	 * the pair is retried a few times.
	 */
	UINTN map_size = 0, map_key, desc_size;
	UINT32 desc_ver;
	EFI_MEMORY_DESCRIPTOR *map = NULL;
	uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, map, &map_key, &desc_size, &desc_ver);
	UINTN buf_size = map_size + 16 * desc_size;
	st = uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, buf_size, (void **)&map);
	if (EFI_ERROR(st)) {
		pr_err("boot", "cannot allocate the memory map buffer");
		return st;
	}
	pr_info("boot", "exiting boot services");
	for (int tries = 0;; tries++) {
		map_size = buf_size;
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, map, &map_key, &desc_size,
				       &desc_ver);
		if (!EFI_ERROR(st)) {
			st = uefi_call_wrapper(BS->ExitBootServices, 2, image, map_key);
			if (!EFI_ERROR(st))
				break;
		}
		if (tries == 4) {
			pr_err("boot", "ExitBootServices failed (status %lx)", (u64)st);
			return st;
		}
	}
	/* Boot services are gone: no more BS calls, no ConOut, no pool. */
	collect_ranges(map, map_size, desc_size);
	switch_stack_and_enter(stack + VMM_STACK_PAGES * PAGE_SIZE);
}
