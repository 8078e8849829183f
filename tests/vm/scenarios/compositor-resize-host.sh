# Host side of vm-compositor-resize (see compositor-resize.sh): for each
# compositor NAME argument, in the guest's order: once the guest signals
# up-NAME ("SCANOUT KEY follows|keeps"), a watching subscriber
# (lc-subscribe-check: the decoded size of every frame), the frame bridge
# and headless Chromium on its page (resize-page.py: the page's Resize from
# 1920x1080 to 1280x720 and its verdicts). Then the stream's verdict:
# follows: frames at 1920x1080, then frames at 1280x720, the first of those
# an IDR with its SPS, no decode error; keeps: every frame at 1920x1080, no
# decode error. Verdicts to $LC_OUT/host-results.txt; host-done-NAME after
# each.
. "$LC_SRC/tests/vm/lib.sh"
res="$LC_OUT/host-results.txt"
: >"$res"
bridge_bin="$LC_BUILD/compositor-module/leasecast-frame-bridge"
www="$LC_SRC/compositor-module/frame-bridge/www"
free_port() { "$LC_SRC/tests/lc-free-port"; }  # below the ephemeral range: see the script

stream_verdict() { # NAME follows|keeps
	python3 - "$LC_OUT/sub-$1.jsonl" "$2" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
expect = sys.argv[2]
frames = [e for e in ev if e.get("event") == "frame"]
errs = [e for e in ev if e.get("event") in ("decode-error", "bad-stream", "bad-message")]
sizes = []
for f in frames:
    if not sizes or sizes[-1][0] != (f["w"], f["h"]):
        sizes.append([(f["w"], f["h"]), 0, f])
    sizes[-1][1] += 1
print("stream sizes in order: " + ", ".join("%dx%d x%d" % (s[0][0], s[0][1], s[1]) for s in sizes))
if expect == "keeps":
    ok = len(sizes) == 1 and sizes[0][0] == (1920, 1080) and sizes[0][1] >= 5 and not errs
    print("errors: %s" % errs[:3])
    sys.exit(0 if ok else 1)
new = [s for s in sizes if s[0] == (1280, 720)]
old = [s for s in sizes if s[0] == (1920, 1080)]
ok = bool(old) and bool(new) and sizes.index(new[0]) > sizes.index(old[0]) and new[0][1] >= 5
first = new[0][2] if new else None
ok = ok and first["idr"] and first["keyframe"] and not errs
# Once at the new size, it stays there.
ok = ok and sizes[-1][0] == (1280, 720)
print("first 1280x720 frame: %s; errors: %s" % (first, errs[:3]))
sys.exit(0 if ok else 1)
PY
}

for name in "$@"; do
	lc_wait_signal "up-$name" 900 || { echo "$name: the guest never got it up"; break; }
	read -r s k expect <<<"$(lc_signal_content "up-$name")"
	if [ "$expect" = keeps ]; then stream_case=stream-keeps-size; else stream_case=stream-at-new-size; fi
	if [ "$s" = fail ]; then
		echo "$name-$stream_case fail" >>"$res"
		lc_signal "host-done-$name"
		continue
	fi
	stop="$LC_OUT/.signal-stop-watch-$name"
	"$LC_BUILD/tests/host/lc-subscribe-check" watch --connect "127.0.0.1:$LC_EXPORTER_PORT" \
		--scanout "$s" --key "$k" --duration 900 --stop-file "$stop" \
		>"$LC_OUT/sub-$name.jsonl" 2>&1 &
	watch=$!
	printf '%s\n' "$k" >"$LC_TMP/stream-key-$name"
	chmod 600 "$LC_TMP/stream-key-$name"
	port=$(free_port)
	"$bridge_bin" --exporter "127.0.0.1:$LC_EXPORTER_PORT" --scanout "$s" --key-file "$LC_TMP/stream-key-$name" \
		--listen "127.0.0.1:$port" --www "$www" >"$LC_OUT/bridge-$name.log" 2>&1 &
	bridge=$!
	lc_wait_for "grep -q 'subscribed to scanout' '$LC_OUT/bridge-$name.log'" 30 ||
		echo "$name: the bridge did not subscribe within 30 s"
	python3 "$LC_SRC/tests/vm/scenarios/resize-page.py" \
		"http://127.0.0.1:$port/?hw=prefer-software" "$LC_OUT" "$name" 1920x1080 1280x720 "$expect" \
		>"$LC_OUT/page-$name.log" 2>&1
	cat "$LC_OUT/page-$name.log"
	if [ "$expect" = keeps ]; then page_case=page-keeps-stream; else page_case=page-new-stream-init; fi
	for c in "$page_case" page-clean-after-resize; do
		# what the driver did not judge (it failed itself) fails
		grep -q "^$name-$c" "$res" || echo "$name-$c fail" >>"$res"
	done
	lc_signal "stop-watch-$name"
	wait "$watch"
	kill -TERM "$bridge" 2>/dev/null
	wait "$bridge"
	grep -E 'stream: |resize|Resize' "$LC_OUT/bridge-$name.log" | tail -6
	if stream_verdict "$name" "$expect"; then r=pass; else r=fail; fi
	echo "$name-$stream_case $r" >>"$res"
	cat "$res"
	lc_signal "host-done-$name"
done
