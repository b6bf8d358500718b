; =============================================================================
; guest/tests/hc_user.asm -- the 32-bit part of the hc_user test guest: make
; hypercalls from CPL 3, where a guest's user programs run.
;
; early32 loads a GDT of its own with ring-0 and ring-3 flat segments and a
; TSS (ESP0 for the way back), an IDT whose vector 0x80 is a DPL-3 interrupt
; gate to ring 0 and whose #UD gate catches a refused instruction, and
; IRETDs to CPL 3.  There the user code makes HC_VERSION and HC_EXIT(42)
; hypercalls (VMMCALL on AMD, VMCALL otherwise: hv_is_amd, set by early32)
; and records EAX after each, then INT 0x80 brings it back to ring 0, which
; returns from early32 on its own stack.  hc_user.c checks the records.
; (Intel SDM vol. 3 6.12.1: a gate to a more privileged level switches to
; the TSS's SS0:ESP0; 7.2.1: the 32-bit TSS.)
; =============================================================================

SEL_CODE0       equ 0x08
SEL_DATA0       equ 0x10
SEL_CODE3       equ 0x18 | 3
SEL_DATA3       equ 0x20 | 3
SEL_TSS         equ 0x28
GATE_INTR32     equ 0x8E00              ; P=1, DPL 0, 32-bit interrupt gate
GATE_INTR32_U   equ 0xEE00              ; P=1, DPL 3: INT n allowed from CPL 3
HC_VERSION      equ 0
HC_EXIT         equ 2

global early32
global user_version_ret, user_exit_ret, user_ud, user_back, hv_is_amd

                section .text
                bits    32

; early32: to CPL 3 and back; clobbers EAX, ECX, EDX, keeps the rest.
early32:
                pushad
                mov     [kernel_esp], esp
                xor     eax, eax                ; vendor: "AuthenticAMD" -> VMMCALL
                cpuid
                cmp     ebx, 'Auth'
                sete    byte [hv_is_amd]
                ; TSS: ESP0 = our ring-0 stack for the way back, SS0 = data.
                mov     dword [tss + 4], ring0_stack_top
                mov     dword [tss + 8], SEL_DATA0
                mov     eax, tss
                mov     [gdt + SEL_TSS + 2], ax
                shr     eax, 16
                mov     [gdt + SEL_TSS + 4], al
                mov     [gdt + SEL_TSS + 7], ah
                lgdt    [gdt_ptr]
                jmp     SEL_CODE0:.reload
.reload:        mov     ax, SEL_DATA0
                mov     ds, ax
                mov     es, ax
                mov     ss, ax
                mov     ax, SEL_TSS
                ltr     ax
                mov     eax, back_handler       ; INT 0x80 from CPL 3
                mov     ecx, 0x80
                mov     edx, GATE_INTR32_U
                call    set_gate
                mov     eax, ud_handler         ; #UD, should a hypercall raise it
                mov     ecx, 6
                mov     edx, GATE_INTR32
                call    set_gate
                lidt    [idt_ptr]
                ; IRETD to CPL 3: SS, ESP, EFLAGS, CS, EIP.
                push    dword SEL_DATA3
                push    dword user_stack_top
                push    dword 0x2
                push    dword SEL_CODE3
                push    dword user_code
                iretd

; set_gate: IDT vector ECX -> handler EAX, type and DPL in DX.
set_gate:
                mov     [idt + ecx * 8], ax
                mov     word [idt + ecx * 8 + 2], SEL_CODE0
                mov     [idt + ecx * 8 + 4], dx
                shr     eax, 16
                mov     [idt + ecx * 8 + 6], ax
                ret

; user_code: runs at CPL 3.
user_code:
                mov     ax, SEL_DATA3
                mov     ds, ax
                mov     es, ax
                mov     eax, HC_VERSION
                call    hypercall
                mov     [user_version_ret], eax
                mov     eax, HC_EXIT
                mov     edi, 42
                call    hypercall
                mov     [user_exit_ret], eax
                int     0x80                    ; back to ring 0

hypercall:
                cmp     byte [hv_is_amd], 0
                je      .intel
                vmmcall
                ret
.intel:         vmcall
                ret

; #UD at CPL 3 (a hypercall refused that way): count, skip 3 bytes.
ud_handler:
                inc     dword [user_ud]
                add     dword [esp], 3
                iretd

; back_handler: ring 0 again (on ring0_stack); unwind to early32's caller.
back_handler:
                mov     ax, SEL_DATA0
                mov     ds, ax
                mov     es, ax
                mov     dword [user_back], 1
                mov     esp, [kernel_esp]
                popad
                ret

                section .data
                align   8
gdt:            dq      0
                dq      0x00cf9a000000ffff      ; 0x08 code, DPL 0
                dq      0x00cf92000000ffff      ; 0x10 data, DPL 0
                dq      0x00cffa000000ffff      ; 0x18 code, DPL 3
                dq      0x00cff2000000ffff      ; 0x20 data, DPL 3
                dq      0x0000890000000067      ; 0x28 32-bit TSS, base filled in
gdt_end:
                dw      0
gdt_ptr:        dw      gdt_end - gdt - 1
                dd      gdt
                dw      0
idt_ptr:        dw      256 * 8 - 1
                dd      idt

                section .bss nobits alloc noexec write align=16
idt:            resb    256 * 8
tss:            resb    104
kernel_esp:     resd    1
user_version_ret: resd  1                       ; EAX after HC_VERSION at CPL 3
user_exit_ret:  resd    1                       ; EAX after HC_EXIT at CPL 3
user_ud:        resd    1                       ; #UDs taken at CPL 3
user_back:      resd    1                       ; 1 once INT 0x80 came back
hv_is_amd:      resb    1
                alignb  16
                resb    4096
ring0_stack_top:
                resb    4096
user_stack_top:
