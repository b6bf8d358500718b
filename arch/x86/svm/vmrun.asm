; The SVM world switch.
;
;   void svm_vmrun(struct vcpu_regs *regs, u64 guest_vmcb_pa, u64 host_vmcb_pa)
;
; VMRUN loads and #VMEXIT saves only part of the state (APM Vol 2 15.5.1):
; RAX, RSP, RIP and RFLAGS go through the VMCB, and FS, GS, TR, LDTR,
; KernelGSBase and the SYSCALL/SYSENTER MSRs need VMLOAD/VMSAVE.  So: VMSAVE
; the host's share into its own VMCB, load every other guest general
; register from REGS, VMLOAD + VMRUN + VMSAVE on the guest VMCB, store the
; guest registers back into REGS and VMLOAD the host's share again.
; The caller runs with GIF cleared (CLGI) around this call.
; Offsets into struct vcpu_regs come from build/asm-offsets.inc.

%include "asm-offsets.inc"

default rel
bits 64
section .text

global svm_vmrun:function hidden
svm_vmrun:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    push rdi                    ; [rsp+16] after the next two pushes: regs
    push rdx                    ; [rsp+8]: host VMCB
    push rsi                    ; [rsp]:   guest VMCB

    mov rax, rdx
    vmsave                      ; host FS/GS/TR/LDTR/MSRs -> host VMCB

    mov rbx, [rdi + REGS_RBX]
    mov rcx, [rdi + REGS_RCX]
    mov rdx, [rdi + REGS_RDX]
    mov rsi, [rdi + REGS_RSI]
    mov rbp, [rdi + REGS_RBP]
    mov r8,  [rdi + REGS_R8]
    mov r9,  [rdi + REGS_R9]
    mov r10, [rdi + REGS_R10]
    mov r11, [rdi + REGS_R11]
    mov r12, [rdi + REGS_R12]
    mov r13, [rdi + REGS_R13]
    mov r14, [rdi + REGS_R14]
    mov r15, [rdi + REGS_R15]
    mov rdi, [rdi + REGS_RDI]

    mov rax, [rsp]              ; guest VMCB
    vmload
    vmrun
    vmsave                      ; RAX is the guest VMCB again after #VMEXIT

    push rdi                    ; guest RDI; regs is now at [rsp+24]
    mov rdi, [rsp + 24]
    mov [rdi + REGS_RBX], rbx
    mov [rdi + REGS_RCX], rcx
    mov [rdi + REGS_RDX], rdx
    mov [rdi + REGS_RSI], rsi
    mov [rdi + REGS_RBP], rbp
    mov [rdi + REGS_R8],  r8
    mov [rdi + REGS_R9],  r9
    mov [rdi + REGS_R10], r10
    mov [rdi + REGS_R11], r11
    mov [rdi + REGS_R12], r12
    mov [rdi + REGS_R13], r13
    mov [rdi + REGS_R14], r14
    mov [rdi + REGS_R15], r15
    pop rax
    mov [rdi + REGS_RDI], rax

    add rsp, 8                  ; guest VMCB
    pop rax                     ; host VMCB
    vmload                      ; host FS/GS/TR/LDTR/MSRs back
    pop rdi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
