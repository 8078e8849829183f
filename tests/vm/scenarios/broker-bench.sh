# broker-bench: lease latency (bench/lease-latency.c), JSON lines in
# $LC_OUT/bench.jsonl. Every broker figure has its baseline from this same
# boot, measured before the broker starts:
#   raw-create-lease, raw-revoke-lease   the kernel's lease ioctls as master
#   raw-turn-on, raw-revoke-disable,     the exporter's ENABLE/DISABLE driven
#   raw-turn-off                         by hand (HOTPLUG uevent + probe)
# then the broker without the exporter (outputs already on) and with it
# (outputs turned on for each lease), each through Helix and Wayland, and a
# summary against Helix's manager's fixed costs.
# LC_BENCH_N (default 300) cycles per case; LC_BENCH_TURN_ON_N (default
# LC_BENCH_N) for the cases that turn an output on.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"

bench="$LC_BUILD/bench/lc-bench-lease-latency"
N=${LC_BENCH_N:-300}
NT=${LC_BENCH_TURN_ON_N:-$N}
out="$LC_OUT/bench.jsonl"
: >"$out"
mkdir -p /run/helix-drm /run/leasecast

stop_broker() {
	kill -TERM "$broker_pid" && lc_wait_for "! kill -0 $broker_pid 2>/dev/null" 10
}
run() { "$bench" "$@" | tee -a "$out"; [ "${PIPESTATUS[0]}" = 0 ]; }
# The broker's own account of lost display events (doc/DESIGN.md).
reasserts() {
	local log="$LC_OUT/$broker_log_name.log" en dis
	en=$(grep -c 're-asserting scanout .*not connected' "$log")
	dis=$(grep -c 're-asserting scanout .*still connected' "$log")
	printf '{"bench":"lease-log","case":"%s","enable_reasserts":%d,"disable_reasserts":%d}\n' \
		"$broker_log_name" "$en" "$dis" | tee -a "$out"
}
t_start=$(date +%s%N)

lc_case raw-ioctl run raw /dev/dri/card0 "$N"
if [ -n "${LC_EXPORTER_ADDR:-}" ]; then
	lc_case raw-exporter run raw-exporter /dev/dri/card0 "$LC_EXPORTER_ADDR" "$LC_CONTROL_KEY" "$NT"
fi

broker_log_name=broker-connected
lc_case start-connected start_broker --reserve none --log-level info
lc_case broker-on run broker "$helix_sock" "$wl_sock" "$N" on noexp "$out" \
	raw-create-lease raw-revoke-lease
lc_case stop-connected stop_broker

if [ -n "${LC_EXPORTER_ADDR:-}" ]; then
	broker_log_name=broker-exporter
	lc_case start-with-exporter start_broker --exporter "$LC_EXPORTER_ADDR" \
		--control-key "$LC_CONTROL_KEY" --log-level info
	lc_case broker-turn-on run broker "$helix_sock" "$wl_sock" "$NT" turn-on exporter "$out" \
		raw-turn-on raw-revoke-disable
	lc_case stop-exporter stop_broker
	reasserts
fi

lc_case summary run summary "$out"
lc_log "bench wall $(lc_ms_since "$t_start") ms"
lc_finish
