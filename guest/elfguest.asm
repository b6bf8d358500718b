; A minimal Multiboot v1 kernel in ELF32 form (no a.out kludge): the loader
; must place its PT_LOAD segments, zero its bss-only segment, and enter it in
; 32-bit protected mode.  It checks EAX, that its bss reads zero, prints one
; line on the UART and ends with exit code 0x21 (status 0x43).
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00000003                 ; page-align modules, memory info
bits 32
section .multiboot
align 4
        dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
section .text
global _start
_start:
        cmp eax, 0x2BADB002
        jne fail
        mov ecx, bss_len / 4
        mov edi, bss_area
.chk:   cmp dword [edi], 0
        jne fail
        add edi, 4
        loop .chk
        mov esi, msg
.next:  lodsb
        test al, al
        jz .done
        mov dx, 0x3f8
        out dx, al
        jmp .next
.done:  mov al, 0x21
        out 0xf4, al
fail:   mov al, 0x7f
        out 0xf4, al
        cli
        hlt
section .rodata
msg:    db "elf guest: multiboot ELF32 loaded, bss zero", 10, 0
section .bss
align 4096
bss_area: resb 8192
bss_len equ $ - bss_area
