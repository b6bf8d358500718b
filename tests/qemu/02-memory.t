#!/usr/bin/env bash
# Guest memory is allocated on the first nested page fault of each page and
# all of it comes back: a guest that touches 64 MiB gets exactly the pages
# it touched (plus its image, boot page and own page tables), and free
# pages before create == after destroy.  A 6 GiB guest on a 1 GiB machine
# that touches one page every 64 MiB runs, and its teardown skips almost
# every entry as not present.  Pages are zeroed ahead of need in idle time
# (`pool wait` waits for that): the 64 MiB guest's first touches all take
# pre-zeroed pages, none is zeroed on demand.
source "$(dirname "$0")/lib.sh"
plan 12
boot memory 240 --mem 1G <<'CMDS'
mem
pool wait timeout=120
pool nonsense
create touch mem=128M image=test cmdline="touch=64M exit=0"
start touch
wait touch
stats touch
pool
destroy touch
mem
create sparse mem=6G image=test cmdline="touch=5G@512M:64M exit=0"
start sparse
wait sparse
stats sparse
destroy sparse
mem
poweroff
CMDS
expect_clean_poweroff "the VMM powered off cleanly"
expect_seq "the 64 MiB guest touched 16384 pages and exited" \
	'guest touch: touch: 16384 pages at 0x1000000 stride 4096 size 67108864 ok' \
	'ok wait name=touch state=exited status=1' \
	'ok stats name=touch .*backing_pages=[0-9]+' \
	'vmm: guest touch destroyed'
m0=$(field 'ok mem free_pages=([0-9]+).*' 1)
m1=$(field 'ok mem free_pages=([0-9]+).*' 2)
m2=$(field 'ok mem free_pages=([0-9]+).*' 3)
ok_if "free pages after destroying the 64 MiB guest ($m1) == before create ($m0)" \
	test -n "$m0" -a "$m0" = "$m1"
backing=$(field 'ok stats name=touch .*backing_pages=([0-9]+).*' 1)
# 16384 touched + the image (3 pages), the boot page, the guest's own page
# tables, stack and BSS (~30 pages): nothing is allocated up front.
ok_if "the 64 MiB guest is backed by 16384..16448 pages (got $backing)" \
	test -n "$backing" -a "${backing:-0}" -ge 16384 -a "${backing:-0}" -le 16448
freed=$(field 'guest touch destroyed: .* pages_freed=([0-9]+) .*' 1)
ok_if "teardown gave back every backing page ($freed == $backing)" test -n "$freed" -a "$freed" = "$backing"
expect_seq "the 6 GiB guest ran on a 1 GiB machine" \
	'ok create name=sparse id=1 mem=6144M' \
	'guest sparse: touch: 80 pages at 0x20000000 stride 67108864 size 5368709120 ok' \
	'ok wait name=sparse state=exited status=1' \
	'vmm: guest sparse destroyed: mode=skip'
visited=$(field 'guest sparse destroyed: .* visited=([0-9]+) .*' 1)
skipped=$(field 'guest sparse destroyed: .* skipped=([0-9]+) .*' 1)
echo "# sparse 6 GiB teardown: skipped $skipped of $visited entries"
ok_if "the sparse teardown skipped more than 90% of the entries it visited" \
	test -n "$visited" -a $(( ${skipped:-0} * 100 )) -gt $(( ${visited:-1} * 90 ))
ok_if "free pages after the 6 GiB guest ($m2) == before ($m0)" test -n "$m2" -a "$m2" = "$m0"
total=$(field 'ok mem .*total_pages=([0-9]+).*' 1)
target=$(( ${total:-0} / 8 ))
[ "$target" -ge 8192 ] || target=8192
expect_seq "the boot log names the pool's target, and pool wait fills it" \
	"pmm: zeroing up to $(( target / 256 )) MiB of free pages ahead of guests" \
	"^ok pool pages=$target target=$target blocks=([0-9]+) block_target=\\1 hits=[0-9]+ misses=[0-9]+ block_hits=[0-9]+ zeroed=[0-9]+ us=[0-9]+"
expect_seq "pool refuses an argument other than wait" '^err pool takes wait or nothing, not "nonsense"$'
h0=$(field 'ok pool .* hits=([0-9]+) misses=.*' 1)
h1=$(field 'ok pool .* hits=([0-9]+) misses=.*' 2)
z0=$(field 'ok pool .* misses=([0-9]+) .*' 1)
z1=$(field 'ok pool .* misses=([0-9]+) .*' 2)
ok_if "the 64 MiB guest's 16384 first touches took pre-zeroed pages (hits $h0 -> $h1)" \
	test -n "$h1" -a $(( ${h1:-0} - ${h0:-0} )) -ge 16384
ok_if "none of them zeroed a page on demand (misses $z0 -> $z1)" test -n "$z1" -a "$z0" = "$z1"
tap_end
