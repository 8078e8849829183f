# broker-helix-noexp: drm-lease-broker's Helix socket without an exporter
# (real hardware's mode): only connected outputs (Virtual-1 here, with
# --reserve none) are leasable, and releasing turns nothing off. Also the
# long acquire/release run: 1,000 cycles without fd growth.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"

mkdir -p /run/helix-drm /run/leasecast

starts() {
	start_broker --reserve none || return 1
	st "o['Virtual-1']['state'] == 'on' and o['Virtual-1']['offerable'] and o['Virtual-1']['scanout_id'] == -1 and not any(o['Virtual-%d' % i]['offerable'] for i in range(2, 17))"
}

lease_connected() {
	local out
	out="$(hc lease --flip 5)" || { echo "$out"; return 1; }
	echo "$out"
	grep -q '^lease ok .*connector=Virtual-1 ' <<<"$out" && grep -q '^kms ok .*flips=5' <<<"$out"
}

only_one() {
	local out
	out="$(hc many 2 --hold-ms 100)"
	echo "$out"
	grep -q '^many ok=1 error=1$' <<<"$out" && grep -q 'no free output' <<<"$out"
}

# Without an exporter the output stays on after the lease ends.
stays_on() {
	wait_st "len(L) == 0 and o['Virtual-1']['state'] == 'on' and o['Virtual-1']['offerable']" 10 &&
		[ "$(sysfs_status Virtual-1)" = connected ]
}

lc_case broker-starts starts || { lc_finish; exit; }
lc_case status-cli status_cli 16
lc_case lease-connected-output lease_connected
lc_case only-connected-outputs only_one
lc_case release-keeps-output-on stays_on
lc_case hangup-revokes hangup_case on
lc_case lessee-fd-close-ends-lease close_fd_case on
lc_case kill9-ends-lease kill9_case on
lc_case release-cmd release_case on
lc_case malformed-input malformed_input
lc_case cycles-1000-no-fd-growth cycles_case 1000
lc_case broker-alive broker_alive
lc_finish
