; tests/vmx/vmxinsn.asm -- a minimal Multiboot (v1) guest for the VMX tests.
;
; It runs each VMX instruction once in 32-bit protected mode (paging off)
; and counts the #UD exceptions it gets back.  In VMX non-root operation
; these instructions cause VM exits unconditionally (Intel SDM Vol 3C
; 25.1.2) - the guest's real CR4.VMXE is 1, forced by VMX, so the CPU does
; not raise #UD by itself - and pagoda must answer each with #UD.  VMCALL is
; left out: it is pagoda's hypercall.
;
; Then the host-owned control-register bits: setting CR4.VMXE must raise #GP
; and CR4 must read VMXE as 0; CR0.NE (fixed to 1 under VMX) must read back
; as the guest wrote it, through the CR0 read shadow and CR-access exits.
;
; Output: one line per control-register check, "vmxinsn: N of 11 raised
; #UD" on the UART, then OUT 0xF4, N, which ends the guest with status
; (N << 1) | 1 (23 when all 11 raised #UD).
;
; Build: nasm -f bin -o vmxinsn.bin tests/vmx/vmxinsn.asm

ORG_ADDR        equ 0x100000
COM1            equ 0x3f8
DEBUG_EXIT      equ 0xf4
NR_INSNS        equ 11

                bits 32
                org ORG_ADDR

; Multiboot header (spec 3.1) with the a.out kludge: loaded as one flat
; piece at ORG_ADDR, entry at `start`.
mb_header:      dd 0x1badb002
                dd 1 << 16
                dd -(0x1badb002 + (1 << 16))
                dd mb_header            ; header_addr
                dd ORG_ADDR             ; load_addr
                dd image_end            ; load_end_addr
                dd bss_end              ; bss_end_addr
                dd start                ; entry_addr

start:          mov esp, stack_top
                lgdt [gdtr]             ; our own flat GDT: IRET reloads CS from it
                jmp 0x08:.cs_loaded
.cs_loaded:     mov ax, 0x10
                mov ds, ax
                mov es, ax
                mov ss, ax
                ; IDT: only #UD (6) and #GP (13) are present, 32-bit interrupt gates.
%macro GATE 2
                mov eax, %2
                mov [idt + %1 * 8], ax
                mov word [idt + %1 * 8 + 2], 0x08
                mov word [idt + %1 * 8 + 4], 0x8e00
                shr eax, 16
                mov [idt + %1 * 8 + 6], ax
%endmacro
                GATE 6, ud_handler
                GATE 13, gp_handler
                lidt [idtr]
                xor edi, edi            ; #GP count
                xor esi, esi            ; #UD count

; TRY insn...: run one instruction; a #UD resumes at the next TRY.
%macro TRY 1+
                mov dword [resume], %%next
                %1
%%next:
%endmacro
                TRY vmxon [region]
                TRY vmclear [region]
                TRY vmptrld [region]
                TRY vmptrst [region]
                TRY vmread eax, ebx
                TRY vmwrite ebx, eax
                TRY vmlaunch
                TRY vmresume
                TRY vmxoff
                TRY invept eax, [desc]
                TRY invvpid eax, [desc]

                ; Control registers: CR4.VMXE is the host's (hidden: setting it
                ; is #GP, reading it gives 0); CR0.NE is VMX-fixed to 1 but the
                ; guest reads back what it wrote (the CR0 read shadow).
                mov dword [resume], .vmxe_done
                mov eax, cr4
                or eax, 1 << 13
                mov cr4, eax
.vmxe_done:     mov ebx, msg_vmxe_bad
                cmp edi, 1
                jne .vmxe_print
                mov eax, cr4
                test eax, 1 << 13
                jnz .vmxe_print
                mov ebx, msg_vmxe_ok
.vmxe_print:    call puts

                mov ebx, msg_ne_bad
                mov eax, cr0
                or eax, 1 << 5
                mov cr0, eax
                mov eax, cr0
                test eax, 1 << 5
                jz .ne_print
                and eax, ~(1 << 5)
                mov cr0, eax
                mov eax, cr0
                test eax, 1 << 5
                jnz .ne_print
                mov ebx, msg_ne_ok
.ne_print:      call puts

                mov ebx, msg
                call puts
                xor edx, edx
                mov eax, esi
                mov ecx, 10
                div ecx                 ; eax = tens, edx = ones
                push edx                ; putc uses DX for the port
                add al, '0'
                call putc
                pop eax
                add al, '0'
                call putc
                mov ebx, msg2
                call puts
                mov eax, esi
                out DEBUG_EXIT, al
                hlt                     ; not reached: the guest has ended

ud_handler:     inc esi
                mov eax, [resume]
                mov [esp], eax          ; return EIP: past the faulting instruction
                iret

gp_handler:     add esp, 4              ; the error code
                inc edi
                mov eax, [resume]
                mov [esp], eax
                iret

putc:           mov dx, COM1
                out dx, al
                ret
puts:           mov al, [ebx]
                test al, al
                jz .done
                call putc
                inc ebx
                jmp puts
.done:          ret

msg:            db "vmxinsn: ", 0
msg2:           db " of 11 raised #UD", 10, 0
msg_vmxe_ok:    db "vmxinsn: cr4.vmxe hidden, setting it is #GP", 10, 0
msg_vmxe_bad:   db "vmxinsn: cr4.vmxe NOT hidden", 10, 0
msg_ne_ok:      db "vmxinsn: cr0.ne reads back as written", 10, 0
msg_ne_bad:     db "vmxinsn: cr0.ne does NOT read back as written", 10, 0

                align 8
gdt:            dq 0
                dq 0x00cf9b000000ffff   ; 0x08: 32-bit code, flat
                dq 0x00cf93000000ffff   ; 0x10: data, flat
gdtr:           dw 3 * 8 - 1
                dd gdt
idtr:           dw 32 * 8 - 1
                dd idt
                align 16
desc:           dq 0, 0                 ; INVEPT/INVVPID descriptor
image_end:

section .bss
                alignb 4096
region:         resb 4096               ; VMXON/VMCS operand
idt:            resb 32 * 8
resume:         resd 1
                resb 4096
stack_top:
bss_end:
