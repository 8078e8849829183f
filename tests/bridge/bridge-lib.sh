# shellcheck shell=bash
# Helpers of the frame bridge's browser tests (bridge-test.sh on the host,
# tests/vm/scenarios/bridge-*-host.sh in the rig): headless Chromium on the
# viewer page in its test mode, and checks of the JSON reports the viewer
# sends back (the bridge writes them to --test-report, one line each).

# Where the pattern code blocks are (tests/clients/patterns.c
# pattern_geom): "x,y;..." of the centres of the 16 top then 16 bottom blocks.
bridge_points() { # W H
	python3 - "$1" "$2" <<'PY'
import sys
w, h = int(sys.argv[1]), int(sys.argv[2])
b = (h // 16) & ~15
bw = (w // 18) & ~15
b = max(16, min(b, bw))
pts = []
for row in (0, 1):
    for i in range(16):
        pts.append("%d,%d" % (b + i * b + b // 2, b + row * b + b // 2))
print(";".join(pts))
PY
}

# Starts headless Chromium on URL in its own process group; prints its pid.
# What works here (Debian chromium 156, no GPU, closed network): the new
# headless mode, no sandbox as root, no GPU, no background networking, and
# a fresh profile; the page asks WebCodecs for software decoding.
bridge_chromium() { # URL PROFILE_DIR LOG
	rm -rf "$2"
	mkdir -p "$2"
	setsid "${LC_CHROMIUM:-/usr/bin/chromium}" --headless=new --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --disable-dev-shm-usage \
		--autoplay-policy=no-user-gesture-required \
		--user-data-dir="$2" "$1" >"$3" 2>&1 </dev/null &
	echo $!
}
bridge_chromium_stop() { # PID
	kill -TERM -- "-$1" 2>/dev/null
	for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$1" 2>/dev/null || return 0; sleep 0.3; done
	kill -KILL -- "-$1" 2>/dev/null
	return 0
}

# Waits until FILE has N report lines.
bridge_wait_reports() { # FILE N SECS
	local i
	for ((i = 0; i < $3 * 5; i++)); do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.2
	done
	echo "no report $2 in $1 after $3 s"
	return 1
}

# Checks viewer VIEWER's report in FILE: at least MIN frames decoded, no
# decoder error, the first chunk a key chunk, the codec string from the
# SPS, the canvas WxH, and the code blocks at the points of bridge_points
# showing pattern K (white > 200, black < 55 in every channel).
bridge_check_report() { # FILE VIEWER K W H MIN
	python3 - "$@" <<'PY'
import json, sys
path, viewer, k, w, h, mn = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
reps = [json.loads(l) for l in open(path) if l.strip()]
r = [x["report"] for x in reps if x["viewer"] == viewer]
if not r:
    print("viewer %d: no report" % viewer); sys.exit(1)
r = r[-1]
ok = True
def need(cond, what):
    global ok
    print(("ok   " if cond else "FAIL ") + what)
    ok = ok and cond
need(r["framesDecoded"] >= mn, "viewer %d decoded %d frames (>= %d)" % (viewer, r["framesDecoded"], mn))
need(r["decoderErrors"] == 0, "no decoder errors %s" % r["errors"])
need(r["firstChunkType"] == "key", "first chunk %s (replay %s)" % (r["firstChunkType"], r["firstChunkReplay"]))
need(r["codec"] is not None and r["codec"].startswith("avc1.") and r["codec"] == r["initCodec"],
     "codec %s (StreamInit %s)" % (r["codec"], r["initCodec"]))
need(r["canvas"] == [w, h], "canvas %s" % r["canvas"])
bits = [(k >> (15 - i)) & 1 for i in range(16)]
want = bits + [1 - b for b in bits]
got = []
for s, b in zip(r["samples"], want):
    px = s["rgb"]
    got.append(1 if min(px) > 200 else 0 if max(px) < 55 else -1)
seen = sum(v << (15 - i) for i, v in enumerate(got[:16])) if -1 not in got[:16] else None
need(got == want and len(r["samples"]) == 32,
     "canvas shows pattern %d (read %s)" % (k, seen if seen is not None else got))
print("viewer %d: %s" % (viewer, {x: r[x] for x in ("framesDecoded", "chunks", "keyChunks", "replayChunks", "skippedChunks", "elapsedMs", "decodeMs", "rttMs", "cursorImages", "cursorMoves", "timedOut")}))
sys.exit(0 if ok else 1)
PY
}
