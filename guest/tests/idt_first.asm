; =============================================================================
; guest/tests/idt_first.asm -- the 32-bit part of the idt_first test guest.
;
; early32 runs at the Multiboot entry, before the library loads any GDT of
; its own (guest/lib/guest.h): like a hostile or odd kernel, it loads an IDT
; whose #UD gate names selector 0x08 of the GDT the LOADER left (GRUB's and
; QEMU's flat 32-bit code), executes UD2, and records what its handler saw.
; idt_first.c checks the records in 64-bit mode.  A loader that leaves no
; usable GDT (an empty GDTR) makes the #UD delivery fault in turn (#GP on
; the gate's selector, then #DF) and the guest triple-faults.
; (Intel SDM vol. 3 6.11-6.12: IDT gates and the protected-mode frame.)
; =============================================================================

LOADER_CODE_SEL equ 0x08                ; flat code in GRUB's and QEMU's GDT
GATE_INTR32     equ 0x8E00              ; P=1, DPL 0, type 0xE: 32-bit interrupt gate
IDT_ENTRIES     equ 7                   ; vectors 0..6; only #UD (6) is present
UD2_LEN         equ 2

global early32, early_ud2
global early_ud_count, early_ud_eip, early_ud_cs, early_resumed
global early_gdtr, early_cs

                section .text
                bits    32

; early32: IDT first, then UD2; clobbers only EAX, ECX, EDX.
early32:
                sgdt    [early_gdtr]            ; what the loader left, for the report
                mov     ax, cs
                movzx   eax, ax
                mov     [early_cs], eax
                mov     eax, ud_handler
                mov     [idt32 + 6 * 8], ax     ; offset 15:0
                mov     word [idt32 + 6 * 8 + 2], LOADER_CODE_SEL
                mov     word [idt32 + 6 * 8 + 4], GATE_INTR32
                shr     eax, 16
                mov     [idt32 + 6 * 8 + 6], ax ; offset 31:16
                lidt    [idt32_ptr]
early_ud2:
                ud2
                mov     dword [early_resumed], 1
                ret

; ud_handler: the frame is EIP, CS, EFLAGS (#UD pushes no error code).
; Count, record EIP and CS, and return past the UD2.
ud_handler:
                push    eax
                inc     dword [early_ud_count]
                mov     eax, [esp + 4]
                mov     [early_ud_eip], eax
                mov     eax, [esp + 8]
                mov     [early_ud_cs], eax
                add     dword [esp + 4], UD2_LEN
                pop     eax
                iretd

                section .data
                align   4
                dw      0                       ; so that the base is 4-aligned
idt32_ptr:      dw      IDT_ENTRIES * 8 - 1
                dd      idt32

                section .bss nobits alloc noexec write align=8
idt32:          resb    IDT_ENTRIES * 8
early_gdtr:     resb    6                       ; SGDT: 16-bit limit, 32-bit base
                resb    2
early_cs:       resd    1                       ; CS at entry
early_ud_count: resd    1                       ; times ud_handler ran
early_ud_eip:   resd    1                       ; EIP in its frame
early_ud_cs:    resd    1                       ; CS in its frame (low 16 bits)
early_resumed:  resd    1                       ; 1 once UD2 was stepped over
