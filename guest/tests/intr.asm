; guest/tests/intr.asm -- the start-up code intr.c copies below 1 MiB for
; the INIT-SIPI test: a CPU started by a SIPI with vector V begins in real
; mode at CS:IP = V*0x100:0 (Intel SDM Vol 3A 9.4.4.1).  It stores a magic
; word and its own CS at fixed offsets of its page, then halts for good.

global ap_blob, ap_blob_end

                section .rodata
                bits    16
ap_blob:
                cli
                mov     ax, cs
                mov     ds, ax
                mov     [0x102], ax             ; its CS: V * 0x100
                mov     word [0x100], 0xa9a9    ; the magic: it ran
.halt:          hlt
                jmp     .halt
ap_blob_end:
