; Application processor start-up code (the trampoline).
;
; Assembly because a CPU woken by INIT-SIPI-SIPI starts in real mode: the
; SIPI's vector V makes it fetch at CS = V << 8, IP = 0 (SDM Vol 3 9.4.4.1,
; 11.6.1).  arch/x86/smp.c copies the bytes between ap_start_begin and
; ap_start_end to a page below 1 MiB and fills the ap_start_* parameters
; there (it finds them by their distance from ap_start_begin); the code
; only uses addresses relative to that page, which it takes from CS.
;
; Steps: real mode -> protected mode on the small GDT below (SDM Vol 3
; 10.9.1) -> IA-32e mode with PAE, EFER.LME and paging on, CR3 a copy of
; the VMM's PML4 that lies below 4 GiB (a 32-bit MOV to CR3 cannot name
; more; SDM Vol 3 10.8.5) -> 64-bit code, which loads the VMM's own CR3,
; the AP's stack, and calls ap_start_entry_c(percpu) in smp.c by its
; absolute address.  EBX holds the page's linear address throughout.

bits 16
section .text

global ap_start_begin, ap_start_end
global ap_start_gdt_ptr, ap_start_cr3_low, ap_start_efer, ap_start_cr0
global ap_start_cr3, ap_start_stack, ap_start_percpu, ap_start_entry

ap_start_begin:
    cli
    cld
    mov ax, cs
    mov ds, ax
    movzx ebx, ax
    shl ebx, 4                      ; EBX = linear address of this page
    ; Patch the linear addresses the far jumps and LGDT need.
    lea eax, [ebx + (pm32 - ap_start_begin)]
    mov [pm32_ptr - ap_start_begin], eax
    lea eax, [ebx + (lm64 - ap_start_begin)]
    mov [lm64_ptr - ap_start_begin], eax
    lea eax, [ebx + (gdt - ap_start_begin)]
    mov [ap_start_gdt_ptr - ap_start_begin + 2], eax
    o32 lgdt [ap_start_gdt_ptr - ap_start_begin]
    mov eax, cr0
    or eax, 1                       ; CR0.PE
    mov cr0, eax
    o32 jmp far [pm32_ptr - ap_start_begin]

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, 1 << 5                  ; CR4.PAE (SDM Vol 3 10.8.5 step 2)
    mov cr4, eax
    mov eax, [ebx + (ap_start_cr3_low - ap_start_begin)]
    mov cr3, eax                    ; step 3: a PML4 below 4 GiB
    mov ecx, 0xc0000080             ; IA32_EFER
    rdmsr
    or eax, [ebx + (ap_start_efer - ap_start_begin)] ; LME (step 4), NXE as the BSP has it
    wrmsr
    mov eax, [ebx + (ap_start_cr0 - ap_start_begin)]
    mov cr0, eax                    ; step 5: PG (with PE and the BSP's other bits)
    jmp far [ebx + (lm64_ptr - ap_start_begin)]

bits 64
lm64:
    mov ebx, ebx                    ; the upper halves are undefined after the switch
    mov rax, [rbx + (ap_start_cr3 - ap_start_begin)]
    mov cr3, rax                    ; the VMM's own page tables
    mov rsp, [rbx + (ap_start_stack - ap_start_begin)]
    mov rdi, [rbx + (ap_start_percpu - ap_start_begin)]
    mov rax, [rbx + (ap_start_entry - ap_start_begin)]
    xor ebp, ebp
    call rax                        ; ap_start_entry_c(percpu), never returns
.stop:
    cli
    hlt
    jmp .stop

; Temporary GDT: null, 64-bit code 0x08, data 0x10, 32-bit code 0x18.
align 16
gdt:
    dq 0
    dq 0x00af9b000000ffff
    dq 0x00cf93000000ffff
    dq 0x00cf9b000000ffff
ap_start_gdt_ptr:
    dw 31                           ; limit
    dd 0                            ; base, patched above
align 8
pm32_ptr:
    dd 0                            ; offset, patched above
    dw 0x18
align 8
lm64_ptr:
    dd 0
    dw 0x08

; Parameters, written by arch/x86/smp.c before each SIPI.
align 8
ap_start_cr3_low: dd 0              ; physical address of the low PML4 copy
ap_start_efer: dd 0                 ; EFER bits to set: LME, NXE
ap_start_cr0: dd 0                  ; CR0 with PE and PG
align 8
ap_start_cr3: dq 0                  ; the VMM's CR3
ap_start_stack: dq 0                ; top of the AP's stack
ap_start_percpu: dq 0               ; its struct percpu
ap_start_entry: dq 0                ; address of ap_start_entry_c
ap_start_end:
