#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and runs every leasecast test:
# a normal build, an ASan+UBSan build, and the libFuzzer targets (clang),
# each with ctest. VM tests boot a real kernel with a 16-output virtio-gpu.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
jobs=$(nproc)

bash scripts/install-deps.sh

run_ctest() { # dir, extra ctest args...
  local dir=$1; shift
  ctest --test-dir "$dir" --output-on-failure --timeout 600 "$@"
}

echo "== build: release + tests =="
cmake -S "$src" -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
run_ctest build -LE "fuzz|bench"

echo "== build: ASan + UBSan =="
cmake -S "$src" -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLC_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
# The sanitizer build runs the unit, host and VM tests again (leaks and
# undefined behaviour fail them), less the longest VM scenarios (label
# "heavy": the 1500-cycle race, all-16-consoles, Mutter, cage), which the
# normal build runs. Benchmarks (label "bench", -DLC_BENCH=ON) are not tests.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest build-asan -LE "fuzz|bench|heavy"

echo "== build: libFuzzer (clang) =="
CC=clang cmake -S "$src" -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DLC_FUZZ=ON -DLC_VM_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$jobs"
run_ctest build-fuzz -L fuzz
