#!/usr/bin/env bash
# The layering rule of DESIGN.md: mm/ and vmm/ never include vendor code
# (anything under arch/x86/svm or arch/x86/vmx), and only boot/ includes
# <efi.h>.  TAP output.
cd "$(dirname "$0")/.." || exit 1
echo "1..2"
bad=$(grep -rnE '#[[:space:]]*include[[:space:]]*["<][^">]*(svm|vmx)/' mm vmm 2>/dev/null)
if [ -z "$bad" ]; then echo "ok 1 - mm/ and vmm/ include nothing from arch/x86/svm or arch/x86/vmx"
else echo "not ok 1 - mm/ and vmm/ include vendor code"; echo "$bad" | sed 's/^/# /'; fi
bad=$(grep -rlnE '#[[:space:]]*include[[:space:]]*[<"]efi(lib)?\.h' --include='*.[ch]' . 2>/dev/null | grep -v '^./boot/')
if [ -z "$bad" ]; then echo "ok 2 - only boot/ includes <efi.h>"
else echo "not ok 2 - <efi.h> included outside boot/"; echo "$bad" | sed 's/^/# /'; fi
