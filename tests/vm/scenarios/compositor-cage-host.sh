# Host side of vm-compositor-cage: subscribes to the leased scanout with
# the key lease-launch got from the broker over wp_drm_lease_v1 (or one from
# the exporter when the broker gives none), then judges the decoded
# stream: a picture that is not black, and cage's app's patterns 300..303
# and nobody else's. analysis-cage.json has launch_to_first_frame_ms (the
# guest's launch signal to the first non-black decoded frame) and
# launch_to_first_pattern_ms.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/compositor-lib.sh"
res="$LC_OUT/host-results.txt"
: >"$res"
finish() { lc_signal host-done; exit 0; }

# The scenario's first launch is the one without the wrapper, which never
# draws; the host watches the second one (NAME cage).
comp_host_watch cage || { echo "cage-watch fail" >>"$res"; finish; }
lc_wait_signal cage-up 400 || echo "cage-up fail" >>"$res"
comp_host_wait_patterns cage 300 400
lc_wait_signal stop-watch-cage 150
wait "$WATCH_PID"
# cage draws nothing of its own (black around nothing): its first
# non-black frame is its app's. The first identified pattern, too.
a="$(comp_host_analyze cage 300 | python3 -c '
import json, sys
out = sys.argv[1]
a = json.load(sys.stdin)
t_launch = int(open(f"{out}/t-launch-cage").read()) / 1e6
t_sub = int(open(f"{out}/t-sub-cage").read()) / 1e6
frames = [json.loads(l) for l in open(f"{out}/sub-cage.jsonl") if l.startswith("{\"event\":\"frame\"")]
p = next((f for f in frames if 300 <= f["pattern"] < 304), None)
a["launch_to_first_pattern_ms"] = round(t_sub - t_launch + p["t_ms"]) if p else None
print(json.dumps(a))' "$LC_OUT")"
echo "cage: $a"
echo "$a" >"$LC_OUT/analysis-cage.json"
python3 -c 'import json,sys; a=json.loads(sys.argv[1]); sys.exit(0 if a["first_nonblack_frame"] is not None else 1)' "$a" &&
	echo "cage-not-black pass" >>"$res" || echo "cage-not-black fail" >>"$res"
python3 -c 'import json,sys; a=json.loads(sys.argv[1]); sys.exit(0 if a["patterns_found"] == [300, 301, 302, 303] and not a["other_patterns"] else 1)' "$a" &&
	echo "cage-patterns pass" >>"$res" || echo "cage-patterns fail" >>"$res"
grep '"event":"summary"' "$LC_OUT/sub-cage.jsonl"
lc_signal host-done
comp_host_input cage2
exit 0
