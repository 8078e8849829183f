# broker-recovery: the broker's recovery from a lost display event
# (doc/DESIGN.md "Lost display events"), made deterministic. The guest's
# virtio-gpu loses an event only in a microseconds-wide race that no real
# part can produce on demand, so tests/vm/lc-fault-proxy, a named
# fault-injection fake, sits between the broker and the real exporter:
# it answers the 2nd ENABLE_SCANOUT and the 2nd DISABLE_SCANOUT itself with
# a successful SCANOUT_RESP without forwarding them. The broker then
# believes the host changed the output while the guest saw nothing, and must
# re-send the change (REASSERT_FIRST_MS = 750 ms after the confirmation).
# Cases, in this order (the proxy counts messages over its lifetime):
#   no-fault-no-reassert      ENABLE 1 / DISABLE 1 relayed: no re-assert
#   lost-enable-reasserted    ENABLE 2 swallowed, ENABLE 3 (the re-assert)
#                             relayed; the lease comes after it, >= 700 ms
#   lost-disable-reasserted   DISABLE 2 swallowed: the guest keeps the output
#                             connected until DISABLE 3 (the re-assert)
#   leasable-after-recovery   the same output leased and released again
#                             (ENABLE 4 / DISABLE 4 relayed), no re-assert
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
mkdir -p /run/helix-drm /run/leasecast

proxy_bin="$LC_SRC/tests/vm/lc-fault-proxy"
proxy_addr=127.0.0.1:15938
proxy_log="$LC_OUT/fault-proxy.log"
broker_log="$LC_OUT/broker.log"
enable_timeout_ms=5000
# Both outputs of the cases: the first offerable one (Virtual-1 is reserved).
conn=Virtual-2
scanout=1

# proxy_ts PATTERN : the proxy's time stamp (unix µs) of its first line
# matching PATTERN (an ERE), or nothing.
proxy_ts() {
	local ns
	ns="$(grep -E -m1 "$1" "$proxy_log" | cut -d' ' -f1)"
	[ -n "$ns" ] && echo $((ns / 1000))
}
proxy_has() { grep -qE "$1" "$proxy_log"; }
proxy_count() { grep -cE "$1" "$proxy_log"; }
reasserts() { grep -c 're-asserting scanout' "$broker_log"; }
now_us() { echo "${EPOCHREALTIME//[.,]/}"; }

# Prefixes every line with the unix µs at which it was read.
stamp() {
	local l
	while IFS= read -r l; do
		printf '%s %s\n' "$(now_us)" "$l"
	done
}

# holder_timed NAME ARGS... : a lease client as holder_start does, with its
# lines stamped; sets HOLDER_PID, HOLDER_CONN and LEASE_MS (from just before
# the client started to its "lease ok" line) and LEASE_US (that line's stamp).
holder_timed() {
	local name="$1" log t0
	shift
	log="$LC_OUT/$name.log"
	: >"$log"
	# A FIFO, not >(...): the guest has no /dev/fd.
	rm -f "/tmp/$name.fifo"
	mkfifo "/tmp/$name.fifo" || return 1
	stamp <"/tmp/$name.fifo" >"$log" &
	t0=$(now_us)
	"$hc_bin" --socket "$helix_sock" lease "$@" </dev/null >"/tmp/$name.fifo" 2>&1 &
	HOLDER_PID=$!
	lc_wait_for "grep -q '^[0-9]* lease ' '$log' || ! kill -0 $HOLDER_PID 2>/dev/null" 60
	lc_wait_for "grep -q '^[0-9]* lease ' '$log'" 2
	cat "$log"
	grep -q '^[0-9]* lease ok' "$log" || { echo "holder got no lease"; return 1; }
	HOLDER_CONN="$(sed -n 's/^[0-9]* lease ok .*connector=\([^ ]*\).*/\1/p' "$log")"
	LEASE_US="$(sed -n 's/^\([0-9]*\) lease ok .*/\1/p' "$log")"
	LEASE_MS=$(((LEASE_US - t0) / 1000))
	echo "lease of $HOLDER_CONN after $LEASE_MS ms"
}

holder_stop() {
	kill -TERM "$HOLDER_PID" 2>/dev/null
	wait "$HOLDER_PID" 2>/dev/null
}

# The leased output modesets and flips and is connected as the guest sees it.
leased_output_works() {
	local log="$LC_OUT/$1.log" flips="$2"
	lc_wait_for "grep -q '^[0-9]* kms ' '$log'" 30
	grep -q "^[0-9]* kms ok .*mode=1280x720 flips=$flips" "$log" || { echo "no modeset"; return 1; }
	[ "$(sysfs_status $conn)" = connected ] || { echo "$conn not connected while leased"; return 1; }
	st "o['$conn']['state'] == 'on' and len(L) == 1 and L[0]['state'] == 'active'"
}

starts() {
	lc_bg fault-proxy python3 "$proxy_bin" --listen "$proxy_addr" --exporter "$LC_EXPORTER_ADDR" \
		--swallow-enable 2 --swallow-disable 2
	proxy_pid=$LC_BG_PID
	lc_wait_for "proxy_has ' listening ' || ! kill -0 $proxy_pid 2>/dev/null" 20
	proxy_has ' listening ' || { echo "proxy did not start"; cat "$proxy_log"; return 1; }
	start_broker --exporter "$proxy_addr" --control-key "$LC_CONTROL_KEY" \
		--enable-timeout-ms "$enable_timeout_ms" || return 1
	wait_st "len(d['outputs']) == 16 and all(o['Virtual-%d' % i]['offerable'] for i in range(2, 17))" 10 || return 1
	# The broker's control link runs through the proxy, authenticated.
	lc_wait_for "proxy_has 'e2b AUTH_RESP relayed'" 20 || { echo "no AUTH through the proxy"; return 1; }
	lc_wait_for "grep -q 'control link up (authenticated' '$broker_log'" 10
}

# c. The normal path: the first ENABLE and DISABLE are relayed, the guest
# follows each at once, and the broker re-asserts nothing.
no_fault() {
	local r0 rc=0
	[ "$(sysfs_status $conn)" = disconnected ] || { echo "$conn was on"; return 1; }
	r0=$(reasserts)
	holder_timed control --size 1280x720 --flip 1 --hold-ms 600000 || return 1
	[ "$HOLDER_CONN" = "$conn" ] || { echo "leased $HOLDER_CONN, not $conn"; rc=1; }
	leased_output_works control 1 || rc=1
	proxy_has "b2e ENABLE_SCANOUT scanout=$scanout relayed n=1$" || { echo "ENABLE 1 not relayed"; rc=1; }
	holder_stop
	output_returns "$conn" 10 off || rc=1
	lc_wait_for "proxy_has 'b2e DISABLE_SCANOUT scanout=$scanout relayed n=1$'" 10 ||
		{ echo "DISABLE 1 not relayed"; rc=1; }
	lc_wait_for "[ \"\$(sysfs_status $conn)\" = disconnected ]" 10 || { echo "$conn stayed connected"; rc=1; }
	# Past the broker's DISABLE check (750 ms after the confirmation).
	sleep 1.5
	[ "$(reasserts)" = "$r0" ] || { echo "re-asserted on the normal path:"; grep 're-asserting' "$broker_log"; rc=1; }
	[ "$(proxy_count 'swallowed')" = 0 ] || rc=1
	return "$rc"
}

# a. ENABLE 2 is swallowed: the broker gets its SCANOUT_RESP, the guest no
# event. The broker must send the ENABLE again 750 ms later, and the lease
# is granted once the guest shows the output connected.
lost_enable() {
	local r0 rc=0 t_lost t_again
	[ "$(sysfs_status $conn)" = disconnected ] || { echo "$conn was on"; return 1; }
	r0=$(reasserts)
	holder_timed lost-enable --size 1280x720 --flip 3 --hold-ms 600000 || return 1
	[ "$HOLDER_CONN" = "$conn" ] || { echo "leased $HOLDER_CONN, not $conn"; rc=1; }
	grep "ENABLE_SCANOUT scanout=$scanout\|SCANOUT_RESP scanout=$scanout" "$proxy_log" | tail -4
	t_lost=$(proxy_ts "b2e ENABLE_SCANOUT scanout=$scanout swallowed n=2$")
	t_again=$(proxy_ts "b2e ENABLE_SCANOUT scanout=$scanout relayed n=3$")
	[ -n "$t_lost" ] || { echo "ENABLE 2 was not swallowed"; return 1; }
	proxy_has "e2b SCANOUT_RESP scanout=$scanout success=1 faked" || { echo "no faked SCANOUT_RESP"; rc=1; }
	[ -n "$t_again" ] || { echo "the broker never sent the ENABLE again"; return 1; }
	echo "ENABLE again $(((t_again - t_lost) / 1000)) ms after the lost one; lease after $LEASE_MS ms"
	[ $((t_again - t_lost)) -ge 700000 ] || { echo "re-asserted too early"; rc=1; }
	[ "$LEASE_US" -gt "$t_again" ] || { echo "lease granted before the re-assert"; rc=1; }
	if [ "$LEASE_MS" -lt 700 ] || [ "$LEASE_MS" -ge $((enable_timeout_ms * 4 / 5)) ]; then
		echo "lease after $LEASE_MS ms: not between 700 and $((enable_timeout_ms * 4 / 5))"
		rc=1
	fi
	grep -q "re-asserting scanout $scanout: .*($conn not connected 750 ms after the host's ENABLE)" "$broker_log" ||
		{ echo "no re-assert line in the broker log"; rc=1; }
	[ "$(reasserts)" = $((r0 + 1)) ] || { echo "$(($(reasserts) - r0)) re-asserts, not 1"; rc=1; }
	grep 're-asserting' "$broker_log" | tail -1
	leased_output_works lost-enable 3 || rc=1
	return "$rc"
}

# b. Releasing that lease: DISABLE 2 is swallowed. The output stays
# connected in the guest until the broker, probing 750 ms after the
# confirmation, finds it so and sends the DISABLE again.
lost_disable() {
	local r0 rc=0 t_lost t_again now
	if ! st "o['$conn']['leased_by'] is not None" || [ "$(sysfs_status $conn)" != connected ]; then
		echo "needs the lease of lost-enable-reasserted"
		holder_stop
		return 1
	fi
	r0=$(reasserts)
	holder_stop
	lc_wait_for "proxy_has 'b2e DISABLE_SCANOUT scanout=$scanout swallowed n=2$'" 10 ||
		{ echo "DISABLE 2 was not swallowed"; return 1; }
	now="$(sysfs_status $conn)"
	# Only telling if the re-assert has not gone out yet (750 ms later).
	if ! proxy_has "b2e DISABLE_SCANOUT scanout=$scanout relayed n=3$"; then
		echo "after the lost DISABLE the guest shows $conn $now"
		[ "$now" = connected ] || { echo "the guest saw a DISABLE that never reached QEMU"; rc=1; }
	fi
	lc_wait_for "proxy_has 'b2e DISABLE_SCANOUT scanout=$scanout relayed n=3$'" 10 ||
		{ echo "the broker never sent the DISABLE again"; grep "scanout=$scanout" "$proxy_log" | tail -3; return 1; }
	grep "DISABLE_SCANOUT scanout=$scanout\|SCANOUT_RESP scanout=$scanout" "$proxy_log" | tail -4
	t_lost=$(proxy_ts "b2e DISABLE_SCANOUT scanout=$scanout swallowed n=2$")
	t_again=$(proxy_ts "b2e DISABLE_SCANOUT scanout=$scanout relayed n=3$")
	echo "DISABLE again $(((t_again - t_lost) / 1000)) ms after the lost one"
	[ $((t_again - t_lost)) -ge 700000 ] || { echo "re-asserted too early"; rc=1; }
	grep -q "re-asserting scanout $scanout: .*($conn still connected after the host's DISABLE)" "$broker_log" ||
		{ echo "no re-assert line in the broker log"; rc=1; }
	lc_wait_for "[ \"\$(sysfs_status $conn)\" = disconnected ]" 10 ||
		{ echo "$conn still connected after the second DISABLE"; rc=1; }
	output_returns "$conn" 10 off || rc=1
	[ "$(reasserts)" = $((r0 + 1)) ] || { echo "$(($(reasserts) - r0)) re-asserts, not 1"; rc=1; }
	return "$rc"
}

# After both recoveries the output is offered and leased as usual: ENABLE 4
# and DISABLE 4 relayed, nothing re-asserted.
leasable_again() {
	local r0 rc=0
	r0=$(reasserts)
	st "o['$conn']['offerable'] and o['$conn']['leased_by'] is None" || { echo "$conn not offered"; return 1; }
	holder_timed again --size 1280x720 --flip 1 --hold-ms 600000 || return 1
	[ "$HOLDER_CONN" = "$conn" ] || { echo "leased $HOLDER_CONN, not $conn"; rc=1; }
	leased_output_works again 1 || rc=1
	proxy_has "b2e ENABLE_SCANOUT scanout=$scanout relayed n=4$" || { echo "ENABLE 4 not relayed"; rc=1; }
	holder_stop
	lc_wait_for "proxy_has 'b2e DISABLE_SCANOUT scanout=$scanout relayed n=4$'" 10 || { echo "DISABLE 4 not relayed"; rc=1; }
	output_returns "$conn" 10 off || rc=1
	lc_wait_for "[ \"\$(sysfs_status $conn)\" = disconnected ]" 10 || { echo "$conn stayed connected"; rc=1; }
	sleep 1.5
	[ "$(reasserts)" = "$r0" ] || { echo "re-asserted on the normal path"; rc=1; }
	return "$rc"
}

# One control connection for the whole run, no framing errors, and no
# SCANOUT_RESP the broker did not ask for.
link_clean() {
	local rc=0
	[ "$(proxy_count ' connect conn=')" = 1 ] || { echo "the control link reconnected"; rc=1; }
	proxy_has ' (error|close) ' && { grep -E ' (error|close) ' "$proxy_log"; rc=1; }
	grep -q 'nobody asked for\|out of sequence\|control link down' "$broker_log" &&
		{ grep 'nobody asked for\|out of sequence\|control link down' "$broker_log"; rc=1; }
	[ "$(proxy_count 'swallowed')" = 2 ] || rc=1
	return "$rc"
}

lc_case broker-starts starts || { lc_finish; exit; }
lc_case no-fault-no-reassert no_fault
lc_case lost-enable-reasserted lost_enable
lc_case lost-disable-reasserted lost_disable
lc_case leasable-after-recovery leasable_again
lc_case control-link-clean link_clean
lc_case broker-alive broker_alive
lc_case clean-exit eval 'kill -TERM $broker_pid && lc_wait_for "! kill -0 $broker_pid 2>/dev/null" 10 && ! [ -e "$helix_sock" ]'
lc_finish
