#!/usr/bin/env python3
"""Where the time goes from QEMU start to the test guest's hello line.

Boots pagoda once (scripts/run-qemu.sh, TCG unless KVM is usable) with a
startup file that runs the hello guest and powers off, timestamps every
serial line as it arrives, and prints the time to the VMM's first line
(mostly firmware), the time to the guest's hello line, and the VMM's own
share between the two, as a ratio of the whole: one run, no absolute
figure is a pass/fail criterion.
"""
import os
import subprocess
import sys
import tempfile
import time

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
startup = 'create demo mem=64M image=test cmdline="hello exit=0"\nstart demo\nwait demo\ndestroy demo\npoweroff\n'
with tempfile.NamedTemporaryFile('w', suffix='.txt', delete=False) as f:
    f.write(startup)
t0 = time.monotonic()
p = subprocess.Popen([os.path.join(top, 'scripts/run-qemu.sh'), '--startup', f.name, '--timeout', '120'],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
first = hello = None
for raw in p.stdout:
    line = raw.decode(errors='replace')
    now = time.monotonic() - t0
    if first is None and 'boot: pagoda starting' in line:
        first = now
    if hello is None and 'hello from the pagoda test guest' in line:
        hello = now
p.wait()
os.unlink(f.name)
if first is None or hello is None:
    print('boot-timing: the expected lines did not appear', file=sys.stderr)
    sys.exit(1)
print(f'QEMU start -> VMM first line : {first:6.2f} s (firmware)')
print(f'QEMU start -> guest hello    : {hello:6.2f} s')
print(f'VMM start-up + guest to hello: {hello - first:6.2f} s = {100 * (hello - first) / hello:.1f}% of the total')
