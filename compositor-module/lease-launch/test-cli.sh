#!/bin/bash
# lease-launch's command line and failure paths on the host (no broker, no
# card): every one must fail with a clear message, before running the
# compositor, without leaving files behind. The real runs are the rig's
# vm-compositor-* tests.
ll="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # NAME RC PATTERN CMD...
	local name=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ] && grep -q -- "$pat" <<<"$out"; then
		echo "PASS $name"
	else
		echo "FAIL $name: rc=$rc (want $want), output:"
		echo "$out" | sed 's/^/  /'
		fail=1
	fi
}
marker="$tmp/compositor-ran"
expect no-compositor 2 'no compositor given' "$ll"
expect bad-size 2 "bad --size" "$ll" --size 10x -- touch "$marker"
expect bad-size-zero 2 "bad --size" "$ll" --size 0x100 -- touch "$marker"
expect bad-number 2 "bad number" "$ll" --ready-timeout-ms -5 -- touch "$marker"
expect bad-mode-probe 2 "bad --mode-probe-ms" "$ll" --mode-probe-ms 10 --on-preferred-mode true -- touch "$marker"
expect bad-mode-probe-resume 2 "bad --mode-probe-ms" "$ll" --resume-on-preferred-mode --mode-probe-ms 49 -- touch "$marker"
expect help-resume 0 "resume-on-preferred-mode" "$ll" --help
expect bad-log-level 2 "bad --log-level" "$ll" --log-level loud -- touch "$marker"
expect unknown-option 2 "usage" "$ll" --frobnicate -- touch "$marker"
expect help 0 "usage: lease-launch" "$ll" --help
expect no-wayland-broker 1 "cannot connect to the broker's Wayland socket $tmp/none" \
	"$ll" --wayland-socket "$tmp/none" --no-private-bus -- touch "$marker"
# The CDI spec's variables are defaults; options win.
expect env-wayland-socket 1 "cannot connect to the broker's Wayland socket $tmp/from-env" \
	env LEASECAST_WAYLAND_SOCKET="$tmp/from-env" "$ll" --no-private-bus -- touch "$marker"
expect env-option-wins 1 "cannot connect to the broker's Wayland socket $tmp/from-option" \
	env LEASECAST_WAYLAND_SOCKET="$tmp/from-env" "$ll" --wayland-socket "$tmp/from-option" \
	--no-private-bus -- touch "$marker"
expect no-helix-broker 1 "cannot connect to the Helix socket $tmp/none" \
	"$ll" --helix-socket "$tmp/none" --no-private-bus -- touch "$marker"
expect unknown-user 1 "unknown user" "$ll" --user no-such-user-lc --no-private-bus -- touch "$marker"
# A Helix "broker" that answers garbage: a clear error, no compositor.
if command -v python3 >/dev/null; then
	python3 - "$tmp/helix.sock" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); c.recv(9); c.sendall(b"\x07" + b"\x00" * 68); c.close()
PY
	srv=$!
	for _ in $(seq 50); do [ -S "$tmp/helix.sock" ] && break; sleep 0.1; done
	expect helix-garbage 1 "bad lease reply" "$ll" --helix-socket "$tmp/helix.sock" --no-private-bus -- touch "$marker"
	wait "$srv"
fi
# A Wayland "broker" with wp_drm_lease_device_v1 but no
# leasecast_lease_manager_v1: an explicit --size can not be carried, so
# lease-launch must refuse instead of leasing at the broker's default size.
if command -v python3 >/dev/null; then
	python3 - "$tmp/wayland.sock" <<'PY' &
import socket, struct, sys
def msg(obj, op, payload=b""):
    return struct.pack("<II", obj, (8 + len(payload)) << 16 | op) + payload
def string(s):
    b = s.encode() + b"\0"
    return struct.pack("<I", len(b)) + b + b"\0" * (-len(b) % 4)
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
buf = b""
while True:
    d = c.recv(4096)
    if not d:
        break
    buf += d
    while len(buf) >= 8:
        obj, so = struct.unpack("<II", buf[:8])
        size, op = so >> 16, so & 0xffff
        if len(buf) < size:
            break
        body, buf = buf[8:size], buf[size:]
        if obj == 1 and op == 1:  # wl_display.get_registry
            (reg,) = struct.unpack("<I", body[:4])
            c.sendall(msg(reg, 0, struct.pack("<I", 1) + string("wp_drm_lease_device_v1") +
                          struct.pack("<I", 1)))
        elif obj == 1 and op == 0:  # wl_display.sync
            (cb,) = struct.unpack("<I", body[:4])
            c.sendall(msg(cb, 0, struct.pack("<I", 0)) + msg(1, 1, struct.pack("<I", cb)))
c.close()
PY
	srv=$!
	for _ in $(seq 50); do [ -S "$tmp/wayland.sock" ] && break; sleep 0.1; done
	expect wayland-size-no-manager 1 "needs leasecast_lease_manager_v1" \
		"$ll" --wayland-socket "$tmp/wayland.sock" --size 1280x720 --no-private-bus -- touch "$marker"
	wait "$srv"
fi
[ ! -e "$marker" ] || { echo "FAIL the compositor ran after a failure"; fail=1; }
exit $fail
