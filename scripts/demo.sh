#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: installs what leasecast needs,
# builds it, boots a throwaway demo VM (the host's kernel and root file
# system under QEMU, a 16-output virtio-gpu, QEMU's D-Bus display), starts
# qemu-frame-exporter on the host and drm-lease-broker in the VM, leases an
# output (turned on on demand), drives it, gives it back, and prints what
# happened at each step.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
bash scripts/install-deps.sh
cmake -S "$src" -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
out=${LC_DEMO_OUT:-$src/build/demo-out}
mkdir -p "$out"
exec tests/vm/lc-vm-run --build "$src/build" --scenario "$src/scripts/demo-guest.sh" \
  --out "$out" --timeout 300
