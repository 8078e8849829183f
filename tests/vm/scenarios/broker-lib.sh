# shellcheck shell=bash
# Shared helpers of the broker-*.sh scenarios (the Helix socket frontend of
# drm-lease-broker on the real virtio-gpu driver). Source after lib.sh.

broker_bin="$LC_BUILD/lease-broker/drm-lease-broker"
hc_bin="$LC_BUILD/tests/clients/lc-helix-client"
helix_sock=/run/helix-drm/drm.sock
wl_sock=/run/leasecast/wayland-0
broker_pid=

hc() { "$hc_bin" --socket "$helix_sock" "$@"; }

# start_broker ARGS... : the broker with the test sockets, logging to
# $LC_OUT/broker.log; waits until it listens.
start_broker() {
	lc_bg "${broker_log_name:-broker}" "$broker_bin" --helix-socket "$helix_sock" --wayland-socket "$wl_sock" \
		--log-level debug "$@"
	broker_pid=$LC_BG_PID
	lc_wait_for "[ -S '$helix_sock' ] || ! kill -0 $broker_pid 2>/dev/null" 30
	broker_alive || { echo "broker did not start"; tail -20 "$LC_OUT/${broker_log_name:-broker}.log"; return 1; }
	[ "$(stat -c '%a' "$helix_sock")" = 660 ] || { echo "socket mode $(stat -c '%a' "$helix_sock")"; return 1; }
}

broker_alive() { kill -0 "$broker_pid" 2>/dev/null; }
broker_fds() { ls "/proc/$broker_pid/fd" | wc -l; }

# st 'PYTHON-EXPR' : evaluates EXPR over the broker's status JSON, with
# d (the document), o (outputs by name) and L (the leases list).
st() {
	local f="$LC_OUT/status.json"
	hc status >"$f" 2>&1 || { echo "status failed: $(cat "$f")"; return 1; }
	python3 - "$f" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
o = {x["name"]: x for x in d["outputs"]}
L = d["leases"]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

# wait_st 'EXPR' SECS : polls the status until EXPR holds.
wait_st() {
	lc_wait_for "st \"$1\"" "$2" || { echo "status never had: $1"; cat "$LC_OUT/status.json"; return 1; }
}

# A probe (as a client's full probe would do) and the sysfs result.
sysfs_status() {
	lc_connector_probe "$1"
	cat "$(lc__connector_dir "$1")/status"
}

# Starts a holder in the background; its lines go to $LC_OUT/NAME.log.
# Waits for its lease; sets HOLDER_PID and HOLDER_CONN (e.g. Virtual-3).
holder_start() {
	local name="$1" log
	shift
	log="$LC_OUT/$name.log"
	"$hc_bin" --socket "$helix_sock" lease "$@" >"$log" 2>&1 </dev/null &
	HOLDER_PID=$!
	lc_wait_for "grep -q '^lease ' '$log' || ! kill -0 $HOLDER_PID 2>/dev/null" 60
	grep -q '^lease ok' "$log" || { echo "holder got no lease:"; cat "$log"; return 1; }
	HOLDER_CONN="$(sed -n 's/^lease ok .*connector=\([^ ]*\).*/\1/p' "$log")"
}

# Malformed input: every case gets an error reply and a hang-up, and the
# broker keeps serving (a lease held meanwhile stays, a new one works).
malformed_input() {
	local rc=0 out
	holder_start malformed-holder --hold-ms 600000 || return 1
	local held="$HOLDER_CONN" fds0
	fds0=$(broker_fds)
	for raw in "09000000000000000000" "0000000000000000 00" "ffffffffffffffffffffffffffffffffff" \
		"01ffffffffffffffff"; do
		out="$(hc raw "${raw// /}")"
		echo "raw $raw -> $out"
		grep -q '^reply status=1 ' <<<"$out" || rc=1
		grep -q 'fd=no' <<<"$out" || rc=1
		grep -q '^connection closed' <<<"$out" || rc=1
	done
	# A short request, then EOF.
	out="$(hc raw 0100 --shutdown)"
	echo "short -> $out"
	grep -q '^reply status=1 .*short' <<<"$out" || rc=1
	broker_alive || { echo "broker died"; return 1; }
	st "o['$held']['leased_by'] is not None and len(L) == 1" || { echo "held lease disturbed"; rc=1; }
	# Other clients still get served.
	hc status >/dev/null || rc=1
	if st "any(x['offerable'] for x in d['outputs'])"; then
		out="$(hc lease --hold-ms 0)"
		echo "after: $out"
		grep -q '^lease ok' <<<"$out" || rc=1
	fi
	kill -TERM "$HOLDER_PID"
	wait "$HOLDER_PID" 2>/dev/null
	wait_st "len(L) == 0" 10 || rc=1
	[ "$(broker_fds)" -le "$fds0" ] || { echo "broker fds $fds0 -> $(broker_fds)"; rc=1; }
	return "$rc"
}

# The output comes back (no lease, offered) within SECS once its holder is
# gone in some way; with an exporter it is also turned off.
output_returns() {
	local conn="$1" secs="$2" want_state="$3"
	wait_st "len(L) == 0 and o['$conn']['leased_by'] is None and o['$conn']['state'] == '$want_state' and o['$conn']['offerable']" "$secs"
}

# hangup_case STATE : the client hangs up but keeps the fd: revoked, back.
hangup_case() {
	local out
	out="$(hc lease --flip 1 --hangup-after-ms 100 --expect-revoked-ms 5000)" || { echo "$out"; return 1; }
	echo "$out"
	local conn
	conn="$(sed -n 's/^lease ok .*connector=\([^ ]*\).*/\1/p' <<<"$out")"
	grep -q '^revoked after_ms=' <<<"$out" && output_returns "$conn" 10 "$1"
}

# close_fd_case STATE : the client closes the lease fd but keeps the socket;
# the kernel's LEASE uevent tells the broker.
close_fd_case() {
	holder_start closefd --close-fd-after-ms 100 --hold-ms 8000 || return 1
	local conn="$HOLDER_CONN" t0 rc=0
	t0=$(date +%s%N)
	output_returns "$conn" 6 "$1" || rc=1
	echo "returned in $(lc_ms_since "$t0") ms while the socket was open"
	kill -0 "$HOLDER_PID" 2>/dev/null || { echo "holder exited too early"; rc=1; }
	kill -TERM "$HOLDER_PID"
	wait "$HOLDER_PID" 2>/dev/null
	return "$rc"
}

# kill9_case STATE : a holder killed with SIGKILL.
kill9_case() {
	holder_start kill9 --flip 1 --hold-ms 600000 || return 1
	local conn="$HOLDER_CONN"
	kill -9 "$HOLDER_PID"
	wait "$HOLDER_PID" 2>/dev/null
	output_returns "$conn" 10 "$1"
}

# release_case STATE : Helix cmd 2 on the connection releases the lease.
release_case() {
	local out conn
	out="$(hc lease --release-after-ms 100 --expect-revoked-ms 5000)" || { echo "$out"; return 1; }
	echo "$out"
	conn="$(sed -n 's/^lease ok .*connector=\([^ ]*\).*/\1/p' <<<"$out")"
	output_returns "$conn" 10 "$1"
}

# cycles_case N : N acquire/release cycles; neither side's fds grow.
cycles_case() {
	local before after out
	before=$(broker_fds)
	out="$(hc cycles "$1")" || { echo "$out"; return 1; }
	echo "$out"
	wait_st "len(L) == 0" 30 || return 1
	after=$(broker_fds)
	echo "broker fds: $before -> $after"
	[ "$after" -le "$before" ]
}

# status_cli N_OUTPUTS : drm-lease-broker --status prints the JSON.
status_cli() {
	local out="$LC_OUT/status-cli.json"
	"$broker_bin" --status --helix-socket "$helix_sock" >"$out" || return 1
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["outputs"]) == int(sys.argv[2]), len(d["outputs"])
for x in d["outputs"]:
    for k in ("name", "connector_id", "crtc_id", "scanout_id", "state", "leased_by"):
        assert k in x, k
assert isinstance(d["leases"], list)
' "$out" "$1"
}
