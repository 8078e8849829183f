# broker-wayland: the broker's wp_drm_lease_v1 server on the real virtio-gpu
# driver, checked by lc-wl-lease-client (event order, protocol errors, the
# lease lifecycle, leases that really modeset and flip, the size asked for
# with leasecast_lease_manager_v1), next to a Helix client. Needs the
# exporter: without it no output of the card can be turned on, so nothing
# would be offered.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-wayland-lib.sh"

helix_client="$LC_BUILD/tests/clients/lc-helix-client"
# 16 outputs, Virtual-1 reserved (the VM console).
n_offered=15

start_broker() {
	[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter (LC_EXPORTER_ADDR)"; return 1; }
	start_wl_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY"
}

# Every output is offered again and the broker survived the case before.
all_offered() {
	broker_alive || { echo "broker died"; tail -20 "$LC_OUT/broker.log"; return 1; }
	wl conformance Virtual-1 --expect-count "$n_offered"
}

# A Helix client holds one output (the broker picks it) while a Wayland
# client leases another; the Helix-held output is not offered to Wayland
# clients meanwhile, and is offered again once the Helix client lets go.
helix_and_wayland() {
	[ -x "$helix_client" ] || { echo "$helix_client not built"; return 1; }
	local out="$LC_OUT/helix-hold.log" fifo=/tmp/helix-hold.fifo pid w held other rc=0
	rm -f "$fifo" && mkfifo "$fifo" || return 1
	"$helix_client" --socket "$helix_sock" lease --flip 2 --hold-until-stdin-eof <"$fifo" >"$out" 2>&1 &
	pid=$!
	exec {w}>"$fifo"
	lc_wait_for "grep -q '^lease ' '$out' || ! kill -0 $pid 2>/dev/null" 60
	held="$(sed -n 's/^lease ok .*connector=\([^ ]*\).*/\1/p' "$out")"
	if [ -z "$held" ]; then
		cat "$out"
		exec {w}>&-
		wait "$pid"
		return 1
	fi
	echo "helix holds $held"
	other=Virtual-13
	[ "$held" = "$other" ] && other=Virtual-14
	wl conformance Virtual-1 "$held" --expect-count $((n_offered - 1)) || rc=1
	wl lease "$other" --flip 3 || rc=1
	exec {w}>&-
	wait "$pid" || { echo "helix client failed"; cat "$out"; rc=1; }
	wl wait-offered "$held" || rc=1
	return "$rc"
}

# leasecast_lease_manager_v1.set_requested_size: an output that is off comes
# up with the requested mode, not the broker's 1920x1080 (the client sends a
# 640x480 decoy first: the later call wins).
lease_sized() {
	local before out rc
	lc_connector_probe Virtual-10
	before="$(cat "$(lc__connector_dir Virtual-10)/status")"
	[ "$before" = disconnected ] || { echo "Virtual-10 was $before"; return 1; }
	out="$(wl lease Virtual-10 --size 1280x720 --flip 2 2>&1)"
	rc=$?
	echo "$out"
	[ "$rc" = 0 ] && grep -q '^kms name=Virtual-10 .* mode=1280x720 ' <<<"$out"
}

lc_case broker-starts start_broker || { lc_finish; exit; }
# Hostile bytes on the Wayland socket (garbage, impossible sizes, a
# truncated message, a request to an unknown object, an fd bomb, connections
# that hang up at once): each offending client is cut off by libwayland,
# the broker keeps serving, a lease held meanwhile is untouched, and the
# broker's fd count comes back to what it was.
malformed_wayland() {
	local out="$LC_OUT/malformed-holder.log" pid fds0 fds1 rc=0
	"$client" --socket "$wl_sock" --timeout-ms 30000 lease Virtual-12 --flip 1 --hold-ms 120000 >"$out" 2>&1 &
	pid=$!
	lc_wait_for "grep -q 'lease_fd' '$out' || ! kill -0 $pid 2>/dev/null" 60
	fds0=$(ls "/proc/$broker_pid/fd" | wc -l)
	python3 - "$wl_sock" <<'PY' || rc=1
import os, socket, struct, sys, array
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s
def attempt(name, payload, fds=None):
    s = conn()
    try:
        if fds:
            s.sendmsg([payload], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        else:
            s.sendall(payload)
        s.settimeout(2)
        # The server either answers with an error event or hangs up.
        while s.recv(4096):
            pass
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        pass
    finally:
        s.close()
    print("sent", name)
attempt("garbage", os.urandom(4096))
attempt("size-below-header", struct.pack("<II", 1, (4 << 16) | 0))
attempt("truncated", struct.pack("<II", 1, (65532 << 16) | 1) + b"x" * 100)
attempt("unknown-object", struct.pack("<II", 9999, (8 << 16) | 0))
devnull = [os.open("/dev/null", os.O_RDONLY) for _ in range(250)]
attempt("fd-bomb", struct.pack("<II", 1, (12 << 16) | 1) + struct.pack("<I", 2), devnull)
for f in devnull:
    os.close(f)
for _ in range(100):
    conn().close()
print("sent 100 hang-ups")
PY
	broker_alive || { echo "broker died"; return 1; }
	lc_wait_for "[ \$(ls /proc/$broker_pid/fd | wc -l) -le $fds0 ]" 10 || rc=1
	fds1=$(ls "/proc/$broker_pid/fd" | wc -l)
	echo "broker fds: $fds0 -> $fds1"
	# The lease held all along is still held (Virtual-12 not offered).
	wl conformance Virtual-1 Virtual-12 --expect-count $((n_offered - 1)) || rc=1
	kill -0 "$pid" 2>/dev/null || { echo "holder gone:"; cat "$out"; rc=1; }
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	lc_wait_for "wl conformance Virtual-1 --expect-count $n_offered >/dev/null" 10 || rc=1
	return "$rc"
}

lc_case conformance wl conformance Virtual-1 --expect-count "$n_offered"
lc_case release-released wl release-released
lc_case release-twice wl release-twice
lc_case err-duplicate wl err-duplicate Virtual-2
lc_case err-empty wl err-empty
lc_case lease-one wl lease Virtual-2 --flip 5 --hold-ms 500
lc_case lease-two-outputs wl lease Virtual-3 Virtual-4 --flip 3
lc_case lease-concurrent wl lease-concurrent Virtual-5 Virtual-6
lc_case lease-contended wl lease-contended Virtual-7
lc_case withdrawn-finished wl withdrawn-finished Virtual-8
lc_case lease-then-close-fd wl lease-then-close-fd Virtual-9
lc_case lease-sized lease_sized
lc_case err-size-zero wl err-size Virtual-11 --size 0x0
lc_case helix-and-wayland helix_and_wayland
lc_case malformed-wayland malformed_wayland
lc_case all-offered-after all_offered
lc_case broker-stops-clean stop_broker_clean
lc_finish
