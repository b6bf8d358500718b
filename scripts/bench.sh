#!/bin/sh
# Benchmarks of pagoda's mm/ on the host (not tests: nothing here gates CI).
# Builds build/host/bench_tdp (-O2, no sanitizers) and runs it: teardown of
# sparse address spaces in the three teardown modes, the whole destroy of a
# 6 GiB guest with 1 page per 2 MiB, and fault throughput with 1 and 2
# threads (with and without pre-zeroed pages, and the pool's hit counts).
# Run from anywhere; takes about a minute or two and up to ~4 GiB of RAM.
# "scripts/bench.sh quick" runs only the 6 GiB teardown cases.
set -e
cd "$(dirname "$0")/.."
make -s -f tests/host/host.mk build/host/bench_tdp
exec build/host/bench_tdp "$@"
