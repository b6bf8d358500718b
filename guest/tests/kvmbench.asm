; =============================================================================
; guest/tests/kvmbench.asm -- the 32-bit part of the kvmbench guest: at the
; Multiboot entry EBX holds the boot information address (Multiboot spec
; 3.2); kvmbench.c reads mem_upper from it to find the end of RAM.
; =============================================================================

global early32, kvmbench_mb_info

                section .text
                bits    32

; early32: keep EBX; clobbers nothing else.
early32:
                mov     [kvmbench_mb_info], ebx
                ret

                section .data
kvmbench_mb_info: dd    0
