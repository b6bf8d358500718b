; =============================================================================
; pagoda test guest -- guest/testguest.asm
;
; A flat-binary Multiboot (version 1) kernel that the pagoda hypervisor (or
; plain QEMU via -kernel) boots.  It switches itself to 64-bit long mode and
; then runs the "scenarios" named on its command line, left to right, printing
; one whole line per event on the 16550 UART at I/O 0x3F8.  The boot tests of
; the hypervisor assert on those lines, so the wording is part of the contract.
;
; Build:  nasm -f bin -Wall -o build/guest/testguest.bin guest/testguest.asm
;
; Command line (tokens separated by blanks; the first token is skipped when it
; contains '/' or '.', because GRUB and QEMU put the image path there):
;   hello                      hello from the pagoda test guest
;   touch=SIZE[@START][:STRIDE]  write+verify an 8-byte pattern every STRIDE
;                              bytes in [START, START+SIZE); START default 16M,
;                              STRIDE default 4K; numbers take K/M/G suffixes
;                              (and 0x prefix); STRIDE must be >= 8
;   cpuid=N                    N x CPUID(0) timed with RDTSC
;   hypercall                  HC_VERSION, unknown number 0x7777, HC_CONSOLE_WRITE
;   vmrun                      VMRUN must raise #UD
;   svm-insns                  VMLOAD/VMSAVE/STGI/CLGI/INVLPGA must raise #UD
;   msr                        RDMSR 0x1234 and WRMSR VM_HSAVE_PA must raise #GP
;   mmio                       read a dword from an unbacked GPA (0xC0000000)
;   sgdt                       the GDTR and selectors the loader left at entry:
;                              CS 0x08, DS..GS 0x10 in a flat 32-bit GDT, or fail
;   triple                     IDT limit 0 + INT3 -> triple fault
;   spin                       loop forever
;   tick=N                     print "tick i" N times, ~10M-iteration waits
;   smp=N                      start vCPUs 1..N-1 (HC_VCPU_START); each prints
;                              "vcpu K: hello" and halts; wait for all of them
;   ptouch=SIZE:N[:ROUNDS]     N vCPUs at once (vCPU 0 starts 1..N-1): after a
;                              barrier, vCPU k writes one qword per 4K page of
;                              its own SIZE bytes at 16M + k*SIZE, adds 1 with
;                              LOCK to the first qword of each of the 64 pages
;                              shared by all (after the N regions), and reads
;                              its pages back, ROUNDS times (default 1); vCPU
;                              0 then checks every shared page holds N*ROUNDS
;                              and prints the TSC cycles from the barrier
;   pspin=N                    start vCPUs 1..N-1 spinning forever, then spin
;   fpu=N                      fill xmm0-15 with a value of this run, then N
;                              times wait and check they still hold it
;   exit=CODE                  OUT 0xF4, CODE (low byte)
;   hcexit=CODE                HC_EXIT(CODE)
; After the last token: "test guest: done", then OUT 0xF4, 0.
;
; Memory touched: the image and its BSS (0x100000 .. bss_end), the Multiboot
; info structure, mmap and command line (read only), and whatever a scenario
; explicitly asks for (touch=, mmio).
; =============================================================================

LOAD_ADDR       equ 0x100000            ; 1 MiB, the classic Multiboot load address

; ---- Multiboot v1 header constants (Multiboot spec 0.6.96, section 3.1) ----
MB_HDR_MAGIC    equ 0x1BADB002          ; header magic the loader scans for
MB_F_PAGE_ALIGN equ 1 << 0              ; bit 0: align boot modules on 4 KiB
MB_F_MEMINFO    equ 1 << 1              ; bit 1: we want mem_* and mmap_* info
MB_F_AOUT_KLUDGE equ 1 << 16            ; bit 16: the address fields below are valid
MB_HDR_FLAGS    equ MB_F_PAGE_ALIGN | MB_F_MEMINFO | MB_F_AOUT_KLUDGE
MB_BOOT_MAGIC   equ 0x2BADB002          ; EAX value on entry (spec section 3.2)

; ---- Multiboot info structure offsets (spec section 3.3) ----
MBI_FLAGS       equ 0                   ; which of the fields below are valid
MBI_MEM_UPPER   equ 8                   ; KiB above 1 MiB (valid if flags bit 0)
MBI_CMDLINE     equ 16                  ; phys addr of C string (flags bit 2)
MBI_MMAP_LENGTH equ 44                  ; byte length of the mmap buffer (flags bit 6)
MBI_MMAP_ADDR   equ 48                  ; phys addr of the mmap buffer (flags bit 6)
; mmap entry: u32 size (not counting itself), u64 base, u64 length, u32 type
MMAP_SIZE       equ 0
MMAP_BASE       equ 4
MMAP_LEN        equ 12
MMAP_TYPE       equ 20                  ; 1 = available RAM

; ---- platform contract ----
COM1            equ 0x3F8               ; 16550 THR (transmit holding register)
COM1_LSR        equ COM1 + 5            ; line status register
LSR_THRE        equ 1 << 5              ; bit 5: THR empty, may write next byte
DEBUG_EXIT      equ 0xF4                ; OUT v -> guest ends with (v << 1) | 1
FAIL_CODE       equ 1                   ; value written to 0xF4 on a guest failure

HC_VERSION      equ 0
HC_CONSOLE_WRITE equ 1
HC_EXIT         equ 2
HC_VCPU_START   equ 3                   ; (vcpu id, 32-bit entry, arg) -> 0 or -errno
MAX_VCPUS       equ 4
AP_STACK_SIZE   equ 4096
PT_SHARED       equ 64                  ; ptouch=: pages every vCPU touches
HC_UNKNOWN_PROBE equ 0x7777

; ---- control register / MSR bits used for the IA-32e switch ----
CR0_PE          equ 1 << 0              ; protected mode enable (already set)
CR0_PG          equ 1 << 31             ; paging enable; with EFER.LME -> LMA
CR4_PAE         equ 1 << 5              ; PAE paging, mandatory for long mode
MSR_EFER        equ 0xC0000080
EFER_LME        equ 1 << 8              ; long mode enable
MSR_VM_HSAVE_PA equ 0xC0010117        ; the host's: never a guest's to write

; ---- page table entry bits ----
PTE_P           equ 1 << 0              ; present
PTE_RW          equ 1 << 1              ; writable
PTE_PWT         equ 1 << 3              ; write-through  } PWT+PCD with the
PTE_PCD         equ 1 << 4              ; cache disable  } default PAT = UC
PTE_PS          equ 1 << 7              ; in a PD entry: 2 MiB page
PDE_RAM         equ PTE_P | PTE_RW | PTE_PS                     ; WB
PDE_NORAM       equ PTE_P | PTE_RW | PTE_PS | PTE_PWT | PTE_PCD ; UC

GiB             equ 1 << 30
MAP_MIN         equ 4 * GiB             ; always map the whole 32-bit space
MAP_MAX         equ 16 * GiB            ; 16 page directories in the BSS
MAX_PDS         equ 16
MMIO_PROBE      equ 0xC0000000          ; default unbacked GPA for "mmio"

; ---- GDT selectors (see gdt below) ----
SEL_CODE64      equ 0x08
SEL_DATA        equ 0x10
SEL_CODE32      equ 0x18
; ---- the loader's GDT at entry (GRUB and QEMU convention, scenario sgdt) ----
SEL_LOADER_CODE equ 0x08                ; flat 32-bit code
SEL_LOADER_DATA equ 0x10                ; flat 32-bit data

LINEBUF_SIZE    equ 1024
CMDLINE_MAX     equ 1023
STACK_SIZE      equ 16384
TICK_SPIN       equ 10000000            ; busy-wait iterations between ticks

; -----------------------------------------------------------------------------
; Sections.  In NASM's bin format .text starts at ORG; .rodata and .data follow
; it in the file; .bss is nobits and is placed after them.  The loader copies
; [load_addr, load_end_addr) from the file and zeroes [load_end_addr,
; bss_end_addr) (Multiboot spec 3.1.3).
; -----------------------------------------------------------------------------
                org     LOAD_ADDR
                section .text   progbits
                section .rodata progbits follows=.text align=16
                section .data   progbits follows=.rodata align=16
                section .bss    nobits   follows=.data align=4096

; ENTER_LONG_MODE target: the IA-32e entry sequence from 32-bit protected
; mode with paging off, onto the page tables at pml4 (built by the BSP):
; PAE on, CR3 = PML4, EFER.LME = 1, then CR0.PG = 1 which sets EFER.LMA
; (compatibility mode), then a far jump to a code segment with L=1 enters
; 64-bit mode at TARGET.  Clobbers EAX, ECX, EDX.
%macro ENTER_LONG_MODE 1
                mov     eax, cr4
                or      eax, CR4_PAE
                mov     cr4, eax
                mov     eax, pml4
                mov     cr3, eax
                mov     ecx, MSR_EFER
                rdmsr
                or      eax, EFER_LME
                wrmsr
                mov     eax, cr0
                or      eax, CR0_PG | CR0_PE
                mov     cr0, eax
                jmp     SEL_CODE64:%1
%endmacro

; Print a string literal (no newline appended); preserves all registers.
%macro PUTS 1
[section .rodata]
%%s:            db      %1, 0
__SECT__
                push    rsi
                lea     rsi, [rel %%s]
                call    puts
                pop     rsi
%endmacro

; Print a string literal followed by "\n"; preserves all registers.
%macro PUTSLN 1
[section .rodata]
%%s:            db      %1, 10, 0
__SECT__
                push    rsi
                lea     rsi, [rel %%s]
                call    puts
                pop     rsi
%endmacro

; Arm the exception handler: if exception %1 happens before the next EXPECT or
; DISARM, it counts it in fault_count and resumes execution at label %2
; instead of failing.  Clobbers RAX (so set RAX for the probe afterwards).
%macro EXPECT 2
                lea     rax, [rel %2]
                mov     [rel expect_rip], rax
                mov     byte [rel expect_vec], %1
%endmacro

%macro DISARM 0
                mov     qword [rel expect_rip], 0
%endmacro

; =============================================================================
; Multiboot header: must be 32-bit aligned and within the first 8192 bytes.
; With the a.out kludge (flag bit 16) the loader ignores any executable format
; and uses the five address fields: file offset of the header corresponds to
; header_addr, so file offset 0 lands at load_addr.
; =============================================================================
                section .text
                bits    32
                align   4
mb_header:
                dd      MB_HDR_MAGIC
                dd      MB_HDR_FLAGS
                dd      -(MB_HDR_MAGIC + MB_HDR_FLAGS)  ; magic+flags+checksum == 0 (mod 2^32)
                dd      mb_header                       ; header_addr
                dd      LOAD_ADDR                       ; load_addr: start of text
                dd      load_end                        ; load_end_addr: end of data in the file
                dd      bss_end                         ; bss_end_addr: loader zeroes up to here
                dd      entry32                         ; entry_addr

; =============================================================================
; 32-bit entry.  Machine state per Multiboot spec 3.2: protected mode, paging
; off, EAX = 0x2BADB002, EBX = phys addr of the Multiboot info, CS/DS/ES/FS/
; GS/SS flat 4 GiB but the GDTR may be bogus, no stack, interrupts disabled
; (EFLAGS.IF = 0), IDTR must not be relied upon.
; =============================================================================
entry32:
                cli
                cld
                ; What the loader left, for the "sgdt" scenario: GDTR and the
                ; selectors, before our own GDT replaces them (into .data:
                ; the BSS is wiped below).
                sgdt    [entry_gdtr]
                mov     word [entry_sel], cs
                mov     word [entry_sel + 2], ds
                mov     word [entry_sel + 4], es
                mov     word [entry_sel + 6], ss
                mov     word [entry_sel + 8], fs
                mov     word [entry_sel + 10], gs
                mov     esi, eax                ; keep magic and info pointer in
                mov     ebp, ebx                ; registers: the BSS is wiped below

                ; Our own GDT first: the loader's one is not guaranteed to stay
                ; valid, and long mode needs a descriptor with L=1 anyway.
                lgdt    [gdt_ptr]
                jmp     SEL_CODE32:.reload_cs   ; reload CS from our GDT
.reload_cs:
                mov     eax, SEL_DATA
                mov     ds, eax
                mov     es, eax
                mov     fs, eax
                mov     gs, eax
                mov     ss, eax

                ; Zero the BSS ourselves (page tables rely on zero entries); the
                ; loader should have done it, but this is cheap insurance.
                mov     edi, bss_start
                mov     ecx, (bss_end - bss_start) / 4
                xor     eax, eax
                rep stosd
                mov     esp, stack_top
                mov     [mb_magic], esi
                mov     [mb_info], ebp

                cmp     esi, MB_BOOT_MAGIC
                je      .magic_ok
                mov     esi, msg_bad_magic
                jmp     early_fail
.magic_ok:
                ; Long mode support: CPUID 0x80000001 EDX bit 29 (LM).
                mov     eax, 0x80000000
                cpuid
                cmp     eax, 0x80000001
                jb      .no_lm
                mov     eax, 0x80000001
                cpuid
                bt      edx, 29
                jc      .lm_ok
.no_lm:
                mov     esi, msg_no_lm
                jmp     early_fail
.lm_ok:
                ; --- Page tables: identity map 0..4 GiB with 2 MiB pages. ---
                ; PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3; PDn[i] maps
                ; (n*512+i)*2 MiB.  The 64-bit code later extends this up to the
                ; end of RAM (max 16 GiB) and fixes up cacheability.
                mov     dword [pml4], pdpt + (PTE_P | PTE_RW)
                mov     edi, pdpt
                mov     eax, pds + (PTE_P | PTE_RW)
                mov     ecx, 4
.pdpt_loop:
                mov     [edi], eax              ; high dword stays 0 (BSS wiped)
                add     eax, 4096
                add     edi, 8
                loop    .pdpt_loop

                mov     edi, pds
                xor     ebx, ebx                ; ebx = 2 MiB page index
.pd_loop:
                mov     eax, ebx
                shl     eax, 21                 ; low 32 bits of phys addr
                or      eax, PDE_RAM
                mov     edx, ebx
                shr     edx, 11                 ; bits 32+ of phys addr
                mov     [edi], eax
                mov     [edi + 4], edx
                add     edi, 8
                inc     ebx
                cmp     ebx, 4 * 512
                jb      .pd_loop

                ; --- IA-32e entry sequence (Intel SDM vol. 3 9.8.5, AMD APM
                ; vol. 2 14.6.1): PAE on, CR3 = PML4, EFER.LME = 1, then CR0.PG
                ; = 1 which sets EFER.LMA (compatibility mode), then a far jump
                ; to a code segment with L=1 enters 64-bit mode.
                ENTER_LONG_MODE entry64

; Application-processor entry (smp=N).  HC_VCPU_START starts a vCPU here in
; the same state as the Multiboot entry (32-bit protected mode, paging off,
; flat segments) with EAX = its vCPU id.  The BSP has already built the page
; tables: load our GDT, take a stack of our own, and enter long mode with the
; same IA-32e sequence as entry32.
ap_entry32:
                cli
                cld
                mov     esi, eax                ; esi = vCPU id
                lgdt    [gdt_ptr]
                jmp     SEL_CODE32:.reload_cs
.reload_cs:
                mov     eax, SEL_DATA
                mov     ds, eax
                mov     es, eax
                mov     fs, eax
                mov     gs, eax
                mov     ss, eax
                mov     eax, esi
                and     eax, MAX_VCPUS - 1
                inc     eax
                shl     eax, 12                 ; (id + 1) * AP_STACK_SIZE
                add     eax, ap_stacks
                mov     esp, eax
                ENTER_LONG_MODE ap_entry64

; Early (32-bit) failure: print the NUL-terminated string at ESI, exit.
early_fail:
.next:
                lodsb
                test    al, al
                jz      .done
                mov     bl, al
                mov     dx, COM1_LSR
.poll:
                in      al, dx
                test    al, LSR_THRE
                jz      .poll
                mov     al, bl
                mov     dx, COM1
                out     dx, al
                jmp     .next
.done:
                mov     al, FAIL_CODE
                out     DEBUG_EXIT, al
.halt:
                cli
                hlt
                jmp     .halt

; =============================================================================
; 64-bit code
; =============================================================================
                bits    64
                default rel
entry64:
                mov     eax, SEL_DATA           ; data segment registers are
                mov     ds, eax                 ; ignored for addressing in
                mov     es, eax                 ; 64-bit mode but must hold
                mov     ss, eax                 ; valid selectors
                mov     fs, eax
                mov     gs, eax
                lea     rsp, [stack_top]        ; upper halves of GPRs are
                xor     ebp, ebp                ; undefined after the switch

                call    setup_idt
                call    parse_mbi
                call    extend_mapping
                call    detect_vendor

                ; First line: pagoda test guest: cmdline "<cmdline>" mem=<N>M
                PUTS    'pagoda test guest: cmdline "'
                lea     rsi, [cmdline_buf]
                call    puts
                PUTS    '" mem='
                mov     rax, [ram_end]
                shr     rax, 20
                call    put_dec
                PUTSLN  "M"

                call    run_scenarios

                PUTSLN  "test guest: done"
                mov     al, 0
                out     DEBUG_EXIT, al
halt_forever:                                   ; no debug-exit device: park
                cli
                hlt
                jmp     halt_forever

; Guest failure: terminate any partial line, exit with FAIL_CODE, park.
fail_exit:
                call    end_partial_line
                mov     al, FAIL_CODE
                out     DEBUG_EXIT, al
                jmp     halt_forever

; -----------------------------------------------------------------------------
; IDT: 256 64-bit interrupt gates (type 0xE), all pointing at 16-byte stubs
; that push a uniform (error code, vector) pair and jump to isr_common.
; -----------------------------------------------------------------------------
setup_idt:
                lea     rdi, [idt]
                lea     rax, [isr_stubs]
                mov     ecx, 256
.fill:
                mov     rdx, rax
                mov     [rdi], dx                       ; offset 15:0
                mov     word [rdi + 2], SEL_CODE64      ; target CS
                mov     word [rdi + 4], 0x8E00          ; IST 0, type 0xE, DPL 0, P
                shr     rdx, 16
                mov     [rdi + 6], dx                   ; offset 31:16
                shr     rdx, 16
                mov     [rdi + 8], edx                  ; offset 63:32
                mov     dword [rdi + 12], 0             ; reserved
                add     rax, 16
                add     rdi, 16
                dec     ecx
                jnz     .fill
                lidt    [idt_ptr]
                ret

; Stubs.  The CPU pushes an error code only for 8, 10-14, 17, 21, 29, 30; the
; others push a 0 so every frame looks the same.
                align   16
isr_stubs:
%assign vec 0
%rep 256
                align   16
 %if vec != 8 && (vec < 10 || vec > 14) && vec != 17 && vec != 21 && vec != 29 && vec != 30
                push    0
 %endif
                push    vec
                jmp     isr_common
 %assign vec vec + 1
%endrep

; Frame after the 15 register pushes below (offsets from RSP):
FR_VEC          equ 15 * 8
FR_ERR          equ 16 * 8
FR_RIP          equ 17 * 8
isr_common:
                push    rax
                push    rbx
                push    rcx
                push    rdx
                push    rsi
                push    rdi
                push    rbp
                push    r8
                push    r9
                push    r10
                push    r11
                push    r12
                push    r13
                push    r14
                push    r15
                ; Expected fault?  (set up by EXPECT in a scenario)
                mov     rbx, [expect_rip]
                test    rbx, rbx
                jz      .unexpected
                mov     rax, [rsp + FR_VEC]
                movzx   ecx, byte [expect_vec]
                cmp     rax, rcx
                jne     .unexpected
                mov     [rsp + FR_RIP], rbx     ; resume at the recovery label
                mov     qword [expect_rip], 0   ; one-shot
                inc     qword [fault_count]
                pop     r15
                pop     r14
                pop     r13
                pop     r12
                pop     r11
                pop     r10
                pop     r9
                pop     r8
                pop     rbp
                pop     rdi
                pop     rsi
                pop     rdx
                pop     rcx
                pop     rbx
                pop     rax
                add     rsp, 16                 ; drop vector + error code
                iretq
.unexpected:
                ; "exception <vec> (<name>) at rip=0x<rip> err=0x<err>[ cr2=0x..]"
                call    end_partial_line
                PUTS    "exception "
                mov     rax, [rsp + FR_VEC]
                call    put_dec
                PUTS    " ("
                mov     rax, [rsp + FR_VEC]
                cmp     rax, 32
                jb      .named
                mov     eax, 32                 ; "INTR" for 32..255
.named:
                lea     rsi, [exc_names]
                lea     rsi, [rsi + rax * 8]
                call    puts
                PUTS    ") at rip=0x"
                mov     rax, [rsp + FR_RIP]
                call    put_hex
                PUTS    " err=0x"
                mov     rax, [rsp + FR_ERR]
                call    put_hex
                cmp     qword [rsp + FR_VEC], 14
                jne     .no_cr2
                PUTS    " cr2=0x"
                mov     rax, cr2
                call    put_hex
.no_cr2:
                PUTSLN  ""
                jmp     fail_exit

; -----------------------------------------------------------------------------
; Multiboot info: RAM end (max end of a type-1 mmap entry, else 1 MiB +
; mem_upper KiB) and a private copy of the command line (so no later scenario
; can clobber it).
; -----------------------------------------------------------------------------
parse_mbi:
                mov     ebx, [mb_info]          ; zero-extends: phys addr < 4 GiB
                mov     r8d, [rbx + MBI_FLAGS]
                xor     r9d, r9d                ; r9 = RAM end

                bt      r8d, 6                  ; flags bit 6: mmap_* valid
                jnc     .no_mmap
                mov     esi, [rbx + MBI_MMAP_ADDR]
                mov     ecx, [rbx + MBI_MMAP_LENGTH]
                lea     rdi, [rsi + rcx]        ; end of the mmap buffer
.mmap_next:
                lea     rax, [rsi + MMAP_TYPE + 4]
                cmp     rax, rdi                ; whole entry inside the buffer?
                ja      .mmap_done
                cmp     dword [rsi + MMAP_TYPE], 1
                jne     .mmap_skip
                mov     rax, [rsi + MMAP_BASE]
                add     rax, [rsi + MMAP_LEN]
                cmp     rax, r9
                cmova   r9, rax
.mmap_skip:
                mov     eax, [rsi + MMAP_SIZE]  ; size excludes the size field
                lea     rsi, [rsi + rax + 4]
                jmp     .mmap_next
.mmap_done:
                test    r9, r9
                jnz     .have_end
.no_mmap:
                bt      r8d, 0                  ; flags bit 0: mem_lower/upper valid
                jnc     .have_end
                mov     eax, [rbx + MBI_MEM_UPPER]
                shl     rax, 10
                add     rax, 0x100000
                mov     r9, rax
.have_end:
                mov     [ram_end], r9

                bt      r8d, 2                  ; flags bit 2: cmdline valid
                jnc     .no_cmdline
                mov     esi, [rbx + MBI_CMDLINE]
                test    esi, esi
                jz      .no_cmdline
                lea     rdi, [cmdline_buf]
                mov     ecx, CMDLINE_MAX
.copy:
                lodsb
                test    al, al
                jz      .no_cmdline
                stosb
                dec     ecx
                jnz     .copy
.no_cmdline:                                    ; buffer is zeroed: NUL-terminated
                ret

; -----------------------------------------------------------------------------
; Final mapping: map_end = RAM end rounded up to 1 GiB; plus one more GiB when
; RAM reaches the default MMIO probe (so the "mmio" scenario has an unbacked
; but mapped address); at least 4 GiB; at most 16 GiB.  2 MiB pages below RAM
; end are write-back, the rest uncacheable (PCD|PWT, PAT index 3 = UC).
; -----------------------------------------------------------------------------
extend_mapping:
                mov     rax, [ram_end]
                add     rax, GiB - 1
                mov     rcx, ~(GiB - 1)
                and     rax, rcx                ; round up to 1 GiB
                mov     rdx, MMIO_PROBE
                cmp     [ram_end], rdx
                jbe     .no_extra
                add     rax, GiB
.no_extra:
                mov     rdx, MAP_MIN
                cmp     rax, rdx
                cmovb   rax, rdx
                mov     rdx, MAP_MAX
                cmp     rax, rdx
                cmova   rax, rdx
                mov     [map_end], rax

                ; PDPT[i] -> PD i for every mapped GiB
                shr     rax, 30
                mov     rcx, rax                ; number of PDs
                lea     rdi, [pdpt]
                lea     rdx, [pds + (PTE_P | PTE_RW)]
.pdpt:
                mov     [rdi], rdx
                add     rdx, 4096
                add     rdi, 8
                dec     rcx
                jnz     .pdpt

                ; PD entries for all mapped 2 MiB pages
                lea     rdi, [pds]
                xor     edx, edx                ; phys addr of the page
                mov     r8, [ram_end]
.pde:
                mov     rax, rdx
                or      rax, PDE_RAM
                cmp     rdx, r8
                jb      .store
                or      rax, PTE_PCD | PTE_PWT
.store:
                mov     [rdi], rax
                add     rdi, 8
                add     rdx, 1 << 21
                cmp     rdx, [map_end]
                jb      .pde

                mov     rax, cr3                ; reload CR3: flush the TLB so
                mov     cr3, rax                ; the new attributes take effect
                ret

; -----------------------------------------------------------------------------
; Hypercall instruction choice: CPUID(0) vendor "AuthenticAMD" (or the AMD-
; derived "HygonGenuine") -> VMMCALL, everything else -> VMCALL.
; -----------------------------------------------------------------------------
detect_vendor:
                xor     eax, eax
                xor     ecx, ecx
                cpuid
                mov     byte [use_vmmcall], 0
                cmp     ebx, 'Auth'
                jne     .not_amd
                cmp     edx, 'enti'
                jne     .not_amd
                cmp     ecx, 'cAMD'
                je      .amd
.not_amd:
                cmp     ebx, 'Hygo'
                jne     .done
                cmp     edx, 'nGen'
                jne     .done
                cmp     ecx, 'uine'
                jne     .done
.amd:
                mov     byte [use_vmmcall], 1
.done:
                ret

; hypercall: RAX = number, RDI/RSI/RDX = args -> RAX = result, CF = 0.
; If the instruction raised #UD (no hypervisor), CF = 1.
hypercall:
                push    rax
                EXPECT  6, .ud
                pop     rax
                cmp     byte [use_vmmcall], 0
                je      .intel
                vmmcall                         ; 0F 01 D9 (AMD SVM)
                jmp     .ok
.intel:
                vmcall                          ; 0F 01 C1 (Intel VMX)
.ok:
                DISARM
                clc
                ret
.ud:
                stc
                ret

; -----------------------------------------------------------------------------
; Command line walker
; -----------------------------------------------------------------------------
run_scenarios:
                lea     rsi, [cmdline_buf]
                mov     byte [first_tok], 1
.next_token:
                mov     al, [rsi]
                test    al, al
                jz      .done
                cmp     al, ' '
                je      .blank
                cmp     al, 9
                je      .blank
                cmp     al, 10
                je      .blank
                cmp     al, 13
                jne     .token
.blank:
                inc     rsi
                jmp     .next_token
.token:
                mov     [cur_tok], rsi
                xor     ecx, ecx
.scan:
                mov     al, [rsi + rcx]
                test    al, al
                jz      .scanned
                cmp     al, ' '
                je      .scanned
                cmp     al, 9
                je      .scanned
                cmp     al, 10
                je      .scanned
                cmp     al, 13
                je      .scanned
                inc     rcx
                jmp     .scan
.scanned:
                mov     [cur_tok_len], rcx
                lea     rax, [rsi + rcx]
                mov     [scan_pos], rax

                ; Skip a leading image path ("/boot/x.bin", "build/...bin").
                cmp     byte [first_tok], 0
                je      .dispatch
                mov     byte [first_tok], 0
                xor     edx, edx
.path_chk:
                mov     al, [rsi + rdx]
                cmp     al, '/'
                je      .resume
                cmp     al, '.'
                je      .resume
                inc     rdx
                cmp     rdx, rcx
                jb      .path_chk
.dispatch:
                lea     rbx, [scenario_table]
.try:
                mov     rdi, [rbx]
                test    rdi, rdi
                jz      .unknown
                mov     rsi, [cur_tok]
                mov     rcx, [cur_tok_len]
                call    match_kw
                jnc     .found
                add     rbx, 16
                jmp     .try
.found:
                call    [rbx + 8]               ; handler(r8 = value, r9 = len)
                jmp     .resume
.unknown:
                PUTS    'unknown scenario "'
                call    put_cur_tok
                PUTSLN  '"'
.resume:
                mov     rsi, [scan_pos]
                jmp     .next_token
.done:
                ret

; match_kw: token RSI/RCX vs NUL-terminated keyword RDI.  A keyword ending
; in '=' matches as a prefix, others must match exactly.  CF = 0 on a match,
; with R8/R9 = the value after the keyword (ptr/len).
match_kw:
                xor     edx, edx
.cmp:
                mov     al, [rdi + rdx]
                test    al, al
                jz      .kw_end
                cmp     rdx, rcx
                jae     .no
                cmp     al, [rsi + rdx]
                jne     .no
                inc     rdx
                jmp     .cmp
.kw_end:
                cmp     byte [rdi + rdx - 1], '='
                je      .yes
                cmp     rdx, rcx
                jne     .no
.yes:
                lea     r8, [rsi + rdx]
                mov     r9, rcx
                sub     r9, rdx
                clc
                ret
.no:
                stc
                ret

put_cur_tok:
                mov     rsi, [cur_tok]
                mov     rcx, [cur_tok_len]
                jmp     putsn

; Report a malformed value and go on with the next token.
bad_value:
                PUTS    'bad value in "'
                call    put_cur_tok
                PUTSLN  '"'
                ret

; parse_num: RSI/RCX = text -> RAX = value, RSI/RCX advanced past it.  Decimal
; or 0x-hex digits, then an optional K/M/G (binary) suffix.  CF = 1 when there
; are no digits or the value overflows 64 bits.  Clobbers RDX, R10, R11.
parse_num:
                xor     eax, eax
                mov     r10d, 10
                cmp     rcx, 2
                jb      .digits
                cmp     byte [rsi], '0'
                jne     .digits
                mov     dl, [rsi + 1]
                or      dl, 0x20
                cmp     dl, 'x'
                jne     .digits
                mov     r10d, 16
                add     rsi, 2
                sub     rcx, 2
.digits:
                xor     r11d, r11d              ; digit count
.digit:
                test    rcx, rcx
                jz      .suffix
                movzx   edx, byte [rsi]
                sub     edx, '0'
                cmp     edx, 9
                jbe     .have_digit
                cmp     r10d, 16
                jne     .suffix
                movzx   edx, byte [rsi]
                or      edx, 0x20
                sub     edx, 'a'
                cmp     edx, 5
                ja      .suffix
                add     edx, 10
.have_digit:
                push    rdx
                mul     r10                     ; RDX:RAX = RAX * base
                pop     rdx
                jo      .bad
                add     rax, rdx
                jc      .bad
                inc     r11
                inc     rsi
                dec     rcx
                jmp     .digit
.suffix:
                test    r11, r11
                jz      .bad
                test    rcx, rcx
                jz      .ok
                movzx   edx, byte [rsi]
                or      edx, 0x20
                push    rcx
                mov     ecx, 10
                cmp     edx, 'k'
                je      .shift
                mov     ecx, 20
                cmp     edx, 'm'
                je      .shift
                mov     ecx, 30
                cmp     edx, 'g'
                je      .shift
                pop     rcx
                jmp     .ok                     ; not a suffix: caller decides
.shift:
                mov     rdx, rax
                shl     rax, cl
                mov     r11, rax
                shr     r11, cl
                cmp     r11, rdx                ; lost bits -> overflow
                pop     rcx
                jne     .bad
                inc     rsi
                dec     rcx
.ok:
                clc
                ret
.bad:
                stc
                ret

; parse_value: the whole value R8/R9 must be one number -> RAX, CF on error.
parse_value:
                mov     rsi, r8
                mov     rcx, r9
                call    parse_num
                jc      .ret
                test    rcx, rcx
                jz      .ret                    ; CF = 0 from test
                stc
.ret:
                ret

; =============================================================================
; Scenarios.  Each is called with R8/R9 = value (for "name=" keywords) and
; may clobber every register but RSP.
; =============================================================================
sc_hello:
                PUTSLN  "hello from the pagoda test guest"
                ret

; touch=SIZE[@START][:STRIDE]
sc_touch:
                mov     rsi, r8
                mov     rcx, r9
                call    parse_num
                jc      bad_value
                mov     r12, rax                ; r12 = size
                mov     r13, 16 << 20           ; r13 = start (default 16M)
                mov     r14, 4096               ; r14 = stride (default 4K)
                test    rcx, rcx
                jz      .parsed
                cmp     byte [rsi], '@'
                jne     .stride
                inc     rsi
                dec     rcx
                call    parse_num
                jc      bad_value
                mov     r13, rax
                test    rcx, rcx
                jz      .parsed
.stride:
                cmp     byte [rsi], ':'
                jne     bad_value
                inc     rsi
                dec     rcx
                call    parse_num
                jc      bad_value
                mov     r14, rax
                test    rcx, rcx
                jnz     bad_value
.parsed:
                cmp     r14, 8                  ; 8-byte writes must not overlap
                jb      bad_value

                ; Range checks: START+SIZE within RAM and within our mapping.
                mov     r15, r13
                add     r15, r12                ; r15 = end
                jc      .beyond
                cmp     r15, [ram_end]
                ja      .beyond
                cmp     r15, [map_end]
                ja      .beyond
                ; Refuse to overwrite ourselves (image + BSS).
                lea     rax, [bss_end]
                cmp     r13, rax
                jae     .range_ok
                cmp     r15, LOAD_ADDR
                jbe     .range_ok
                PUTSLN  "touch: range overlaps the guest image"
                jmp     fail_exit
.beyond:
                PUTSLN  "touch: range beyond RAM"
                jmp     fail_exit
.range_ok:
                ; Write pass: an 8-byte pattern at every STRIDE while the
                ; whole qword lies below END.
                mov     rbx, 0x5A5AA5A5C3C33C3C ; pattern = rol(addr ^ K, 17)
                xor     r10d, r10d              ; r10 = number of writes
                mov     rdi, r13
.write:
                lea     rax, [rdi + 8]          ; no wrap: END <= map_end <= 16 GiB
                cmp     rax, r15
                ja      .written
                mov     rax, rdi
                xor     rax, rbx
                rol     rax, 17
                mov     [rdi], rax
                inc     r10
                add     rdi, r14
                jc      .written
                jmp     .write
.written:
                ; Read-back pass over the same addresses.
                mov     rdi, r13
                mov     rcx, r10
                test    rcx, rcx
                jz      .verified
.verify:
                mov     rax, rdi
                xor     rax, rbx
                rol     rax, 17
                cmp     [rdi], rax
                jne     .mismatch
                add     rdi, r14
                dec     rcx
                jnz     .verify
.verified:
                PUTS    "touch: "
                mov     rax, r10
                call    put_dec
                PUTS    " pages at 0x"
                mov     rax, r13
                call    put_hex
                PUTS    " stride "
                mov     rax, r14
                call    put_dec
                PUTS    " size "
                mov     rax, r12
                call    put_dec
                PUTSLN  " ok"
                ret
.mismatch:
                PUTS    "touch: mismatch at 0x"
                mov     rax, rdi
                call    put_hex
                PUTSLN  ""
                jmp     fail_exit

; cpuid=N: N x CPUID leaf 0 (each one a VM exit under the hypervisor), timed
; with RDTSC; LFENCE keeps RDTSC from being reordered around the loop.
sc_cpuid:
                call    parse_value
                jc      bad_value
                mov     r12, rax                ; r12 = N
                lfence
                rdtsc
                shl     rdx, 32
                or      rax, rdx
                mov     r13, rax                ; r13 = start TSC
                mov     r14, r12
                test    r14, r14
                jz      .timed
.loop:
                xor     eax, eax
                xor     ecx, ecx
                cpuid
                dec     r14
                jnz     .loop
.timed:
                lfence
                rdtsc
                shl     rdx, 32
                or      rax, rdx
                sub     rax, r13                ; total cycles
                xor     edx, edx
                test    r12, r12
                jz      .per
                div     r12
.per:
                test    r12, r12
                jnz     .print
                xor     eax, eax
.print:
                mov     r13, rax
                PUTS    "cpuid: "
                mov     rax, r12
                call    put_dec
                PUTS    " exits, "
                mov     rax, r13
                call    put_dec
                PUTSLN  " cycles/exit"
                ret

; hypercall: version, an unknown number (expect -38) and a console write.
sc_hypercall:
                mov     eax, HC_VERSION
                call    hypercall
                jc      .no_hv
                mov     r12, rax
                mov     eax, HC_UNKNOWN_PROBE
                call    hypercall
                jc      .no_hv
                mov     r13, rax
                PUTS    "hypercall: version=0x"
                mov     rax, r12
                call    put_hex
                PUTS    " unknown="
                mov     rax, r13
                call    put_sdec
                PUTSLN  ""
                call    flush_line              ; keep the serial stream ordered
                mov     eax, HC_CONSOLE_WRITE
                lea     rdi, [hc_console_msg]   ; identity mapped: VA == GPA
                mov     esi, hc_console_msg_len
                xor     edx, edx
                call    hypercall
                jc      .no_hv
                cmp     rax, hc_console_msg_len
                je      .ret
                mov     r12, rax
                PUTS    "hypercall: console write returned "
                mov     rax, r12
                call    put_sdec
                PUTSLN  ""
.ret:
                ret
.no_hv:
                PUTSLN  "hypercall: #UD, no hypervisor"
                ret

; vmrun: VMRUN (0F 01 D8) with RAX = 0.  EFER.SVME is 0 in the guest's view,
; so the CPU (or the hypervisor intercepting it) must raise #UD.
sc_vmrun:
                mov     qword [fault_count], 0
                EXPECT  6, .after
                xor     eax, eax
                db      0x0F, 0x01, 0xD8        ; VMRUN rAX
.after:
                DISARM
                cmp     qword [fault_count], 0
                je      .none
                PUTSLN  "vmrun: #UD caught"
                ret
.none:
                PUTSLN  "vmrun: no #UD"
                ret

; svm-insns: the other SVM instructions, each expected to raise #UD.
sc_svm_insns:
                mov     qword [fault_count], 0
                EXPECT  6, .a1
                xor     eax, eax
                db      0x0F, 0x01, 0xDA        ; VMLOAD rAX
.a1:
                EXPECT  6, .a2
                xor     eax, eax
                db      0x0F, 0x01, 0xDB        ; VMSAVE rAX
.a2:
                EXPECT  6, .a3
                db      0x0F, 0x01, 0xDC        ; STGI
.a3:
                EXPECT  6, .a4
                db      0x0F, 0x01, 0xDD        ; CLGI
.a4:
                EXPECT  6, .a5
                xor     eax, eax
                xor     ecx, ecx
                db      0x0F, 0x01, 0xDF        ; INVLPGA rAX, ECX
.a5:
                DISARM
                PUTS    "svm-insns: "
                mov     rax, [fault_count]
                call    put_dec
                PUTSLN  " of 5 raised #UD"
                ret

; msr: RDMSR of an unassigned MSR and WRMSR to VM_HSAVE_PA (the host's save
; area on AMD; STAR, once used here, is the guest's own now), each expected
; to #GP.
sc_msr:
                mov     qword [fault_count], 0
                EXPECT  13, .m1
                mov     ecx, 0x1234
                rdmsr
.m1:
                EXPECT  13, .m2
                mov     ecx, MSR_VM_HSAVE_PA
                xor     eax, eax
                xor     edx, edx
                wrmsr
.m2:
                DISARM
                PUTS    "msr: #GP caught "
                mov     rax, [fault_count]
                call    put_dec
                PUTSLN  " of 2"
                ret

; mmio: read a dword from a guest-physical address with no RAM behind it.
sc_mmio:
                mov     r12, MMIO_PROBE
                mov     rax, [ram_end]
                cmp     rax, r12
                jbe     .addr
                add     rax, GiB - 1            ; first 1 GiB boundary at or
                mov     rcx, ~(GiB - 1)         ; above the end of RAM
                and     rax, rcx
                mov     r12, rax
                cmp     r12, [map_end]
                jb      .addr
                PUTSLN  "mmio: no unbacked address below 16 GiB"
                ret
.addr:
                PUTS    "mmio: reading 0x"
                mov     rax, r12
                call    put_hex
                PUTSLN  ""
                call    flush_line
                mov     eax, [r12]
                mov     r13, rax
                PUTS    "mmio: read 0x"
                mov     rax, r13
                call    put_hex
                PUTSLN  ""
                ret

; sgdt: the GDTR and selectors found at entry (saved by entry32) must be the
; flat convention of GRUB and QEMU: CS = 0x08 and DS, ES, SS, FS, GS = 0x10,
; the GDT holding a 32-bit code descriptor at 0x08 and a data one at 0x10
; (base 0, 4 GiB, the accessed bit either way).  Prints
; "sgdt: gdtr base=0x<base> limit=<limit> cs=0x<cs> ds=0x<ds> ok", or the
; same line ending in "BAD ..." and fails.
sc_sgdt:
                PUTS    "sgdt: gdtr base=0x"
                mov     eax, [entry_gdtr + 2]   ; 32-bit base (SGDT in protected mode)
                call    put_hex
                PUTS    " limit="
                movzx   eax, word [entry_gdtr]
                call    put_dec
                PUTS    " cs=0x"
                movzx   eax, word [entry_sel]
                call    put_hex
                PUTS    " ds=0x"
                movzx   eax, word [entry_sel + 2]
                call    put_hex
                cmp     word [entry_sel], SEL_LOADER_CODE
                jne     .bad
                lea     rsi, [entry_sel + 2]
                mov     ecx, 5                  ; DS, ES, SS, FS, GS
.sel:
                cmp     word [rsi], SEL_LOADER_DATA
                jne     .bad
                add     rsi, 2
                dec     ecx
                jnz     .sel
                cmp     word [entry_gdtr], SEL_LOADER_DATA + 7
                jb      .bad                    ; both descriptors inside the limit
                mov     ebx, [entry_gdtr + 2]   ; identity mapped: VA == GPA
                mov     rax, [rbx + SEL_LOADER_CODE]
                btr     rax, 40                 ; accessed bit
                mov     rdx, 0x00CF9A000000FFFF ; 32-bit code, exec/read, G, D, P
                cmp     rax, rdx
                jne     .bad
                mov     rax, [rbx + SEL_LOADER_DATA]
                btr     rax, 40
                mov     rdx, 0x00CF92000000FFFF ; 32-bit data, read/write, G, B, P
                cmp     rax, rdx
                jne     .bad
                PUTSLN  " ok"
                ret
.bad:
                PUTSLN  " BAD (want CS 0x08, DS..GS 0x10, flat 32-bit code and data in the GDT)"
                jmp     fail_exit

; triple: with an IDT limit of 0, INT3 -> #GP (vector 3 outside the IDT) ->
; #GP again -> #DF outside the IDT -> shutdown (triple fault).
sc_triple:
                PUTSLN  "triple: faulting now"
                call    flush_line
                lidt    [idt_null]
                int3
                jmp     halt_forever            ; not reached

sc_spin:
                PUTSLN  "spin: looping forever"
                call    flush_line
.spin:
                pause
                jmp     .spin

; tick=N: "tick 1" .. "tick N" with a busy-wait between lines.
sc_tick:
                call    parse_value
                jc      bad_value
                mov     r12, rax                ; r12 = N
                mov     r13d, 1                 ; r13 = i
.next:
                cmp     r13, r12
                ja      .done
                cmp     r13, 1
                je      .print
                mov     ecx, TICK_SPIN
.wait:
                dec     ecx
                jnz     .wait
.print:
                PUTS    "tick "
                mov     rax, r13
                call    put_dec
                PUTSLN  ""
                inc     r13
                jmp     .next
.done:
                ret

; fpu=N: SSE state must belong to this guest alone.  Enable SSE (CR4.OSFXSR
; bit 9, OSXMMEXCPT bit 10; CR0.EM bit 2 clear, MP bit 1 set), put
; seed + 2*i and seed + 2*i + 1 into the two halves of xmm<i> (seed from
; RDTSC, so two guests hold different values), then N times: busy-wait
; (long enough to be preempted and let other guests run) and check every
; register.  Prints "fpu: N checks ok" or "fpu: xmm<i> changed" and fails.
sc_fpu:
                call    parse_value
                jc      bad_value
                mov     r12, rax                ; r12 = N
                mov     rax, cr4
                or      rax, (1 << 9) | (1 << 10)
                mov     cr4, rax
                mov     rax, cr0
                and     rax, ~(1 << 2)
                or      rax, (1 << 1)
                mov     cr0, rax
                rdtsc
                shl     rdx, 32
                or      rax, rdx
                mov     r14, rax                ; r14 = seed
                lea     rdi, [fpu_buf]
                mov     rcx, 32
                mov     rax, r14
.fill:
                stosq
                inc     rax
                dec     rcx
                jnz     .fill
%assign i 0
%rep 16
                movdqu  xmm %+ i, [fpu_buf + 16 * i]
%assign i i+1
%endrep
                xor     r13d, r13d              ; r13 = checks done
.round:
                cmp     r13, r12
                jae     .ok
                mov     ecx, TICK_SPIN
.wait:
                dec     ecx
                jnz     .wait
%assign i 0
%rep 16
                movdqu  [fpu_buf + 16 * i], xmm %+ i
%assign i i+1
%endrep
                lea     rsi, [fpu_buf]
                xor     ecx, ecx                ; qword index
.check:
                lea     rax, [r14 + rcx]
                cmp     [rsi + rcx * 8], rax
                jne     .bad
                inc     ecx
                cmp     ecx, 32
                jb      .check
                inc     r13
                jmp     .round
.ok:
                PUTS    "fpu: "
                mov     rax, r12
                call    put_dec
                PUTSLN  " checks ok"
                ret
.bad:
                PUTS    "fpu: xmm"
                mov     eax, ecx
                shr     eax, 1
                call    put_dec
                PUTSLN  " changed"
                jmp     fail_exit

; smp=N: start vCPUs 1..N-1 at ap_entry32 with HC_VCPU_START, then wait
; (bounded) until each has said hello and counted itself in ap_count.  The
; BSP's spin is preempted by the VMM, which runs the other vCPUs.
sc_smp:
                call    parse_value
                jc      bad_value
                mov     r12, rax                ; r12 = N
                mov     qword [ap_count], 0
                mov     r13d, 1                 ; r13 = next vCPU id
.start:
                cmp     r13, r12
                jae     .wait
                mov     eax, HC_VCPU_START
                mov     rdi, r13
                lea     rsi, [ap_entry32]
                xor     edx, edx
                call    hypercall
                jc      .no_hv
                test    rax, rax
                jnz     .refused
                inc     r13
                jmp     .start
.wait:
                lea     rcx, [r12 - 1]          ; APs expected
                mov     r14, 1 << 32            ; bounded wait
.spin:
                cmp     [ap_count], rcx
                je      .all
                pause
                dec     r14
                jnz     .spin
                PUTS    "smp: only "
                mov     rax, [ap_count]
                call    put_dec
                PUTSLN  " vcpus answered"
                jmp     fail_exit
.all:
                PUTS    "smp: "
                mov     rax, r12
                call    put_dec
                PUTSLN  " vcpus ran"
                ret
.refused:
                mov     r14, rax
                PUTS    "smp: vcpu "
                mov     rax, r13
                call    put_dec
                PUTS    " not started ("
                mov     rax, r14
                call    put_sdec
                PUTSLN  ")"
                ret
.no_hv:
                PUTSLN  "smp: #UD, no hypervisor"
                ret

; ptouch=SIZE:N[:ROUNDS]: see the header.  Parsed and checked here (N in
; 1..MAX_VCPUS, SIZE a non-zero multiple of 4K, the regions and the shared
; pages inside RAM and the mapping), then vCPUs 1..N-1 are started, vCPU 0
; does its own share and waits (bounded) for the others.
sc_ptouch:
                mov     rsi, r8
                mov     rcx, r9
                call    parse_num
                jc      bad_value
                mov     r12, rax                ; r12 = SIZE
                test    rcx, rcx
                jz      bad_value
                cmp     byte [rsi], ':'
                jne     bad_value
                inc     rsi
                dec     rcx
                call    parse_num
                jc      bad_value
                mov     r13, rax                ; r13 = N
                mov     r14, 1                  ; r14 = ROUNDS
                test    rcx, rcx
                jz      .parsed
                cmp     byte [rsi], ':'
                jne     bad_value
                inc     rsi
                dec     rcx
                call    parse_num
                jc      bad_value
                mov     r14, rax
                test    rcx, rcx
                jnz     bad_value
.parsed:
                test    r13, r13
                jz      bad_value
                cmp     r13, MAX_VCPUS
                ja      bad_value
                test    r12, r12
                jz      bad_value
                test    r12, 0xfff
                jnz     bad_value
                test    r14, r14
                jz      bad_value
                mov     rax, r12
                mul     r13                     ; rdx:rax = N * SIZE
                jo      .beyond
                add     rax, 16 << 20
                jc      .beyond
                mov     [pt_shared], rax        ; the shared pages follow the regions
                add     rax, PT_SHARED * 4096
                jc      .beyond
                cmp     rax, [ram_end]
                ja      .beyond
                cmp     rax, [map_end]
                ja      .beyond
                mov     [pt_size], r12
                mov     [pt_rounds], r14
                mov     qword [pt_ready], 0
                mov     qword [pt_done], 0
                mov     qword [pt_fail], 0
                mov     [pt_n], r13             ; set last: APs look at it
                mov     r15, 1                  ; next vCPU to start
.start:
                cmp     r15, r13
                jae     .go
                mov     eax, HC_VCPU_START
                mov     rdi, r15
                lea     rsi, [ap_entry32]
                xor     edx, edx
                call    hypercall
                jc      .no_hv
                test    rax, rax
                jnz     .refused
                inc     r15
                jmp     .start
.go:
                xor     esi, esi                ; vCPU 0's share
                call    ptouch_work
                lea     rcx, [r13 - 1]          ; the others
                mov     r14, 1 << 34            ; bounded wait
.wait:
                cmp     [pt_done], rcx
                je      .all
                pause
                dec     r14
                jnz     .wait
                PUTS    "ptouch: only "
                mov     rax, [pt_done]
                call    put_dec
                PUTSLN  " other vcpus finished"
                jmp     fail_exit
.all:
                rdtsc
                shl     rdx, 32
                or      rax, rdx
                sub     rax, [pt_t0]
                mov     [pt_cycles], rax
                mov     rax, [pt_fail]
                test    rax, rax
                jnz     .mismatch
                mov     rax, r13
                mul     qword [pt_rounds]
                mov     rbx, rax                ; every shared page: N * ROUNDS
                mov     rdi, [pt_shared]
                mov     ecx, PT_SHARED
.shared:
                cmp     [rdi], rbx
                jne     .shared_bad
                add     rdi, 4096
                dec     ecx
                jnz     .shared
                PUTS    "ptouch: "
                mov     rax, r13
                call    put_dec
                PUTS    " vcpus x "
                mov     rax, [pt_size]
                shr     rax, 12
                call    put_dec
                PUTS    " pages x "
                mov     rax, [pt_rounds]
                call    put_dec
                PUTS    " rounds, 64 shared pages = "
                mov     rax, rbx
                call    put_dec
                PUTS    " each, ok cycles="
                mov     rax, [pt_cycles]
                call    put_dec
                PUTSLN  ""
                ret
.mismatch:
                PUTS    "ptouch: mismatch at 0x"
                call    put_hex
                PUTSLN  ""
                jmp     fail_exit
.shared_bad:
                PUTS    "ptouch: shared page 0x"
                mov     rax, rdi
                call    put_hex
                PUTS    " holds "
                mov     rax, [rdi]
                call    put_dec
                PUTSLN  ""
                jmp     fail_exit
.beyond:
                PUTSLN  "ptouch: range beyond RAM"
                jmp     fail_exit
.refused:
                PUTS    "ptouch: vcpu "
                mov     rax, r15
                call    put_dec
                PUTSLN  " not started"
                jmp     fail_exit
.no_hv:
                PUTSLN  "ptouch: #UD, no hypervisor"
                jmp     fail_exit

; ptouch_work: vCPU ESI's share of ptouch= (any vCPU; its own stack).  The
; barrier first (bounded: a vCPU that never comes does not hang the rest),
; vCPU 0 notes the TSC, then the rounds.  A mismatch goes to pt_fail.
; Clobbers RAX, RBX, RCX, RDX, RDI, R8-R11.
ptouch_work:
                lock inc qword [pt_ready]
                mov     rcx, [pt_n]
                mov     r8, 1 << 32
.barrier:
                cmp     [pt_ready], rcx
                jae     .go
                pause
                dec     r8
                jnz     .barrier
.go:
                test    esi, esi
                jnz     .regions
                rdtsc
                shl     rdx, 32
                or      rax, rdx
                mov     [pt_t0], rax
.regions:
                mov     r9, [pt_size]
                mov     eax, esi
                imul    r9, rax
                add     r9, 16 << 20            ; r9 = its region
                mov     r10, [pt_size]
                add     r10, r9                 ; r10 = its end
                xor     r11d, r11d              ; r11 = round
.round:
                mov     rbx, 0x5A5AA5A5C3C33C3C
                xor     rbx, r11                ; pattern of this round
                mov     rdi, r9
.write:
                mov     rax, rdi
                xor     rax, rbx
                mov     [rdi], rax
                add     rdi, 4096
                cmp     rdi, r10
                jb      .write
                mov     rdi, [pt_shared]
                mov     ecx, PT_SHARED
.shared:
                lock inc qword [rdi]
                add     rdi, 4096
                dec     ecx
                jnz     .shared
                mov     rdi, r9
.verify:
                mov     rax, rdi
                xor     rax, rbx
                cmp     [rdi], rax
                jne     .bad
                add     rdi, 4096
                cmp     rdi, r10
                jb      .verify
                inc     r11
                cmp     r11, [pt_rounds]
                jb      .round
                ret
.bad:
                mov     [pt_fail], rdi
                ret

; pspin=N: vCPUs 1..N-1 spin for good, and so does vCPU 0 (a guest for
; destroy-while-running and busy-host tests).
sc_pspin:
                call    parse_value
                jc      bad_value
                mov     r12, rax
                cmp     r12, MAX_VCPUS
                ja      bad_value
                mov     byte [ap_spin], 1
                mov     r13d, 1
.start:
                cmp     r13, r12
                jae     .spin
                mov     eax, HC_VCPU_START
                mov     rdi, r13
                lea     rsi, [ap_entry32]
                xor     edx, edx
                call    hypercall
                inc     r13
                jmp     .start
.spin:
                PUTS    "pspin: "
                mov     rax, r12
                call    put_dec
                PUTSLN  " vcpus spinning"
.loop:
                pause
                jmp     .loop

; 64-bit part of an application processor: say hello with direct UART
; writes (the line buffer belongs to the BSP), count in, halt for good.
ap_entry64:
                mov     esi, esi                ; id (upper half undefined after the switch)
                lea     rdx, [ap_msg_vcpu]
                call    ap_puts
                lea     eax, [rsi + '0']
                call    ap_putc
                lea     rdx, [ap_msg_hello]
                call    ap_puts
                lock inc qword [ap_count]
                cmp     byte [ap_spin], 0       ; pspin=N: spin for good
                jne     .spin
                cmp     qword [pt_n], 0         ; ptouch=: its share, then count out
                je      .halt
                call    ptouch_work
                lock inc qword [pt_done]
.halt:
                cli
                hlt
                jmp     .halt
.spin:
                pause
                jmp     .spin

; ap_putc: AL to the UART, polling THR empty.  Clobbers EAX (AH), DX.
ap_putc:
                mov     ah, al
                mov     dx, COM1_LSR
.poll:
                in      al, dx
                test    al, LSR_THRE
                jz      .poll
                mov     al, ah
                mov     dx, COM1
                out     dx, al
                ret

; ap_puts: the NUL-terminated string at RDX to the UART.
ap_puts:
                push    rbx
                mov     rbx, rdx
.next:
                mov     al, [rbx]
                test    al, al
                jz      .done
                call    ap_putc
                inc     rbx
                jmp     .next
.done:
                pop     rbx
                ret

; exit=CODE: isa-debug-exit style exit; status becomes (CODE << 1) | 1.
sc_exit:
                call    parse_value
                jc      bad_value
                call    flush_line
                out     DEBUG_EXIT, al
                PUTSLN  "exit: port 0xf4 did not end the guest"
                ret

; hcexit=CODE: HC_EXIT(CODE); status becomes CODE.
sc_hcexit:
                call    parse_value
                jc      bad_value
                mov     rdi, rax
                call    flush_line
                mov     eax, HC_EXIT
                call    hypercall
                jc      .no_hv
                mov     r12, rax
                PUTS    "hcexit: returned "
                mov     rax, r12
                call    put_sdec
                PUTSLN  ""
                ret
.no_hv:
                PUTSLN  "hcexit: #UD, no hypervisor"
                ret

; =============================================================================
; Output.  Bytes collect in a line buffer that goes to the UART at each "\n"
; (or when full), so a line is never interleaved with an exception report.
; All routines preserve every register.
; =============================================================================

; serial_out: AL -> COM1, after waiting (bounded) for LSR.THRE.
serial_out:
                push    rax
                push    rcx
                push    rdx
                mov     ah, al
                mov     ecx, 1000000
                mov     dx, COM1_LSR
.poll:
                in      al, dx
                test    al, LSR_THRE
                jnz     .ready
                pause
                dec     ecx
                jnz     .poll
.ready:
                mov     al, ah
                mov     dx, COM1
                out     dx, al
                pop     rdx
                pop     rcx
                pop     rax
                ret

flush_line:
                push    rax
                push    rcx
                push    rsi
                lea     rsi, [linebuf]
                mov     rcx, [line_len]
                test    rcx, rcx
                jz      .done
.out:
                lodsb
                call    serial_out
                dec     rcx
                jnz     .out
                mov     qword [line_len], 0
.done:
                pop     rsi
                pop     rcx
                pop     rax
                ret

; end_partial_line: if a line is half built, finish it with "\n".
end_partial_line:
                cmp     qword [line_len], 0
                je      .ret
                push    rax
                mov     al, 10
                call    putc
                pop     rax
.ret:
                ret

putc:
                push    rcx
                push    rdx
                mov     rcx, [line_len]
                lea     rdx, [linebuf]
                mov     [rdx + rcx], al
                inc     rcx
                mov     [line_len], rcx
                cmp     al, 10
                je      .flush
                cmp     rcx, LINEBUF_SIZE
                jb      .ret
.flush:
                call    flush_line
.ret:
                pop     rdx
                pop     rcx
                ret

; puts: NUL-terminated string at RSI.
puts:
                push    rax
                push    rsi
.next:
                lodsb
                test    al, al
                jz      .done
                call    putc
                jmp     .next
.done:
                pop     rsi
                pop     rax
                ret

; putsn: RCX bytes at RSI.
putsn:
                push    rax
                push    rcx
                push    rsi
                test    rcx, rcx
                jz      .done
.next:
                lodsb
                call    putc
                dec     rcx
                jnz     .next
.done:
                pop     rsi
                pop     rcx
                pop     rax
                ret

; put_dec: RAX as unsigned decimal.
put_dec:
                push    rax
                push    rcx
                push    rdx
                push    rsi
                sub     rsp, 32
                lea     rsi, [rsp + 31]
                mov     byte [rsi], 0
                mov     ecx, 10
.digit:
                xor     edx, edx
                div     rcx
                add     dl, '0'
                dec     rsi
                mov     [rsi], dl
                test    rax, rax
                jnz     .digit
                call    puts
                add     rsp, 32
                pop     rsi
                pop     rdx
                pop     rcx
                pop     rax
                ret

; put_sdec: RAX as signed decimal.
put_sdec:
                push    rax
                test    rax, rax
                jns     .pos
                push    rax
                mov     al, '-'
                call    putc
                pop     rax
                neg     rax
.pos:
                call    put_dec
                pop     rax
                ret

; put_hex: RAX as lower-case hex without leading zeros (caller prints "0x").
put_hex:
                push    rax
                push    rdx
                push    rsi
                sub     rsp, 32
                lea     rsi, [rsp + 31]
                mov     byte [rsi], 0
.digit:
                mov     edx, eax
                and     edx, 15
                cmp     edx, 10
                jb      .dec
                add     edx, 'a' - '0' - 10
.dec:
                add     edx, '0'
                dec     rsi
                mov     [rsi], dl
                shr     rax, 4
                jnz     .digit
                call    puts
                add     rsp, 32
                pop     rsi
                pop     rdx
                pop     rax
                ret

; =============================================================================
; Read-only data
; =============================================================================
                section .rodata
msg_bad_magic:  db      "pagoda test guest: not started by a Multiboot loader (bad EAX magic)", 10, 0
msg_no_lm:      db      "pagoda test guest: CPU lacks long mode", 10, 0

hc_console_msg: db      "hypercall: console write ok", 10
hc_console_msg_len equ $ - hc_console_msg

                align   8
; Exception names, 8 bytes each (NUL padded), vectors 0..31 then "INTR".
exc_names:
%macro EXCNAME 1
                db      %1
                times 8 - ($ - exc_names) % 8 db 0
%endmacro
                EXCNAME "#DE"
                EXCNAME "#DB"
                EXCNAME "NMI"
                EXCNAME "#BP"
                EXCNAME "#OF"
                EXCNAME "#BR"
                EXCNAME "#UD"
                EXCNAME "#NM"
                EXCNAME "#DF"
                EXCNAME "#CSO"
                EXCNAME "#TS"
                EXCNAME "#NP"
                EXCNAME "#SS"
                EXCNAME "#GP"
                EXCNAME "#PF"
                EXCNAME "rsvd15"
                EXCNAME "#MF"
                EXCNAME "#AC"
                EXCNAME "#MC"
                EXCNAME "#XM"
                EXCNAME "#VE"
                EXCNAME "#CP"
                EXCNAME "rsvd22"
                EXCNAME "rsvd23"
                EXCNAME "rsvd24"
                EXCNAME "rsvd25"
                EXCNAME "rsvd26"
                EXCNAME "rsvd27"
                EXCNAME "#HV"
                EXCNAME "#VC"
                EXCNAME "#SX"
                EXCNAME "rsvd31"
                EXCNAME "INTR"

; Scenario table: keyword (NUL-terminated; trailing '=' = takes a value), handler.
                align   8
scenario_table:
                dq      kw_hello,     sc_hello
                dq      kw_touch,     sc_touch
                dq      kw_cpuid,     sc_cpuid
                dq      kw_hypercall, sc_hypercall
                dq      kw_vmrun,     sc_vmrun
                dq      kw_svm_insns, sc_svm_insns
                dq      kw_msr,       sc_msr
                dq      kw_mmio,      sc_mmio
                dq      kw_sgdt,      sc_sgdt
                dq      kw_triple,    sc_triple
                dq      kw_spin,      sc_spin
                dq      kw_tick,      sc_tick
                dq      kw_fpu,       sc_fpu
                dq      kw_smp,       sc_smp
                dq      kw_ptouch,    sc_ptouch
                dq      kw_pspin,     sc_pspin
                dq      kw_exit,      sc_exit
                dq      kw_hcexit,    sc_hcexit
                dq      0, 0
kw_hello:       db      "hello", 0
kw_touch:       db      "touch=", 0
kw_cpuid:       db      "cpuid=", 0
kw_hypercall:   db      "hypercall", 0
kw_vmrun:       db      "vmrun", 0
kw_svm_insns:   db      "svm-insns", 0
kw_msr:         db      "msr", 0
kw_mmio:        db      "mmio", 0
kw_sgdt:        db      "sgdt", 0
kw_triple:      db      "triple", 0
kw_spin:        db      "spin", 0
kw_tick:        db      "tick=", 0
kw_fpu:         db      "fpu=", 0
kw_smp:         db      "smp=", 0
kw_ptouch:      db      "ptouch=", 0
kw_pspin:       db      "pspin=", 0
ap_msg_vcpu:    db      "vcpu ", 0
ap_msg_hello:   db      ": hello from an application processor", 10, 0
kw_exit:        db      "exit=", 0
kw_hcexit:      db      "hcexit=", 0

; =============================================================================
; Data (descriptor tables)
; =============================================================================
                section .data
                align   8
; GDT.  Descriptor fields: limit 0xFFFFF with G=1 (4 GiB), P=1, DPL=0, S=1.
;   0x08: 64-bit code, access 0x9A (exec/read), flags L=1 D=0 (IA-32e requires
;         D=0 when L=1)
;   0x10: data, access 0x92 (read/write), flags G=1 D/B=1
;   0x18: 32-bit code, access 0x9A, flags G=1 D=1 (used until the far jump)
gdt:
                dq      0
                dq      0x00AF9A000000FFFF
                dq      0x00CF92000000FFFF
                dq      0x00CF9A000000FFFF
gdt_end:
                align   8
                dw      0                       ; pad so the base is aligned
gdt_ptr:        dw      gdt_end - gdt - 1       ; LGDT: 16-bit limit, then base
                dq      gdt                     ; (32 bits used in legacy mode)

                dw      0, 0, 0
idt_ptr:        dw      256 * 16 - 1
                dq      idt

                dw      0, 0, 0
idt_null:       dw      0                       ; limit 0: every vector faults
                dq      0

; Saved at entry32 for "sgdt": SGDT (16-bit limit, 32-bit base) and the
; selectors CS, DS, ES, SS, FS, GS as the loader left them.
                align   8
entry_gdtr:     dw      0
                dd      0
                dw      0
entry_sel:      dw      0, 0, 0, 0, 0, 0

load_end:                                       ; end of the file image

; =============================================================================
; BSS (zeroed by the loader and again at entry)
; =============================================================================
                section .bss
bss_start:
pml4:           resb    4096
pdpt:           resb    4096
pds:            resb    MAX_PDS * 4096          ; PD n maps GiB n with 2 MiB pages
idt:            resb    256 * 16
stack:          resb    STACK_SIZE
stack_top:
ap_stacks:      resb    MAX_VCPUS * AP_STACK_SIZE ; vCPU k: the k-th 4 KiB (0 unused)
linebuf:        resb    LINEBUF_SIZE
cmdline_buf:    resb    CMDLINE_MAX + 1
mb_magic:       resd    1
mb_info:        resd    1
ram_end:        resq    1                       ; end of the highest RAM region
map_end:        resq    1                       ; end of the identity mapping
line_len:       resq    1
expect_rip:     resq    1                       ; 0 = no fault expected
fault_count:    resq    1
cur_tok:        resq    1
cur_tok_len:    resq    1
scan_pos:       resq    1
fpu_buf:        resq    32                      ; fpu=N: xmm0-15 as written / read
ap_count:       resq    1                       ; smp=N: APs that said hello
pt_n:           resq    1                       ; ptouch=: vCPUs taking part (0: none)
pt_size:        resq    1                       ; bytes of each one's region
pt_rounds:      resq    1
pt_shared:      resq    1                       ; address of the 64 shared pages
pt_ready:       resq    1                       ; vCPUs at the barrier
pt_done:        resq    1                       ; vCPUs 1..N-1 finished
pt_fail:        resq    1                       ; address of a mismatch, 0 = none
pt_t0:          resq    1                       ; TSC at vCPU 0's barrier exit
pt_cycles:      resq    1                       ; TSC cycles until all finished
ap_spin:        resb    1                       ; pspin=: APs spin
expect_vec:     resb    1
use_vmmcall:    resb    1
first_tok:      resb    1
                resb    (8 - (($ - $$) % 8)) % 8   ; pad to 8 (NASM 2.16's alignb
                                                ; trips its own -Wall warnings)
bss_end:
