; =============================================================================
; guest/tests/mbinfo.asm -- the 32-bit part of the mbinfo test guest: the
; library calls early32 at the Multiboot entry with EBX = the boot
; information address (Multiboot spec 3.2); it is kept for mbinfo.c.
; =============================================================================

global early32, mb_info_gpa

                section .text
                bits    32

; early32: keep EBX; clobbers nothing else.
early32:
                mov     [mb_info_gpa], ebx
                ret

                section .data
mb_info_gpa:    dd      0
