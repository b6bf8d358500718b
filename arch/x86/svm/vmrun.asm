; The SVM world switch.
;
;   void svm_vmrun(struct vcpu_regs *regs, u64 guest_vmcb_pa, u64 host_vmcb_pa)
;
; VMRUN loads and #VMEXIT saves only part of the state (APM Vol 2 15.5.1):
; RAX, RSP, RIP and RFLAGS go through the VMCB, and FS, GS, TR, LDTR,
; KernelGSBase and the SYSCALL/SYSENTER MSRs need VMLOAD/VMSAVE.  So: load
; every other guest general register from REGS, VMLOAD + VMRUN + VMSAVE on
; the guest VMCB, store the guest registers back into REGS and VMLOAD the
; host's share from the host VMCB.  That share was VMSAVEd once, when SVM
; was enabled on this CPU (svm_cpu_enable): the VMM never changes it.
; The caller runs with GIF cleared (CLGI) around this call.
; Offsets into struct vcpu_regs come from build/asm-offsets.inc.

%include "asm-offsets.inc"
%ifdef EXIT_FLOOR
%include "vmcb-offsets.inc"
%endif
%include "guest_regs.inc"
%include "spec.inc"

default rel
bits 64
section .text

global svm_vmrun:function hidden
global svm_vmrun_resume:function hidden
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

    LOAD_GUEST_GPRS
    mov rdi, [rdi + REGS_RDI]

    mov rax, [rsp]              ; guest VMCB
    vmload
%ifdef EXIT_FLOOR
floor_again:
%endif
    vmrun
svm_vmrun_resume:               ; where #VMEXIT returns (the host save area's RIP)
%ifdef EXIT_FLOOR
    ; The floor of an exit, for scripts/bench-kvm.sh --floor only (make
    ; EXIT_FLOOR=1): a CPUID exit of leaf 0 is answered here and the guest
    ; entered again, with no VMSAVE, VMLOAD or C code in between, so the
    ; guest's timed CPUID costs what the world switch alone costs.  RAX
    ; is the VMCB's physical address, which the VMM maps 1:1; the VMCB
    ; offsets come from struct vmcb (vmcb-offsets.inc).  The guest's RBX,
    ; RCX and RDX are still in their registers.
    cmp qword [rax + VMCB_EXIT_CODE], VMCB_EXIT_CPUID
    jne floor_out
    cmp dword [rax + VMCB_RAX], 0
    jne floor_out
    mov qword [rax + VMCB_RAX], 0x10 ; highest leaf, then "AuthenticAMD"
    mov ebx, 0x68747541
    mov edx, 0x69746e65
    mov ecx, 0x444d4163
    mov byte [rax + VMCB_TLB_CONTROL], 0
    mov qword [rax + VMCB_EVENT_INJ], 0
    add qword [rax + VMCB_RIP], 2 ; CPUID is 0F A2 (the timed guest uses no prefix)
    jmp floor_again
floor_out:
%endif
    vmsave                      ; RAX is the guest VMCB again after #VMEXIT

    push rdi                    ; guest RDI; regs is now at [rsp+24]
    mov rdi, [rsp + 24]
    SAVE_GUEST_GPRS
    pop rax
    mov [rdi + REGS_RDI], rax

    add rsp, 8                  ; guest VMCB
    pop rax                     ; host VMCB
    vmload                      ; host FS/GS/TR/LDTR/MSRs back
    FILL_RSB                    ; before the first RET after the exit
    pop rdi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
