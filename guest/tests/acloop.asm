; =============================================================================
; guest/tests/acloop.asm -- the recursive #AC of CVE-2015-5307, in 32-bit
; protected mode at the Multiboot entry (early32, before long mode: in
; 64-bit mode delivery aligns the stack to 16 bytes and the case cannot
; arise).
;
; CR0.AM = 1; a GDT with DPL 3 code and data; an IDT whose #AC gate (vector
; 17) targets the DPL 3 code, so an #AC raised at CPL 3 is delivered without
; a stack switch, on the current stack; IRETD to CPL 3 with EFLAGS.AC = 1
; and an odd ESP.  The first PUSH raises #AC (alignment check: CPL 3, AM,
; AC, misaligned, Intel SDM vol. 3 6.15 "Interrupt 17"); its delivery pushes
; the frame onto the same odd ESP and raises #AC again, and so on: on
; hardware that loops inside the CPU forever, with no VM exit unless the
; hypervisor intercepts #AC (then each round is one exit).  Bochs behaves
; as hardware does (measured: without the intercept the emulated CPU loops
; in delivery and the VMM never runs again); QEMU's TCG does not check
; alignment at all (the PUSH just runs).  Either way this never returns:
; acloop.c's main is not reached.
; =============================================================================

SEL_CODE0       equ 0x08
SEL_DATA0       equ 0x10
SEL_CODE3       equ 0x18 | 3
SEL_DATA3       equ 0x20 | 3
GATE_INTR32     equ 0x8E00              ; P=1, DPL 0, 32-bit interrupt gate
CR0_AM          equ 1 << 18
EFLAGS_AC       equ 1 << 18
COM1            equ 0x3f8
X86_AC          equ 17

global early32

                section .text
                bits    32

early32:
                mov     esi, banner
.print:         lodsb
                test    al, al
                jz      .printed
                mov     dx, COM1
                out     dx, al
                jmp     .print
.printed:
                lgdt    [gdt_ptr]
                jmp     SEL_CODE0:.reload
.reload:        mov     ax, SEL_DATA0
                mov     ds, ax
                mov     es, ax
                mov     ss, ax
                mov     eax, ac_handler
                mov     [idt + X86_AC * 8], ax
                mov     word [idt + X86_AC * 8 + 2], SEL_CODE3
                mov     word [idt + X86_AC * 8 + 4], GATE_INTR32
                shr     eax, 16
                mov     [idt + X86_AC * 8 + 6], ax
                lidt    [idt_ptr]
                mov     eax, cr0
                or      eax, CR0_AM
                mov     cr0, eax
                push    dword SEL_DATA3         ; SS
                push    dword user_stack_top - 1 ; ESP: odd
                push    dword EFLAGS_AC | 2     ; EFLAGS: AC, IF=0
                push    dword SEL_CODE3         ; CS
                push    dword user_code         ; EIP
                iretd

; CPL 3.  On a CPU that checks alignment, the PUSH never completes.
user_code:
                push    eax
                pop     eax
                jmp     user_code

; Never runs where alignment is checked (its own frame cannot be pushed).
ac_handler:
                add     esp, 4                  ; error code
                iretd

                section .data
                align   8
gdt:            dq      0
                dq      0x00CF9B000000FFFF      ; 0x08 code, DPL 0
                dq      0x00CF93000000FFFF      ; 0x10 data, DPL 0
                dq      0x00CFFB000000FFFF      ; 0x18 code, DPL 3
                dq      0x00CFF3000000FFFF      ; 0x20 data, DPL 3
gdt_end:
                dw      0
gdt_ptr:        dw      gdt_end - gdt - 1
                dd      gdt
                dw      0
idt_ptr:        dw      (X86_AC + 1) * 8 - 1
                dd      idt
banner:         db      "acloop: recursive #AC at CPL 3 now", 10, 0

                section .bss nobits alloc noexec write align=16
idt:            resb    (X86_AC + 1) * 8
                resb    4096
user_stack_top:
