#!/usr/bin/env python3
"""bench/kvm/report.py -- the tables of `make bench-kvm` (scripts/bench-kvm.sh).

    report.py LOGDIR PAIRS MACHINE

Reads LOGDIR/kvm-P.log (the serial log of the KVM segment of pair P: the
guest's "kvmbench: ..." lines and kvmrun's "kvmrun: exit=0 destroy_us=N
unmap_us=N" lines) and LOGDIR/pagoda-P.log (pagoda's serial log: "guest b:
kvmbench: ..." and "vmm: guest b destroyed: mode=M ... us=N ..." lines) for
P = 1..PAIRS (and its "ok pool ... hits=N misses=N block_hits=N" lines,
before and after each run), and prints Markdown on stdout: one row per segment (medians of
its guest runs), one row per pair with the pagoda/KVM ratios and the median
of those ratios, and which TCG speed mode each segment ran in.

The speed mode comes from the guest's calibration loop (a fixed loop with
no exit, in TSC cycles): a segment whose loop took more than SLOW_FACTOR
times the fastest segment's ran in the slow mode.  Exit status 1 when a log
lacks a result.
"""

import re
import statistics
import sys

SLOW_FACTOR = 1.4
METRICS = ("cpuid", "sparse", "dense")
MODES = ("skip", "summary", "noskip")
GUEST_RE = re.compile(r"kvmbench: calib=(\d+) cpuid=(\d+) sparse=(\d+) sparse_pages=(\d+) "
                      r"dense=(\d+) dense_pages=(\d+)")
KVMRUN_RE = re.compile(r"kvmrun: exit=0 destroy_us=(\d+) unmap_us=(\d+)")
DESTROY_RE = re.compile(r"guest b destroyed: mode=(\w+) .* us=(\d+) ")
POOL_RE = re.compile(r"ok pool .* hits=(\d+) misses=(\d+) block_hits=(\d+)")


def med(values):
    """The median of VALUES (a non-empty list of numbers)."""
    return statistics.median(values)


def guest_results(text, where):
    """The medians of the guest's result lines in TEXT, as a dict with
    calib, cpuid, sparse, dense and the page counts; exits when none."""
    rows = [tuple(int(x) for x in m.groups()) for m in GUEST_RE.finditer(text)]
    if not rows:
        sys.exit(f"report: no 'kvmbench: calib=...' line in {where}")
    names = ("calib", "cpuid", "sparse", "sparse_pages", "dense", "dense_pages")
    out = {n: med([r[i] for r in rows]) for i, n in enumerate(names)}
    out["runs"] = len(rows)
    return out


def segment(logdir, side, pair):
    """The results of one segment: guest medians plus destroy times (KVM:
    "close" and "unmap"; pagoda: one per teardown mode)."""
    path = f"{logdir}/{side}-{pair}.log"
    with open(path, errors="replace") as f:
        text = f.read()
    seg = guest_results(text, path)
    if side == "kvm":
        runs = [tuple(int(x) for x in m.groups()) for m in KVMRUN_RE.finditer(text)]
        if not runs:
            sys.exit(f"report: no 'kvmrun: exit=0 destroy_us=' line in {path}")
        seg["close"] = med([r[0] for r in runs])
        seg["unmap"] = med([r[1] for r in runs])
    else:
        for mode in MODES:
            us = [int(m.group(2)) for m in DESTROY_RE.finditer(text) if m.group(1) == mode]
            if not us:
                sys.exit(f"report: no destroy line with mode={mode} in {path}")
            seg[mode] = med(us)
        # "pool wait" before each run and "pool" after it: what the run's
        # zeroed allocations took from the pools, and what they zeroed.
        pools = [tuple(int(x) for x in m.groups()) for m in POOL_RE.finditer(text)]
        seg["pool"] = tuple(sum(pools[i + 1][j] - pools[i][j] for i in range(0, len(pools) - 1, 2))
                            for j in range(3))
    return seg


def fmt(v):
    """V with thousands separators, no decimals."""
    return f"{v:,.0f}"


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: report.py LOGDIR PAIRS MACHINE")
    logdir, pairs, machine = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    segs = {(side, p): segment(logdir, side, p) for p in range(1, pairs + 1) for side in ("kvm", "pagoda")}
    fastest = min(s["calib"] for s in segs.values())
    for s in segs.values():
        s["mode"] = "slow" if s["calib"] > SLOW_FACTOR * fastest else "fast"

    any_seg = next(iter(segs.values()))
    print(f"Machine: {machine}. {pairs} pairs, {any_seg['runs']} guest runs per segment, "
          "KVM first in odd pairs and pagoda first in even ones. Guest: build/guest/kvmbench.elf "
          f"(6 GiB; sparse: {any_seg['sparse_pages']:.0f} pages, 1 per 2 MiB; dense: "
          f"{any_seg['dense_pages']:.0f} pages, every page of 64 MiB).")
    print()
    print("Per segment: medians of its guest runs, in guest TSC cycles (calib: one run "
          "of the guest's 100,000-iteration loop); destroy in us (KVM: close() of the vCPU and VM fds, then munmap of guest memory; pagoda: "
          "the destroy line's us= per teardown mode).")
    print()
    print("| pair | side | calib (k cycles) | speed mode | CPUID exit | sparse fault | dense fault | destroy (us) |")
    print("|---|---|---|---|---|---|---|---|")
    for p in range(1, pairs + 1):
        for side in ("kvm", "pagoda"):
            s = segs[(side, p)]
            if side == "kvm":
                d = f"close {fmt(s['close'])} (munmap {fmt(s['unmap'])})"
            else:
                d = " / ".join(f"{m} {fmt(s[m])}" for m in MODES)
            print(f"| {p} | {'KVM' if side == 'kvm' else 'pagoda'} | {s['calib'] / 1e3:.0f} | {s['mode']} | "
                  f"{fmt(s['cpuid'])} | {fmt(s['sparse'])} | {fmt(s['dense'])} | {d} |")
    print()
    hits, misses, blocks = (sum(segs[("pagoda", p)]["pool"][j] for p in range(1, pairs + 1)) for j in range(3))
    print(f"pagoda started each run with its pools of pages zeroed ahead full (`pool wait`); over all "
          f"its runs, {hits:,} zeroed page allocations took a pre-zeroed page, {misses:,} zeroed one "
          f"on demand, and {blocks:,} table blocks came pre-zeroed. KVM zeroes on demand.")
    print()
    print("Per pair: pagoda / KVM (below 1: pagoda takes less); destroy: pagoda's us= in "
          "each teardown mode over KVM's close().")
    print()
    cols = list(METRICS) + list(MODES)
    print("| pair | speed modes (KVM, pagoda) | calib | CPUID exit | sparse fault | dense fault | "
          "destroy skip | destroy summary | destroy noskip |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratios = {c: [] for c in cols}
    same = {c: [] for c in cols}
    for p in range(1, pairs + 1):
        k, g = segs[("kvm", p)], segs[("pagoda", p)]
        row = {c: g[c] / k[c] for c in METRICS}
        row.update({m: g[m] / k["close"] for m in MODES})
        for c in cols:
            ratios[c].append(row[c])
            if k["mode"] == g["mode"]:
                same[c].append(row[c])
        mark = "" if k["mode"] == g["mode"] else " (mixed)"
        print(f"| {p} | {k['mode']}, {g['mode']}{mark} | {g['calib'] / k['calib']:.2f} | " +
              " | ".join(f"{row[c]:.2f}" for c in cols) + " |")
    print(f"| median of {pairs} | | | " + " | ".join(f"**{med(ratios[c]):.2f}**" for c in cols) + " |")
    n_same = len(same[cols[0]])
    if 0 < n_same < pairs:
        print(f"| median of the {n_same} same-mode pairs | | | " +
              " | ".join(f"{med(same[c]):.2f}" for c in cols) + " |")
    print()
    modes = [s["mode"] for s in segs.values()]
    print(f"Speed modes (calibration loop over the fastest segment's, slow beyond {SLOW_FACTOR}x): "
          f"{modes.count('fast')} segments fast, {modes.count('slow')} slow; "
          f"calib ranged {min(s['calib'] for s in segs.values()) / 1e3:.0f} to "
          f"{max(s['calib'] for s in segs.values()) / 1e3:.0f} k cycles. "
          + ("Mixed pairs compare two speeds: read the same-mode median." if n_same < pairs else
             "Every pair ran both sides in the same mode."))
    print()
    print("Medians over all segments of each side (pooled, so they mix speed modes: orientation only): " +
          "; ".join(f"{c} KVM {fmt(med([segs[('kvm', p)][c] for p in range(1, pairs + 1)]))} "
                    f"pagoda {fmt(med([segs[('pagoda', p)][c] for p in range(1, pairs + 1)]))}"
                    for c in METRICS) +
          f"; destroy KVM close {fmt(med([segs[('kvm', p)]['close'] for p in range(1, pairs + 1)]))} us, pagoda " +
          ", ".join(f"{m} {fmt(med([segs[('pagoda', p)][m] for p in range(1, pairs + 1)]))}" for m in MODES) + " us.")


if __name__ == "__main__":
    main()
