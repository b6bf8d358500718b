; Exception and interrupt entry stubs of the VMM.
;
; (The one assembly file outside the world switch: registers at the time of
; a fault can only be captured before C code runs.)  Each of the 256 stubs
; pushes a zero error code when the CPU pushes none (SDM Vol 3 6.13: vectors
; 8, 10-14, 17, 21, 29, 30 push one), then its vector number, then jumps to
; the common path, which saves every general register into a struct
; exc_frame (arch/x86/irq.h) and calls exception_dispatch(frame).

default rel
bits 64
section .text

extern exception_dispatch

%macro STUB 1
isr_stub_%1:
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
%else
    push qword 0
%endif
    push qword %1
    jmp isr_common
%endmacro

%assign i 0
%rep 256
STUB i
%assign i i+1
%endrep

isr_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    mov rbx, rsp            ; callee-saved: the frame, across the call
    and rsp, -16            ; the ABI wants a 16-byte aligned stack at the call
    cld
    call exception_dispatch
    mov rsp, rbx
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16             ; vector and error code
    iretq

section .data
global isr_stub_table:data hidden
align 8
isr_stub_table:
%assign i 0
%rep 256
    dq isr_stub_%[i]
%assign i i+1
%endrep
