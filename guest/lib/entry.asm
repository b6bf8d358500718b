; =============================================================================
; guest/lib/entry.asm -- how a C test guest starts.
;
; The Multiboot (v1) header and the 32-bit entry: zero the bss, run the
; test's optional early32 hook, load our own GDT, identity-map the low 4 GiB,
; enter long mode and call guest_start(magic, info) in C (guest/lib/start.c).
; The image is ELF32 (no a.out kludge): pagoda and QEMU -kernel load its
; PT_LOAD segments (guest/lib/guest.ld) and enter mb_entry in 32-bit
; protected mode, paging off, with EAX = 0x2BADB002 and EBX = the physical
; address of the Multiboot information.
;
; References: Multiboot Specification 0.6.96, 3.1 (header) and 3.2 (machine
; state); Intel SDM vol. 3 9.8.5 and AMD APM vol. 2 14.6.1 (entering IA-32e
; mode).
; =============================================================================

MB_HDR_MAGIC    equ 0x1BADB002
MB_HDR_FLAGS    equ (1 << 0) | (1 << 1) ; page-align modules, want memory info

SEL_CODE64      equ 0x08                ; selectors of our GDT (gdt below)
SEL_DATA        equ 0x10
SEL_CODE32      equ 0x18

CR0_PE          equ 1 << 0
CR0_PG          equ 1 << 31
CR4_PAE         equ 1 << 5
MSR_EFER        equ 0xC0000080
EFER_LME        equ 1 << 8

PTE_P           equ 1 << 0
PTE_RW          equ 1 << 1
PTE_PS          equ 1 << 7              ; in a PD entry: a 2 MiB page
MAPPED_GIB      equ 4                   ; identity map [0, 4 GiB)

BOOT_STACK_SIZE equ 16384

extern early32:weak                     ; a test's 32-bit hook, or 0 (guest.h)
extern guest_start                      ; guest/lib/start.c
extern __bss_start, __bss_end           ; guest/lib/guest.ld
global mb_entry

; The header lies in the first 8192 bytes of the file, 32-bit aligned (3.1):
; guest.ld puts .multiboot first in the first loaded segment.
                section .multiboot progbits alloc noexec nowrite align=4
                dd      MB_HDR_MAGIC
                dd      MB_HDR_FLAGS
                dd      -(MB_HDR_MAGIC + MB_HDR_FLAGS)

                section .text
                bits    32

; mb_entry: the Multiboot entry.  The loader's GDT and segments are still in
; use until lgdt below, so an early32 hook runs on exactly what the loader
; left (Multiboot: flat CS/DS/ES/FS/GS/SS; GRUB and QEMU put code at
; selector 0x08 and data at 0x10).  The bss is zeroed here although the
; loader zeroed it too: the page tables rely on it, and so may the hook.
mb_entry:
                cli
                cld
                mov     esi, eax                ; ESI = Multiboot magic
                mov     ebp, ebx                ; EBP = Multiboot info address
                mov     edi, __bss_start
                mov     ecx, __bss_end
                sub     ecx, edi
                shr     ecx, 2                  ; guest.ld aligns both to 4 KiB
                xor     eax, eax
                rep stosd
                mov     esp, boot_stack_top

                mov     ecx, early32            ; weak: 0 when no test defines it
                test    ecx, ecx
                jz      .no_hook
                mov     eax, esi
                mov     ebx, ebp
                call    ecx                     ; must keep EBX ESI EDI EBP ESP
.no_hook:
                lgdt    [gdt_ptr]
                jmp     SEL_CODE32:.own_gdt
.own_gdt:
                mov     eax, SEL_DATA
                mov     ds, eax
                mov     es, eax
                mov     fs, eax
                mov     gs, eax
                mov     ss, eax

                ; PML4[0] -> PDPT; PDPT[0..3] -> PD 0..3; PD n entry i maps
                ; (n * 512 + i) * 2 MiB write-back.  High dwords stay 0.
                mov     dword [pml4], pdpt + (PTE_P | PTE_RW)
                mov     edi, pdpt
                mov     eax, pds + (PTE_P | PTE_RW)
                mov     ecx, MAPPED_GIB
.pdpt:
                mov     [edi], eax
                add     eax, 4096
                add     edi, 8
                loop    .pdpt
                mov     edi, pds
                mov     eax, PTE_P | PTE_RW | PTE_PS
                mov     ecx, MAPPED_GIB * 512
.pd:
                mov     [edi], eax
                add     eax, 1 << 21
                add     edi, 8
                loop    .pd

                ; IA-32e: PAE, CR3, EFER.LME, then CR0.PG (sets EFER.LMA:
                ; compatibility mode), then a far jump to an L=1 code segment.
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
                jmp     SEL_CODE64:entry64

                bits    64
; entry64: 64-bit mode on our GDT; the upper halves of the GPRs are
; undefined after the switch, so the 32-bit moves below zero-extend.
entry64:
                mov     eax, SEL_DATA
                mov     ds, eax
                mov     es, eax
                mov     ss, eax
                xor     eax, eax
                mov     fs, eax
                mov     gs, eax
                mov     esp, boot_stack_top     ; 16-byte aligned, below 4 GiB
                mov     edi, esi                ; guest_start(magic,
                mov     esi, ebp                ;             info address)
                xor     ebp, ebp
                call    guest_start             ; does not return
.park:
                cli
                hlt
                jmp     .park

; GDT: limit 0xFFFFF with G=1 (4 GiB), P=1, DPL 0, accessed bits preset.
;   0x08  64-bit code: access 0x9B, L=1 D=0 (IA-32e needs D=0 with L=1)
;   0x10  data:        access 0x93, G=1 B=1
;   0x18  32-bit code: access 0x9B, G=1 D=1 (only until the far jump)
                section .data
                align   8
gdt:
                dq      0
                dq      0x00AF9B000000FFFF
                dq      0x00CF93000000FFFF
                dq      0x00CF9B000000FFFF
gdt_end:
                dw      0, 0, 0                 ; so that the base is 8-aligned
gdt_ptr:        dw      gdt_end - gdt - 1       ; LGDT: limit, then base (32 bits
                dq      gdt                     ; read in protected mode)

; Page tables first (page-aligned: the section is), then the boot stack.
                section .bss nobits alloc noexec write align=4096
pml4:           resb    4096
pdpt:           resb    4096
pds:            resb    MAPPED_GIB * 4096
boot_stack:     resb    BOOT_STACK_SIZE
boot_stack_top:
