# broker-helix: drm-lease-broker's Helix socket on the real virtio-gpu driver
# with the real qemu-frame-exporter turning outputs on and off (ENABLE /
# DISABLE_SCANOUT over the authenticated control link). Virtual-1 reserved.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
mkdir -p /run/helix-drm /run/leasecast

starts() {
	start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || return 1
	wait_st "len(d['outputs']) == 16 and o['Virtual-1']['reserved'] and not o['Virtual-1']['offerable'] and all(o['Virtual-%d' % i]['offerable'] for i in range(2, 17))" 10 &&
		st "all(o['Virtual-%d' % i]['scanout_id'] == i - 1 for i in range(1, 17))"
}

# An output that was off is turned on by the exporter, leased, and the
# lease fd modesets and flips on it.
lease_turns_on() {
	local out conn before
	before="$(sysfs_status Virtual-2)"
	[ "$before" = disconnected ] || { echo "Virtual-2 was $before"; return 1; }
	holder_start turnon --size 1280x720 --flip 3 --hold-ms 600000 || return 1
	cat "$LC_OUT/turnon.log"
	conn="$HOLDER_CONN"
	[ "$conn" = Virtual-2 ] || { echo "got $conn"; return 1; }
	grep -q '^lease ok scanout=1 connector=Virtual-2' "$LC_OUT/turnon.log" || return 1
	lc_wait_for "grep -q '^kms ' '$LC_OUT/turnon.log'" 30
	grep -q '^kms ok .*mode=1280x720 flips=3' "$LC_OUT/turnon.log" || return 1
	st "o['Virtual-2']['state'] == 'on' and L[0]['state'] == 'active' and L[0]['via'] == 'helix'" || return 1
	[ "$(sysfs_status Virtual-2)" = connected ] || { echo "not connected while leased"; return 1; }
	kill -TERM "$HOLDER_PID"
	wait "$HOLDER_PID" 2>/dev/null
	output_returns Virtual-2 10 off || return 1
	[ "$(sysfs_status Virtual-2)" = disconnected ] || { echo "still connected after release"; return 1; }
}

# Helix's ReleaseLease: RELEASE of scanout N on a new connection. Another
# user's is refused (the connection closed, the lease untouched); root's
# and the holder's own uid's end the lease, and the output goes off.
release_other_connection() {
	local gid scanout rc=0 nobody
	gid="$(getent group video | cut -d: -f3)"
	[ -n "$gid" ] || { echo "no video group"; return 1; }
	nobody=(setpriv --reuid=65534 --regid="$gid" --clear-groups)
	holder_start relroot --expect-revoked-ms 120000 || return 1
	scanout="$(sed -n 's/^lease ok scanout=\([0-9]*\).*/\1/p' "$LC_OUT/relroot.log")"
	"${nobody[@]}" "$hc_bin" --socket "$helix_sock" release "$scanout"
	lc_wait_for "grep -q 'release of scanout $scanout refused: another user' '$LC_OUT/broker.log'" 30 ||
		{ echo "the broker never refused nobody's release"; rc=1; }
	st "len(L) == 1 and L[0]['state'] == 'active'" || { echo "nobody's release touched root's lease"; rc=1; }
	grep -q '^revoked' "$LC_OUT/relroot.log" && { echo "revoked by nobody's release"; rc=1; }
	hc release "$scanout" || rc=1
	wait "$HOLDER_PID" || { echo "root's release did not revoke the holder's lease"; rc=1; }
	cat "$LC_OUT/relroot.log"
	output_returns "$HOLDER_CONN" 10 off || rc=1
	# A non-root holder, released by its own uid from another process.
	"${nobody[@]}" "$hc_bin" --socket "$helix_sock" lease --expect-revoked-ms 120000 \
		>"$LC_OUT/relnobody.log" 2>&1 </dev/null &
	HOLDER_PID=$!
	lc_wait_for "grep -q '^lease ' '$LC_OUT/relnobody.log' || ! kill -0 $HOLDER_PID 2>/dev/null" 60
	scanout="$(sed -n 's/^lease ok scanout=\([0-9]*\).*/\1/p' "$LC_OUT/relnobody.log")"
	[ -n "$scanout" ] || { echo "nobody got no lease"; cat "$LC_OUT/relnobody.log"; return 1; }
	"${nobody[@]}" "$hc_bin" --socket "$helix_sock" release "$scanout" || rc=1
	wait "$HOLDER_PID" || { echo "the holder's own uid's release did not revoke it"; rc=1; }
	cat "$LC_OUT/relnobody.log"
	grep -E "released scanout|release of scanout" "$LC_OUT/broker.log" | tail -3
	wait_st "len(L) == 0" 30 || rc=1
	return "$rc"
}

# 15 leases at once (every output but the reserved one), the 16th refused.
fifteen_leases() {
	local out rc=0
	out="$(hc many 16 --hold-ms 500)"
	echo "$out" | tail -3
	grep -q '^many ok=15 error=1$' <<<"$out" || rc=1
	grep -q '^lease error msg="no free output"' <<<"$out" || rc=1
	[ "$(grep -c '^lease ok' <<<"$out")" = 15 ] || rc=1
	[ "$(grep '^lease ok' <<<"$out" | sed 's/.*connector=\([^ ]*\).*/\1/' | sort -u | wc -l)" = 15 ] || rc=1
	grep -q 'connector=Virtual-1 ' <<<"$out" && rc=1
	wait_st "len(L) == 0 and all(o['Virtual-%d' % i]['state'] == 'off' for i in range(2, 17))" 60 || rc=1
	# Really off on the host's side too, as the guest's probe sees it.
	local i
	for i in $(seq 2 16); do
		[ "$(sysfs_status Virtual-$i)" = disconnected ] || { echo "Virtual-$i still connected"; rc=1; }
	done
	return "$rc"
}

# Non-root: the per-uid quota (4), and status shows others' holders anonymised.
nonroot() {
	local gid out rc=0
	gid="$(getent group video | cut -d: -f3)"
	[ -n "$gid" ] || { echo "no video group"; return 1; }
	holder_start rootholder --hold-ms 600000 || return 1
	out="$(setpriv --reuid=65534 --regid="$gid" --clear-groups "$hc_bin" --socket "$helix_sock" many 5 --hold-ms 200)"
	echo "$out" | tail -2
	grep -q '^many ok=4 error=1$' <<<"$out" || rc=1
	grep -q 'limit' <<<"$out" || rc=1
	setpriv --reuid=65534 --regid="$gid" --clear-groups "$hc_bin" --socket "$helix_sock" status >"$LC_OUT/status-nobody.json" || rc=1
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["leases"]) >= 1 and all(l["pid"] is None for l in d["leases"] if l.get("uid") is None), d["leases"]
assert any(l["pid"] is None for l in d["leases"]), d["leases"]
' "$LC_OUT/status-nobody.json" || rc=1
	kill -TERM "$HOLDER_PID"
	wait "$HOLDER_PID" 2>/dev/null
	wait_st "len(L) == 0" 30 || rc=1
	return "$rc"
}

lc_case broker-starts starts || { lc_finish; exit; }
lc_case status-cli status_cli 16
lc_case lease-turns-output-on lease_turns_on
lc_case hangup-revokes hangup_case off
lc_case lessee-fd-close-ends-lease close_fd_case off
lc_case kill9-ends-lease kill9_case off
lc_case release-cmd release_case off
lc_case release-from-other-connection release_other_connection
lc_case fifteen-leases-16th-refused fifteen_leases
lc_case malformed-input malformed_input
lc_case nonroot-quota-and-status nonroot
lc_case cycles-20-no-fd-growth cycles_case 20
lc_case broker-alive broker_alive
lc_case clean-exit eval 'kill -TERM $broker_pid && lc_wait_for "! kill -0 $broker_pid 2>/dev/null" 10 && ! [ -e "$helix_sock" ]'
lc_finish
