; A Multiboot v1 kernel (a.out kludge, flat) that turns on PAE paging
; outside long mode -- the mode a 32-bit PAE kernel runs in.  It builds a
; PDPT whose first entry maps the first GiB with 2 MiB pages, sets CR4.PAE
; and CR3, then in ONE write sets CR0.PG together with CR0.NE: a change to NE
; makes the write exit on VMX (the VMM owns NE), and the VMM must then load
; the four PDPTEs into the VMCS itself (Intel SDM 26.3.1.6 / 28.3.3.1).  Then
; it reads back a value through the new mapping, prints one line and exits
; with code 0x22 (status 0x45).
bits 32
org 0x100000
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ (1 << 16) | 3
header:
        dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
        dd header, header, load_end, bss_end, start
start:
        cmp eax, 0x2BADB002
        jne fail
        mov esp, stack_top
        ; PD: 512 entries of 2 MiB, present, writable, PS (bit 7)
        mov edi, pd
        xor eax, eax
        mov ecx, 512
.fill:  mov edx, eax
        or edx, 0x83
        mov [edi], edx
        mov dword [edi + 4], 0
        add eax, 0x200000
        add edi, 8
        loop .fill
        ; PDPT[0] -> PD (PAE PDPTEs: present only; RW/US are reserved here)
        mov dword [pdpt], pd + 1
        mov eax, cr4
        or eax, 1 << 5                  ; PAE
        mov cr4, eax
        mov eax, pdpt
        mov cr3, eax
        mov eax, cr0
        or eax, (1 << 31) | (1 << 5)    ; PG and NE in one write
        mov cr0, eax
        ; Paging is on: read the marker through the mapping.
        cmp dword [marker], 0x5ec0de
        jne fail
        mov esi, msg
.next:  lodsb
        test al, al
        jz .done
        mov dx, 0x3f8
        out dx, al
        jmp .next
.done:  mov al, 0x22
        out 0xf4, al
fail:   mov al, 0x7f
        out 0xf4, al
        cli
        hlt
marker: dd 0x5ec0de
msg:    db "pae guest: PAE paging on outside long mode", 10, 0
load_end:
        align 4096, db 0
section .bss
bss_start:
pd:     resb 4096
pdpt:   resb 32
        resb 4096 - 32
stack:  resb 4096
stack_top:
bss_end:
