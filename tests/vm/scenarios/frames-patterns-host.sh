# Host side of vm-frames-patterns (see frames-patterns.sh). Verdicts go to
# $LC_OUT/host-results.txt ("NAME pass|fail"); subscriber logs to
# $LC_OUT/sub-*.jsonl.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"
res="$LC_OUT/host-results.txt"
: >"$res"
verdict() { # NAME CMD... 
	local n="$1"
	shift
	if "$@"; then echo "$n pass" >>"$res"; else echo "$n fail" >>"$res"; fi
}
finish() { lc_signal host-done; exit "$(grep -c ' fail$' "$res")"; }

lc_wait_signal leased 90 || { echo "no lease in the guest"; echo "lease fail" >>"$res"; finish; }
scanout="$(lc_signal_content leased)"
key="$(sc_key "$scanout")" || { echo "no stream key"; echo "key fail" >>"$res"; finish; }

# The guest's modeset and first picture came before anyone subscribed:
# nobody's latency. Let them age 3 s, so that a damage-to-socket figure
# timed from them (as the exporter once did) stands out below.
sleep 3
# The subscriber is ready when the first frame (the idle pattern) is in;
# then the guest flips.
sc_watch "$scanout" "$key" --expect-patterns 60 --size 1920x1080 --duration 120 \
	--ready-file "$LC_OUT/.sub-ready" >"$LC_OUT/sub-patterns.jsonl" 2>&1 &
sub=$!
lc_wait_for "[ -e '$LC_OUT/.sub-ready' ] || ! kill -0 $sub 2>/dev/null" 30
exporter_stats "$scanout" "$LC_OUT/stats-before.json" # a new period starts here
lc_signal go
# The first period holds the first subscriber's IDR of a picture drawn
# before it came: no damage-to-socket sample, or only short ones.
unsubscribed_damage_ok() {
	[ -s "$LC_OUT/stats-before.json" ] || { echo "no stats report before the flips"; return 1; }
	python3 - "$LC_OUT/stats-before.json" <<'PY'
import json, sys
lat = json.load(open(sys.argv[1]))["damage_to_socket_ms"]
ok = lat["n"] == 0 or lat["max"] < 2500
print("damage to socket before the flips:", lat, "ok" if ok else "FAILED: timed from before the subscription")
sys.exit(0 if ok else 1)
PY
}
verdict unsubscribed-damage-untimed unsubscribed_damage_ok
# A second subscriber joins while the guest flips and stops reading after
# its first frame (its queue overflows: it loses frames), then reads again
# once the screen is static: it must hold the last pattern within 1 s, and
# what was encoded after it resumed must start with an IDR. Joining after
# the flips started keeps the periodic IDR (2 s) out of the run, so the
# resynchronisation is the server's catch-up IDR.
sleep 0.4
sc_watch "$scanout" "$key" --expect-patterns 60 --size 1920x1080 --duration 120 --stall-ms 5000 \
	--resume-within-ms 1000 >"$LC_OUT/sub-stall.jsonl" 2>&1 &
stall=$!
wait "$sub"
verdict patterns summary_ok "$LC_OUT/sub-patterns.jsonl"
# The exporter's own account of the flips: every flip is a whole 1080p
# Scanout over D-Bus that it converts without copying, and every frame a
# subscriber got has a damage-to-socket time.
stats_ok() {
	exporter_stats "$scanout" "$LC_OUT/stats-patterns.json" || { echo "no stats report"; return 1; }
	cat "$LC_OUT/stats-patterns.json"
	python3 - "$LC_OUT/stats-patterns.json" "$LC_OUT/sub-patterns.jsonl" <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))
sub = [json.loads(l) for l in open(sys.argv[2]) if l.startswith('{"event":"summary"')][-1]
frame = 1920 * 1080 * 4
n = sub["distinct"]  # patterns the subscriber decoded, each its own picture
lat = st["damage_to_socket_ms"]
checks = {
    "updates >= patterns": st["updates"] >= n,
    "encoded >= patterns": st["encoded"] >= n,
    "whole frames came over D-Bus": st["in_bytes"] >= n * frame,
    "Scanouts converted without a copy": st["copied_bytes"] <= st["in_bytes"] // 10,
    "whole frames converted": n * frame <= st["converted_bytes"] <= st["encoded"] * frame,
    "frames sent to the subscribers": st["sent_frames"] >= n,
    "a latency per frame sent": lat["n"] >= n and lat["n"] <= st["sent_frames"],
    "latency percentiles ordered": 0 < lat["p50"] <= lat["p99"] <= lat["max"] < 10000,
    "H.264 produced": st["au_bytes"] > 0,
}
bad = [k for k, ok in checks.items() if not ok]
print("exporter stats:", "ok" if not bad else "FAILED: " + ", ".join(bad))
sys.exit(1 if bad else 0)
PY
}
verdict exporter-stats stats_ok
wait "$stall"
grep '"event":"\(stall\|resume\|first-after-resume\)"' "$LC_OUT/sub-stall.jsonl"
verdict stall-resync summary_ok "$LC_OUT/sub-stall.jsonl"

# The guest has stopped flipping: the screen is static.
sc_watch "$scanout" "$key" --expect-no-frames-for 3 --keyframe-req --duration 60 \
	>"$LC_OUT/sub-static.jsonl" 2>&1
rc=$?
verdict static test "$(json_get "$LC_OUT/sub-static.jsonl" frames_in_static_window)" = 0 -a \
	"$(json_get "$LC_OUT/sub-static.jsonl" frames)" -ge 1
verdict late-idr test "$(json_get "$LC_OUT/sub-static.jsonl" first_is_idr)" = True
verdict keyframe-req test "$(json_get "$LC_OUT/sub-static.jsonl" keyframe_req_answered_idr)" = True -a "$rc" = 0
summary_ok "$LC_OUT/sub-static.jsonl"

wrong="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
verdict wrong-key sc_watch "$scanout" "$wrong" --expect-refused >"$LC_OUT/sub-wrongkey.jsonl" 2>&1
summary_ok "$LC_OUT/sub-wrongkey.jsonl"
verdict right-key-after sc_watch "$scanout" "$key" --duration 3 >"$LC_OUT/sub-after.jsonl" 2>&1
summary_ok "$LC_OUT/sub-after.jsonl"
cat "$res"
finish
