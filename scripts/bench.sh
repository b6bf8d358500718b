#!/bin/sh
# Benchmarks of pagoda's mm/ on the host (not tests: nothing here gates CI).
# Builds build/host/bench_tdp (-O2, no sanitizers) and runs it: teardown of
# sparse address spaces in the three teardown modes, and fault throughput.
# Run from anywhere; takes about a minute or two and up to ~4 GiB of RAM.
# "scripts/bench.sh quick" runs only the 6 GiB teardown cases.
set -e
cd "$(dirname "$0")/.."
make -s -f tests/host/host.mk build/host/bench_tdp
exec build/host/bench_tdp "$@"
