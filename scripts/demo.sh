#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: installs what leasecast needs,
# builds it, and boots a throwaway demo VM (the host's kernel and root file
# system under QEMU, a 16-output virtio-gpu, QEMU's D-Bus display) with
# qemu-frame-exporter on the host. In the VM (scripts/demo-guest.sh):
# drm-lease-broker, and an unprivileged user's unmodified sway started by
# lease-launch on a leased output the broker turns on, with two clients on
# it. On the host (scripts/demo-host.sh): leasecast-frame-bridge streams
# that output to a browser page (http://127.0.0.1:8080/, or a free port),
# headless Chromium screenshots it to build/demo-out/viewer.png, and the
# screenshot is checked to show the desktop. Every step is printed.
#
# On a terminal (and unless LC_DEMO_HOLD=0) the VM and the bridge keep
# running until Enter or Ctrl-C, for a person to open the page in their own
# browser; otherwise the demo ends by itself, exit 0 only when the
# screenshot showed the desktop. LC_DEMO_OUT: the output dir; LC_DEMO_PORT:
# the bridge's port to try first.
set -euo pipefail
. "$(dirname "$0")/as-root.sh"
cd "$(dirname "$0")/.."
src=$PWD
bash scripts/install-deps.sh
cmake -S "$src" -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
out=${LC_DEMO_OUT:-$src/build/demo-out}
mkdir -p "$out"
# The rendezvous files of a previous run must not end this one early.
rm -f "$out"/.signal-*

hold=0
[ -t 0 ] && [ "${LC_DEMO_HOLD:-1}" != 0 ] && hold=1
hook="LC_DEMO_HOLD=$hold LC_DEMO_PORT=${LC_DEMO_PORT:-8080} bash $src/scripts/demo-host.sh"
vm=(tests/vm/lc-vm-run --build "$src/build" --scenario "$src/scripts/demo-guest.sh" --out "$out" --host-hook "$hook")

if [ "$hold" = 0 ]; then
	"${vm[@]}" --timeout 180 </dev/null && rc=0 || rc=$?
	[ -s "$out/viewer.png" ] && echo "demo: the viewer's screenshot: $out/viewer.png"
	[ "$rc" = 0 ] && echo "demo: done" || echo "demo: FAILED (status $rc); logs in $out"
	exit "$rc"
fi

# Held: the VM runs in its own session, so that Ctrl-C reaches only this
# script, which then ends the demo in order (the guest gives its output
# back) instead of killing QEMU. At most an hour.
setsid "${vm[@]}" --timeout 3600 </dev/null &
vm_pid=$!
release() { [ -e "$out/.signal-demo-release" ] || { printf '\n' >"$out/.signal-demo-release.tmp" && mv -f "$out/.signal-demo-release.tmp" "$out/.signal-demo-release"; }; }
stopping=0
trap 'stopping=1' INT
trap 'release; kill -TERM "$vm_pid" 2>/dev/null' TERM HUP
while kill -0 "$vm_pid" 2>/dev/null && [ "$stopping" = 0 ]; do
	[ -e "$out/.signal-demo-ready" ] && break
	[ -e "$out/.signal-demo-release" ] && break
	sleep 0.5
done
if [ -e "$out/.signal-demo-ready" ] && [ "$stopping" = 0 ] && kill -0 "$vm_pid" 2>/dev/null; then
	printf '\n==================================================================\n'
	printf ' The desktop is streaming: open %s in a browser\n' "$(cat "$out/.signal-demo-ready")"
	printf ' (screenshot: %s). Press Enter or Ctrl-C to end the demo.\n' "$out/viewer.png"
	printf '==================================================================\n'
	while kill -0 "$vm_pid" 2>/dev/null && [ "$stopping" = 0 ]; do
		r=0
		read -r -t 1 _ || r=$?
		[ "$r" -gt 128 ] || break # a line, or the terminal went away
	done
fi
echo "demo: ending (the guest stops sway and gives its output back)"
release
trap 'kill -TERM "$vm_pid" 2>/dev/null' INT
wait "$vm_pid" && rc=0 || rc=$?
# Interrupted wait: the VM is still finishing.
while kill -0 "$vm_pid" 2>/dev/null; do wait "$vm_pid" && rc=0 || rc=$?; done
[ "$rc" = 0 ] && echo "demo: done" || echo "demo: FAILED (status $rc); logs in $out"
exit "$rc"
