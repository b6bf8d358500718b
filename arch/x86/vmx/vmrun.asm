; The VMX world switch.
;
;   int vmx_enter(struct vcpu_regs *regs, u64 launched)
;
; Returns 0 after a VM exit (guest GPRs saved into REGS), 1 on VMfailInvalid
; (CF=1: no valid current VMCS) and 2 on VMfailValid (ZF=1: the reason is in
; the VM-instruction error field 0x4400, read by the C caller).
;
; Unlike SVM, a VM exit does not return to the instruction after VMLAUNCH:
; the CPU loads RSP and RIP from the host-state area (SDM Vol 3C 27.5.3).
; So HOST_RSP is written here with the stack pointer as it is after the
; pushes below, and HOST_RIP with the address of .vmexit; the exit path then
; finds REGS at [rsp].  Guest RSP, RIP and RFLAGS live in the VMCS (synced by
; C); every other general register is loaded from and saved to REGS here.
; VMLAUNCH is used while the VMCS is "clear", VMRESUME once it is "launched"
; (SDM 24.1, 30.3): LAUNCHED tells which.  Interrupts are off (the VMM runs
; with IF=0); a VM exit leaves RFLAGS = 0x2 (27.5.3) which keeps them off.
; Offsets into struct vcpu_regs come from build/asm-offsets.inc.

%include "asm-offsets.inc"
%include "guest_regs.inc"
%include "spec.inc"

VMCS_HOST_RSP equ 0x6c14                ; SDM Appendix B.4, natural-width host fields
VMCS_HOST_RIP equ 0x6c16

default rel
bits 64
section .text

global vmx_enter:function hidden
vmx_enter:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    push rsi                    ; [rsp+8]: launched
    push rdi                    ; [rsp]:   regs (HOST_RSP points here)

    mov rdx, VMCS_HOST_RSP
    vmwrite rdx, rsp
    jbe .fail                   ; CF or ZF: no current VMCS / bad field
    lea rax, [rel .vmexit]
    mov rdx, VMCS_HOST_RIP
    vmwrite rdx, rax
    jbe .fail

    cmp qword [rsp + 8], 0      ; flags survive the MOVs below
    mov rax, [rdi + REGS_RAX]
    LOAD_GUEST_GPRS
    mov rdi, [rdi + REGS_RDI]
    je .launch
    vmresume
    jmp .fail                   ; only reached when VMRESUME failed
.launch:
    vmlaunch
    ; fall through: VMLAUNCH failed

.fail:
    mov eax, 1                  ; MOV keeps the flags: CF=1 -> VMfailInvalid
    jc .out
    mov eax, 2                  ; ZF=1 -> VMfailValid
    jmp .out

.vmexit:                        ; the CPU arrives here on every VM exit
    push rdi                    ; guest RDI; regs is now at [rsp+8]
    mov rdi, [rsp + 8]
    mov [rdi + REGS_RAX], rax
    SAVE_GUEST_GPRS
    pop rax
    mov [rdi + REGS_RDI], rax
    FILL_RSB                    ; before the first RET after the exit
    xor eax, eax

.out:
    add rsp, 16                 ; regs, launched
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
