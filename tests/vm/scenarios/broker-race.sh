# broker-race: fast back-to-back acquire/release with the exporter while the
# host hook (broker-race-host.sh) keeps preempting the vCPU. Every lease must
# be granted and every output must end up off as the guest sees it. The
# guest loses a display event when the next one is raised while it is still
# handling the last (see the top of lease-broker/broker.c); the broker then
# re-asserts the scanout, and the exporter makes the repeat a new event.
# Without that recovery the lease is refused after --enable-timeout-ms.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
mkdir -p /run/helix-drm /run/leasecast
cycles_bin="$LC_BUILD/bench/lc-lease-cycles"

starts() {
	start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || return 1
	wait_st "len(d['outputs']) == 16 and all(o['Virtual-%d' % i]['offerable'] for i in range(2, 17))" 10
}

# race N : N cycles, the release->acquire pause swept over 0..2 ms.
race() {
	local rc=0 out i
	lc_signal preempt-start
	out="$("$cycles_bin" "$helix_sock" "$1" 2000)" || rc=1
	lc_signal preempt-stop
	echo "$out" | tail -5
	grep -q "^cycles n=$1 ok=$1 refused=0 " <<<"$out" || rc=1
	echo "scanouts re-asserted: $(grep -c 're-asserting scanout' "$LC_OUT/broker.log")"
	grep 're-asserting scanout' "$LC_OUT/broker.log" | tail -3
	grep 'did not connect within' "$LC_OUT/broker.log" && { echo "a lease was refused"; rc=1; }
	wait_st "len(L) == 0 and all(o['Virtual-%d' % i]['state'] == 'off' for i in range(2, 17))" 30 || rc=1
	for i in $(seq 2 16); do
		lc_wait_for "[ \"\$(sysfs_status Virtual-$i)\" = disconnected ]" 10 ||
			{ echo "Virtual-$i still connected after the last release"; rc=1; }
	done
	return "$rc"
}

lc_case broker-starts starts || { lc_finish; exit; }
lc_case back-to-back-all-granted race "${LC_RACE_CYCLES:-1500}"
lc_case broker-alive broker_alive
lc_finish
