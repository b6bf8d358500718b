#!/usr/bin/env python3
"""The layering rules of docs/design.md, checked on every #include (TAP).

Rooms: lib/ (base code), boot/, arch/x86/ (vendor-neutral x86),
arch/x86/svm/ and arch/x86/vmx/ (vendor code), mm/, vmm/ (with its
subdirectories: vmm/main.c wires them together, so cycles inside vmm/ are
caught at the module level).  A module is a .c file and the .h of the same name.
  1. lib/ includes only lib/.
  2. mm/ includes only mm/ and lib/.
  3. vendor code includes only its own directory, arch/x86/, lib/,
     vmm/hv.h and mm/tdp_fmt.h (the two seams it fills), and
     mm/pmm.h + mm/mm_env.h (host pages for VMCBs, VMCSs and bitmaps).
  4. nothing outside the vendor directories includes vendor code.
  5. only boot/ includes <efi.h>.
  6. no include cycle between modules, except the vmm/vm + vmm/vcpu pair.
  7. no include cycle between rooms.
"""
import os
import re
import sys

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SRC_DIRS = ["lib", "boot", "arch", "mm", "vmm"]
INC = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]', re.M)

files = []
for d in SRC_DIRS:
    for root, _, names in os.walk(d):
        files += [os.path.join(root, n) for n in names if n.endswith((".c", ".h"))]
files.sort()
incs = {f: INC.findall(open(f, errors="replace").read()) for f in files}


def room(path):
    parts = path.split("/")
    if parts[0] == "arch":
        return "/".join(parts[:3]) if len(parts) > 3 and parts[2] in ("svm", "vmx") else "arch/x86"
    return parts[0]


def local(f):
    return [p for q, p in incs[f] if q == '"' and not p.startswith("tests/")]


tests = []


def check(desc, bad):
    tests.append((desc, bad))


check("lib/ includes only lib/",
      ["%s: %s" % (f, p) for f in files if room(f) == "lib" for p in local(f) if not p.startswith("lib/")])
check("mm/ includes only mm/ and lib/",
      ["%s: %s" % (f, p) for f in files if room(f) == "mm" for p in local(f)
       if not p.startswith(("mm/", "lib/"))])
bad = []
for f in files:
    r = room(f)
    if r not in ("arch/x86/svm", "arch/x86/vmx"):
        continue
    for p in local(f):
        ok = (p.startswith(r + "/") or p.startswith("lib/") or p in ("vmm/hv.h", "mm/tdp_fmt.h")
              or p in ("mm/pmm.h", "mm/mm_env.h")
              or (p.startswith("arch/x86/") and room(p) == "arch/x86"))
        if not ok:
            bad.append("%s: %s" % (f, p))
check("vendor code includes only its own files, arch/x86, lib/, vmm/hv.h, mm/tdp_fmt.h, mm/pmm.h", bad)
check("nothing outside arch/x86/svm and arch/x86/vmx includes vendor code",
      ["%s: %s" % (f, p) for f in files for p in local(f)
       if room(p) in ("arch/x86/svm", "arch/x86/vmx") and room(f) != room(p)])
efi = []
for root, _, names in os.walk("."):
    if root.startswith(("./.git", "./build")):
        continue
    for n in names:
        if n.endswith((".c", ".h")):
            f = os.path.join(root, n)[2:]
            if re.search(r'#\s*include\s*[<"]efi(lib)?\.h', open(f, errors="replace").read()) \
                    and not f.startswith("boot/"):
                efi.append(f)
check("only boot/ includes <efi.h>", efi)


def module(path):
    return os.path.splitext(path)[0]


def sccs(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


mods, rooms = {}, {}
known = set(files)
for f in files:
    for p in local(f):
        if p not in known:
            continue
        if module(p) != module(f):
            mods.setdefault(module(f), set()).add(module(p))
        if room(p) != room(f):
            rooms.setdefault(room(f), set()).add(room(p))
check("no include cycle between modules but vmm/vm + vmm/vcpu",
      [" <-> ".join(c) for c in sccs(mods) if c != ["vmm/vcpu", "vmm/vm"]])
check("no include cycle between rooms", [" <-> ".join(c) for c in sccs(rooms)])

print("1..%d" % len(tests))
failed = 0
for i, (desc, bad) in enumerate(tests, 1):
    if bad:
        failed += 1
        print("not ok %d - %s" % (i, desc))
        for b in bad:
            print("#   " + b)
    else:
        print("ok %d - %s" % (i, desc))
sys.exit(1 if failed else 0)
