# broker-bench: lease latency (bench/lease-latency.c), JSON lines in
# $LC_OUT/bench.jsonl, each broker figure with its baseline from this same
# run: the raw drmModeCreateLease as DRM master (before any broker runs), and
# Helix's manager's fixed costs.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"

bench="$LC_BUILD/bench/lc-bench-lease-latency"
N=${LC_BENCH_N:-300}
out="$LC_OUT/bench.jsonl"
: >"$out"
mkdir -p /run/helix-drm /run/leasecast

stop_broker() {
	kill -TERM "$broker_pid" && lc_wait_for "! kill -0 $broker_pid 2>/dev/null" 10
}
# fig CASE KEY : a figure of an earlier line.
fig() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["case"] == sys.argv[2]: print(d[sys.argv[3]])' "$out" "$1" "$2"; }
run() { "$bench" "$@" | tee -a "$out"; [ "${PIPESTATUS[0]}" = 0 ]; }

lc_case raw-ioctl run raw /dev/dri/card0 "$N"
broker_log_name=broker-connected
lc_case start-connected start_broker --reserve none --log-level info
lc_case acquire-on run helix "$helix_sock" "$N" acquire-on "$(fig raw-ioctl p50_ms)" "$(fig raw-ioctl p99_ms)" raw-ioctl
lc_case stop-connected stop_broker
if [ -n "${LC_EXPORTER_ADDR:-}" ]; then
	broker_log_name=broker-exporter
	lc_case start-with-exporter start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" --log-level info
	lc_case acquire-turn-on run helix "$helix_sock" "$N" acquire-turn-on "$(fig raw-ioctl p50_ms)" "$(fig raw-ioctl p99_ms)" raw-ioctl
	lc_case stop-exporter stop_broker
	lc_case reference run reference "$(fig acquire-turn-on p50_ms)" acquire-turn-on
fi
lc_case reference-on run reference "$(fig acquire-on p50_ms)" acquire-on
lc_finish
