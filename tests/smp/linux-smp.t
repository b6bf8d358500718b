#!/usr/bin/env bash
# Debian's kernel with 4 vCPUs on a 4-CPU host (QEMU -smp 4, multi-threaded
# TCG: the three APs run guests, docs/design.md "Host CPUs"): Linux brings
# up all four vCPUs (the initramfs marker counts them), its vCPUs run on
# the host CPUs that take guests and never on the boot CPU there, and every
# page comes back.  How many CPUs ran its vCPUs at once is printed, not
# asserted (pagoda does not promise it).
source "$(dirname "$0")/../linux/lib.sh"
linux_payload_or_skip
plan 5

boot linuxsmp 600 --smp 4 --mem 1G --file "$LINUX_DIR/vmlinuz" \
	--file "$LINUX_DIR/initramfs.cpio.gz" <<CMDS
mem
create l mem=256M vcpus=4 image=vmlinuz initrd=initramfs.cpio.gz cmdline="console=ttyS0"
start l
wait l timeout=$(scaled 400)
stats l
destroy l
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "Linux brings up its 4 vCPUs, reaches the initramfs marker and powers off" \
	'sched: guests run on cpus 1-3 ' 'guest l(/[0-9])?: PAGODA-LINUX-OK cpus=4' \
	'ok wait name=l state=exited status=0 power=off'
vc=$(field 'ok stats name=l .* vcpu_cpus=([0-9a-fx/]+) ' 1)
pm=$(field 'ok stats name=l .* parallel_max=([0-9]+)' 1)
cu=$(field 'ok stats name=l .* cpus_used=([0-9]+) ' 1)
echo "# vcpu_cpus=$vc cpus_used=$cu parallel_max=$pm"
bad=$(masks_outside "$vc" 0xe) # CPUs 1-3
ok_if "each vCPU ran, on CPUs 1-3 only (vcpu_cpus=$vc)" test -n "$vc" -a -z "$bad"
expect_destroy_pages_back "destroy gave every page back"
expect_pages_back
tap_end
