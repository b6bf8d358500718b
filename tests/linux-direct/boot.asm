; A Multiboot trampoline for tests/linux-direct/run.t: QEMU's own Multiboot
; loader (-kernel) starts it with one module, a boot file made by mkboot.c
; from a pagoda load plan (vmm/loader/bzimage.c or pvh.c, with
; vmm/acpi_tables.c's tables).  It copies every chunk of the file to its
; guest-physical address (zeroing up to its memory size), loads the plan's
; GDT and selectors and jumps to its entry with its ESI and EBX: the state
; pagoda's vCPU would start in.  It sits at 256 MiB so that neither it nor
; the module (placed after it) lies under a chunk.
;
; Boot file (little-endian dwords): 'PGDB', EIP, ESI, EBX, GDTR base, GDTR
; limit, CS, DS, chunk count; then per chunk: address, file size, memory
; size, the file bytes padded to 4.
bits 32
org 0x10000000

MB_MAGIC equ 0x1badb002
MB_FLAGS equ 0x00010003          ; page-align modules, memory info, address fields

header:
	dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
	dd header                ; header_addr
	dd header                ; load_addr
	dd 0                     ; load_end_addr: the whole file
	dd bss_end               ; bss_end_addr
	dd start                 ; entry_addr

start:
	cli
	mov esp, stack_top
	cmp dword [ebx + 20], 1  ; mods_count
	jb fail
	mov ebp, [ebx + 24]      ; mods_addr
	mov ebp, [ebp]           ; the first module's start
	cmp dword [ebp], 0x42444750
	jne fail
	mov ecx, [ebp + 32]      ; chunk count
	lea esi, [ebp + 36]
.chunk:
	test ecx, ecx
	jz .enter
	push ecx
	mov edi, [esi]           ; address
	mov ecx, [esi + 4]       ; file size
	mov edx, [esi + 8]       ; memory size
	add esi, 12
	mov ebx, ecx
	cld
	rep movsb
	add esi, 3
	and esi, ~3
	mov ecx, edx
	sub ecx, ebx
	xor eax, eax
	rep stosb
	pop ecx
	dec ecx
	jmp .chunk
.enter:
	mov ax, [ebp + 20]
	mov [gdtr], ax
	mov eax, [ebp + 16]
	mov [gdtr + 2], eax
	lgdt [gdtr]
	push dword [ebp + 24]    ; CS
	push .flush
	retf
.flush:
	mov eax, [ebp + 28]      ; DS
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov ecx, [ebp + 4]
	mov esi, [ebp + 8]
	mov ebx, [ebp + 12]
	xor eax, eax
	xor edx, edx
	xor edi, edi
	xor ebp, ebp
	jmp ecx

fail:
	mov dx, 0x3f8
	mov al, '!'
	out dx, al
.halt:
	hlt
	jmp .halt

gdtr:
	dw 0
	dd 0

align 16
stack:
	times 4096 db 0
stack_top:
bss_end:
