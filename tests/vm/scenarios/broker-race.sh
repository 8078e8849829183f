# broker-race: fast back-to-back acquire/release with the exporter while the
# host hook (broker-race-host.sh) keeps preempting the vCPU. Every lease must
# be granted and every output must end up off as the guest sees it. The
# guest loses a display event when the next one is raised while it is still
# handling the last (see the top of lease-broker/output_power.c); the broker then
# re-asserts the scanout, and the exporter makes the repeat a new event.
# Without that recovery the lease is refused after --enable-timeout-ms.
# The broker paces its changes (one in flight in the guest per card, the
# others queued), which keeps it from raising the next event during the
# last: here that queue must drain under preemption too (every lease
# granted, every output off at the end). Since the pacing, no run has lost
# an event here (0 re-asserts in 6 runs of 1500 cycles, 2 of them with the
# host adding a SetUIInfo on Console_0 after each of the exporter's), so the
# re-assert count printed below is usually 0. The second phase therefore
# runs the broker with --no-display-pacing, as before the pacing, so that
# the recovery itself is exercised (17 re-asserts in 1500 cycles were seen
# that way on a loaded host; every lease must still be granted).
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
mkdir -p /run/helix-drm /run/leasecast
cycles_bin="$LC_BUILD/bench/lc-lease-cycles"

starts() {
	start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" "$@" || return 1
	wait_st "len(d['outputs']) == 16 and all(o['Virtual-%d' % i]['offerable'] for i in range(2, 17))" 10
}

# race PHASE : up to LC_RACE_CYCLES (400) cycles or LC_RACE_SECONDS (30) of
# them, whichever ends first, the release->acquire pause swept over 0..2 ms,
# with the host preempting the vCPU (signals preempt-{start,stop}-PHASE).
# A slower machine completes fewer cycles in the time: it still passes if
# every cycle it completed was granted and at least LC_RACE_MIN_CYCLES (40)
# were completed, and then the queue must drain and every output end off.
race_cycles=${LC_RACE_CYCLES:-400} race_seconds=${LC_RACE_SECONDS:-30} race_min=${LC_RACE_MIN_CYCLES:-40}
race() {
	local rc=0 out i n phase=$1
	lc_signal "preempt-start-$phase"
	out="$("$cycles_bin" "$helix_sock" "$race_cycles" 2000 "$race_seconds")" || rc=1
	lc_signal "preempt-stop-$phase"
	echo "$out" | tail -5
	n=$(sed -n 's/^cycles n=\([0-9]*\) .*/\1/p' <<<"$out")
	echo "$phase: ${n:-no} cycles completed (planned $race_cycles, at most ${race_seconds} s, at least $race_min)"
	grep -q "^cycles n=$n ok=$n refused=0 " <<<"$out" || { echo "$phase: not every completed cycle was granted"; rc=1; }
	[ "${n:-0}" -ge "$race_min" ] || { echo "$phase: fewer than $race_min cycles in ${race_seconds} s"; rc=1; }
	local log="$LC_OUT/${broker_log_name:-broker}.log"
	echo "scanouts re-asserted: $(grep -c 're-asserting scanout' "$log")"
	grep 're-asserting scanout' "$log" | tail -3
	grep 'did not connect within' "$log" && { echo "a lease was refused"; rc=1; }
	# Ceilings for a machine 4x slower than the 2-core one measured on
	# (drained within ~2 s there): the queue's last DISABLEs, and each
	# output's disconnect as the guest sees it.
	wait_st "len(L) == 0 and all(o['Virtual-%d' % i]['state'] == 'off' for i in range(2, 17))" 60 ||
		{ echo "$phase: the broker did not drain its queue (leases left, or outputs not off)"; rc=1; }
	for i in $(seq 2 16); do
		lc_wait_for "[ \"\$(sysfs_status Virtual-$i)\" = disconnected ]" 30 ||
			{ echo "Virtual-$i still connected after the last release"; rc=1; }
	done
	return "$rc"
}

stop() {
	kill -TERM "$broker_pid" && lc_wait_for "! kill -0 $broker_pid 2>/dev/null" 10
}

lc_case broker-starts starts || { lc_finish; exit; }
lc_case back-to-back-all-granted race paced
lc_case broker-alive broker_alive
lc_case broker-stops stop
broker_log_name=broker-unpaced
lc_case unpaced-broker-starts starts --no-display-pacing || { lc_finish; exit; }
lc_case unpaced-back-to-back-all-granted race unpaced
lc_case unpaced-broker-alive broker_alive
lc_finish
