# broker-bench: lease latency over the Helix socket (bench/lease-latency.c),
# with the exporter turning outputs on (if the rig runs one) and on the
# always-connected Virtual-1 without it. Figures: $LC_OUT/bench.txt.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"

bench="$LC_BUILD/bench/lc-bench-lease-latency"
mkdir -p /run/helix-drm /run/leasecast

run_bench() {
	"$bench" "$helix_sock" "$1" "$2" | tee -a "$LC_OUT/bench.txt"
	[ "${PIPESTATUS[0]}" = 0 ]
}

stop_broker() {
	kill -TERM "$broker_pid" && lc_wait_for "! kill -0 $broker_pid 2>/dev/null" 10
}

if [ -n "${LC_EXPORTER_ADDR:-}" ]; then
	lc_case start-with-exporter start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" --log-level info
	lc_case bench-exporter run_bench 300 exporter-enable
	lc_case stop stop_broker
fi
broker_log_name=broker-connected
lc_case start-connected start_broker --reserve none --log-level info
lc_case bench-connected run_bench 1000 connected-no-exporter
lc_finish
