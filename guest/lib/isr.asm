; =============================================================================
; guest/lib/isr.asm -- entry for all 256 vectors: the 32 exceptions and the
; interrupts (32-255) a test enables.
;
; Each stub makes the frame uniform (a 0 where the CPU pushes no error code,
; then the vector), and exc_common saves the general registers and calls
; exc_dispatch(struct exc_frame *) in guest/lib/exception.c, which may
; change any saved register, RIP included, before the IRETQ.  The push order
; here is the field order of struct exc_frame (guest/lib/exception.h),
; lowest address first: r15 .. rax, vector, error code, then the CPU's frame.
; (Intel SDM vol. 3 6.14.1-6.14.2: 64-bit mode aligns RSP to 16 and pushes
; SS, RSP, RFLAGS, CS, RIP and for some vectors an error code.)
; =============================================================================

extern exc_dispatch
global exc_stubs

                section .text
                bits    64

; Vectors that push an error code (SDM vol. 3 table 6-1): #DF, #TS, #NP,
; #SS, #GP, #PF, #AC, #CP, #VC, #SX.
%define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
                    (v) == 21 || (v) == 29 || (v) == 30)

%assign vec 0
%rep 256
exc_stub_ %+ vec:
 %if HAS_ERR(vec) == 0
                push    0
 %endif
                push    vec
                jmp     exc_common
 %assign vec vec + 1
%endrep

; 17 quadwords pushed here on top of the CPU's 5 (or 5 + our 0): 22 in all,
; so RSP is 16-byte aligned again at the call, as the ABI wants.
exc_common:
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
                mov     rdi, rsp
                cld
                call    exc_dispatch
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
                add     rsp, 16                 ; vector and error code
                iretq

; exc_stubs[v]: the entry of vector v, for the IDT built in exception.c.
                section .rodata
                align   8
exc_stubs:
%assign vec 0
%rep 256
                dq      exc_stub_ %+ vec
 %assign vec vec + 1
%endrep
