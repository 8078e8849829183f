#!/usr/bin/env bash
# The frame bridge on the host, end to end:
# lc-hxfr-pattern-source (HXFR, x264, known patterns) -> leasecast-frame-bridge
# -> the viewer page in headless Chromium (WebCodecs), which reports back, or
# (resize) lc-bridge-viewer, which logs every message and decodes the frames.
#   browser:   viewer 1 watches the flips and holds the last pattern; viewer 2
#              joins on the static screen and starts on a keyframe (GOP
#              replay + a fresh IDR); the cursor arrives.
#   wrong-key: the bridge reports the refusal and exits 2.
#   http:      only the two viewer files are served; token and viewer limit;
#              a non-loopback --listen is refused without --allow-remote.
#   cdp-input: real browser input through the bridge to the source's input
#              log (tests/browser/bridge_input_test.py, over CDP).
#   helix:     Helix's endpoint (--helix-listen, /ws/stream, no token) with
#              tests/browser/helix-client.html, a client that behaves as
#              Helix's web client on the wire, on a static screen
#              (tests/browser/helix_client_test.py says what it checks).
#   resize:    no browser: lc-bridge-viewer is every viewer. The source's
#              screen changes size mid-flips (--resize-after); the two
#              viewers connected then get the new StreamInit before any
#              frame of the new size, no frame of the old size after it, and
#              a keyframe first; a viewer joining later gets only the new
#              StreamInit and a GOP replay from a keyframe of the new size
#              (tests/bridge/resize-check.py); input is scaled and clamped to
#              the size of the moment.
set -u
. "$LC_SRC/tests/bridge/bridge-lib.sh"
case="$1"
tmp="$(mktemp -d)"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${chrome:-}" ] && bridge_chromium_stop "$chrome"
	[ -n "${chrome2:-}" ] && bridge_chromium_stop "$chrome2"
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
check() { # WHAT CMD...
	local what="$1"
	shift
	if "$@"; then echo "PASS $what"; else echo "FAIL $what"; fail=1; fi
}
free_port() { "$LC_SRC/tests/lc-free-port"; }  # below the ephemeral range: see the script

key="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
sport="$(free_port)"
bport="$(free_port)"
W=640 H=360 FIRST=1000 COUNT=45
W2=800 H2=450 SWITCH_AFTER=15 # resize: the screen is W2xH2 from pattern FIRST+15 on
extra=()
[ "$case" = resize ] && extra=(--resize-after "$SWITCH_AFTER" --to "${W2}x$H2")
"$LC_SOURCE" --listen "127.0.0.1:$sport" --key "$key" --scanout 3 --size "${W}x$H" \
	--first $FIRST --count $COUNT --fps 15 --go-file "$tmp/go" --input-log "$tmp/input.jsonl" \
	"${extra[@]}" >"$tmp/source.log" 2>&1 &
pids+=($!)
sleep 0.3
bridge() { # ARGS... (in the background; BRIDGE_PID)
	"$LC_BRIDGE" --exporter "127.0.0.1:$sport" --scanout 3 --listen "127.0.0.1:$bport" \
		--www "$LC_WWW" "$@" >>"$tmp/bridge.log" 2>&1 &
	BRIDGE_PID=$!
	pids+=("$BRIDGE_PID")
	# A ceiling for a slow machine; it is up in ~50 ms here.
	for _ in $(seq 300); do grep -q "viewer at" "$tmp/bridge.log" && return 0; sleep 0.1; done
	echo "the bridge did not start serving within 30 s"
	return 1
}
show_logs() {
	echo "--- bridge.log"; tail -40 "$tmp/bridge.log"
	echo "--- source.log"; tail -10 "$tmp/source.log"
}
wait_until() { # SECS WHAT CMD... : polls CMD; says what it gave up on
	local secs="$1" what="$2" i
	shift 2
	for ((i = 0; i < secs * 5; i++)); do "$@" && return 0; sleep 0.2; done
	echo "gave up after $secs s waiting for $what"
	return 1
}

case "$case" in
browser)
	printf '%s\n' "$key" >"$tmp/key"
	chmod 600 "$tmp/key"
	bridge --key-file "$tmp/key" --test-report "$tmp/reports.jsonl" || { show_logs; exit 1; }
	pts="$(bridge_points $W $H)"
	url="http://127.0.0.1:$bport/?report=1&hw=prefer-software&timeout=60&points=$pts"
	chrome="$(bridge_chromium "$url&frames=30&settle=2000" "$tmp/ud1" "$tmp/chrome1.log")"
	# Chromium starts in 1-3 s here; the flips wait for the viewer.
	for _ in $(seq 600); do grep -q "viewer 1 joined" "$tmp/bridge.log" && break; sleep 0.2; done
	grep -q "viewer 1 joined" "$tmp/bridge.log" || echo "viewer 1 did not join within 120 s"
	touch "$tmp/go" # the source flips 45 patterns at 15/s, then holds the last
	check "viewer 1 reported" bridge_wait_reports "$tmp/reports.jsonl" 1 90
	check "viewer 1 decoded the flips and shows the last pattern" \
		bridge_check_report "$tmp/reports.jsonl" 1 $((FIRST + COUNT - 1)) $W $H 30
	chrome2="$(bridge_chromium "$url&frames=1&settle=1500" "$tmp/ud2" "$tmp/chrome2.log")"
	check "viewer 2 reported" bridge_wait_reports "$tmp/reports.jsonl" 2 60
	check "viewer 2 joined late, started on a keyframe, shows the pattern" \
		bridge_check_report "$tmp/reports.jsonl" 2 $((FIRST + COUNT - 1)) $W $H 1
	check "the cursor reached the viewers" python3 -c '
import json, sys
r = [json.loads(l)["report"] for l in open(sys.argv[1])]
sys.exit(0 if all(x["cursorImages"] >= 1 and x["cursorMoves"] >= 1 for x in r) else 1)' "$tmp/reports.jsonl"
	check "viewer 2 got the GOP replay flagged" python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
v2 = [x["report"] for x in r if x["viewer"] == 2][0]
sys.exit(0 if v2["firstChunkReplay"] and v2["replayChunks"] >= 1 else 1)' "$tmp/reports.jsonl"
	kill "$BRIDGE_PID"
	wait "$BRIDGE_PID"
	check "the bridge stops cleanly on SIGTERM" test $? = 0
	;;
wrong-key)
	wrong="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	"$LC_BRIDGE" --exporter "127.0.0.1:$sport" --scanout 3 --key "$wrong" \
		--listen "127.0.0.1:$bport" --www "$LC_WWW" >"$tmp/bridge.log" 2>&1 &
	bp=$!
	pids+=("$bp")
	for _ in $(seq 100); do kill -0 $bp 2>/dev/null || break; sleep 0.1; done
	wait $bp
	rc=$?
	check "a wrong key makes the bridge exit 2 (got $rc)" test "$rc" = 2
	check "the refusal is logged clearly" grep -q "exporter refused the stream key for scanout 3 (error 9" "$tmp/bridge.log"
	"$LC_BRIDGE" --exporter "127.0.0.1:$sport" --scanout 3 --key "zz" >"$tmp/bad.log" 2>&1
	check "a malformed key is refused at start" test $? = 1
	check "... with a message" grep -q "64 hex digits" "$tmp/bad.log"
	;;
http)
	bridge --key "$key" --viewer-token s3cret --max-viewers 1 || { show_logs; exit 1; }
	code() { curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@"; }
	base="http://127.0.0.1:$bport"
	check "index served" test "$(code "$base/")" = 200
	check "viewer.js served" test "$(code "$base/viewer.js")" = 200
	check "no path traversal" test "$(code "$base/../../../etc/passwd")" = 404
	check "no other file of the www dir" test "$(code "$base/index.html.orig")" = 404
	check "no directory listing" test "$(code "$base/www/")" = 404
	ws() { # QUERY : HTTP status of a WebSocket upgrade
		curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Connection: Upgrade' \
			-H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
			-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$base/stream$1"
	}
	check "WebSocket refused without the token" test "$(ws "")" != 101
	check "WebSocket refused with a wrong token" test "$(ws "?token=nope")" != 101
	check "WebSocket accepted with the token" test "$(ws "?token=s3cret")" = 101
	"$LC_BRIDGE" --exporter "127.0.0.1:$sport" --scanout 3 --key "$key" --listen 0.0.0.0:1 \
		>"$tmp/remote.log" 2>&1
	check "a non-loopback --listen needs --allow-remote" test $? = 1
	check "... and says so" grep -q "allow-remote" "$tmp/remote.log"
	kill -0 "$BRIDGE_PID"
	check "the bridge survived all that" test $? = 0
	;;
helix)
	printf '%s\n' "$key" >"$tmp/key"
	hport="$(free_port)"
	bridge --key-file "$tmp/key" --helix-listen "$hport" --log-level debug || { show_logs; exit 1; }
	check "Helix's endpoint is up, on loopback, without a token" \
		grep -q "Helix's endpoint: ws://127.0.0.1:$hport/ws/stream, no token, viewers control" "$tmp/bridge.log"
	LC_CHROMIUM="${LC_CHROMIUM:-/usr/bin/chromium}" python3 "$LC_SRC/tests/browser/helix_client_test.py" \
		--ws "ws://127.0.0.1:$hport/ws/stream" --input-log "$tmp/input.jsonl" --tmp "$tmp" \
		--width $W --height $H --static-s 30
	check "Helix's client protocol, end to end" test $? = 0 || show_logs
	check "the bridge logged a Helix viewer's init" grep -q "init (Helix's protocol), keepalive" "$tmp/bridge.log"
	# An exporter without REFRESH: the keepalive asks for keyframes.
	sport2="$(free_port)" hport2="$(free_port)"
	"$LC_SOURCE" --listen "127.0.0.1:$sport2" --key "$key" --scanout 3 --size "${W}x$H" \
		--first $FIRST --count 1 --input-log "$tmp/input2.jsonl" --no-refresh >"$tmp/source2.log" 2>&1 &
	pids+=($!)
	wait_until 30 "the second source" grep -q listening "$tmp/source2.log"
	"$LC_BRIDGE" --exporter "127.0.0.1:$sport2" --scanout 3 --key-file "$tmp/key" \
		--listen "127.0.0.1:$(free_port)" --helix-listen "$hport2" --www "$LC_WWW" >"$tmp/bridge2.log" 2>&1 &
	pids+=($!)
	wait_until 30 "the second bridge" grep -q "subscribed to scanout" "$tmp/bridge2.log"
	"$LC_VIEWER" --connect "127.0.0.1:$hport2" --init '{"type":"init"}' --log "$tmp/viewer2.jsonl" \
		--max-seconds 120 &
	pids+=($!)
	# One per 2 s of a static screen (and one as it joined); the ceilings
	# are for a slow machine.
	kfs_asked() { [ "$(grep -c '"keyframe_req"' "$tmp/input2.jsonl" 2>/dev/null)" -ge 4 ]; }
	kfs_seen() { [ "$(grep -c '"ev":"video".*"key":1' "$tmp/viewer2.jsonl" 2>/dev/null)" -ge 4 ]; }
	check "without REFRESH, the keepalive asks for keyframes" wait_until 60 "4 keyframe requests" kfs_asked
	check "... which the viewer gets" wait_until 30 "4 keyframes at the viewer" kfs_seen
	"$LC_BRIDGE" --exporter "127.0.0.1:$sport" --scanout 3 --key "$key" --helix-listen 0.0.0.0:9876 \
		>"$tmp/helix-remote.log" 2>&1
	check "Helix's tokenless endpoint is refused off loopback" \
		grep -q "listens on loopback only" "$tmp/helix-remote.log"
	kill "$BRIDGE_PID"
	wait "$BRIDGE_PID"
	check "the bridge stops cleanly on SIGTERM" test $? = 0
	;;
cdp-input)
	printf '%s\n' "$key" >"$tmp/key"
	ctl="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	view="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	printf '%s\n' "$ctl" >"$tmp/control-token"
	printf '%s\n' "$view" >"$tmp/view-token"
	chmod 600 "$tmp/key" "$tmp/control-token" "$tmp/view-token"
	bridge --key-file "$tmp/key" --control-token-file "$tmp/control-token" \
		--view-token-file "$tmp/view-token" || { show_logs; exit 1; }
	check "the bridge asks for input (a control token is configured)" \
		grep -q "input: viewers with the control token" "$tmp/bridge.log"
	LC_CHROMIUM="${LC_CHROMIUM:-/usr/bin/chromium}" python3 "$LC_SRC/tests/browser/bridge_input_test.py" \
		--url "http://127.0.0.1:$bport" --control-token "$ctl" --view-token "$view" \
		--input-log "$tmp/input.jsonl" --tmp "$tmp" --width $W --height $H
	check "browser input reaches the exporter as HXFR input" test $? = 0
	check "the bridge counted the view-only viewer's refusals" \
		grep -q "input refused: this viewer may watch but not control" "$tmp/bridge.log"
	check "and the malformed message" grep -q "malformed input message (type 0x10, 3 bytes)" "$tmp/bridge.log"
	check "the flood is logged" grep -q "over 64 malformed input messages: disconnecting" "$tmp/bridge.log"
	check "the bridge logged the view-only viewer's counts when it left" \
		grep -Eq "left .*input: 0 forwarded, [1-9][0-9]* view-only refused" "$tmp/bridge.log"
	kill "$BRIDGE_PID"
	wait "$BRIDGE_PID"
	check "the bridge stops cleanly on SIGTERM after all that" test $? = 0
	"$LC_BRIDGE" --exporter "127.0.0.1:$sport" --scanout 3 --key "$key" --listen 0.0.0.0:1 \
		--allow-remote --control-token-file "$tmp/view-token" --view-token-file "$tmp/view-token" \
		>"$tmp/same.log" 2>&1
	check "the same token for control and view is refused" grep -q "are the same" "$tmp/same.log"
	printf 'short\n' >"$tmp/short-token"
	"$LC_BRIDGE" --exporter "127.0.0.1:$sport" --scanout 3 --key "$key" \
		--control-token-file "$tmp/short-token" >"$tmp/short.log" 2>&1
	check "a token file of 5 characters is refused" grep -q "a token is 16..256 characters" "$tmp/short.log"
	# The defaults: no token on loopback = control; a network address without
	# a control token = view-only for everyone.
	# Each prints its input line and whether its HELLO asked for INPUT (0x8).
	hellos() { grep -c '"type":"hello"' "$tmp/input.jsonl"; }
	rights() { # ARGS... : "INPUT-LINE|ask" or "INPUT-LINE|no" once its HELLO came
		local log="$tmp/rights.$RANDOM.log" p n
		n="$(hellos)"
		"$LC_BRIDGE" --exporter "127.0.0.1:$sport" --scanout 3 --key "$key" --www "$LC_WWW" \
			"$@" >"$log" 2>&1 &
		p=$!
		# Its HELLO reaches the source within ms; 10 s is the ceiling.
		for _ in $(seq 100); do [ "$(hellos)" -gt "$n" ] && break; sleep 0.1; done
		kill "$p"
		wait "$p" 2>/dev/null
		printf '%s|%s\n' "$(grep -o "input: .*" "$log")" "$(python3 -c '
import json, sys
h = [json.loads(l) for l in open(sys.argv[1]) if "\"hello\"" in l][int(sys.argv[2]):]
print("none" if not h else "ask" if h[-1]["features"] & 8 else "no")' "$tmp/input.jsonl" "$n")"
	}
	check "loopback without tokens: viewers control, INPUT asked for" \
		test "$(rights --listen "127.0.0.1:$(free_port)")" = "input: every viewer (loopback, no token)|ask"
	check "a network address without a control token: view-only, no INPUT in HELLO" \
		test "$(rights --listen "0.0.0.0:$(free_port)" --allow-remote)" = "input: off, every viewer is view-only|no"
	check "--view-only: nobody controls, no INPUT in HELLO" \
		test "$(rights --listen "127.0.0.1:$(free_port)" --view-only)" = "input: off, every viewer is view-only|no"
	;;
resize)
	bridge --key "$key" || { show_logs; exit 1; }
	# Each viewer: lc-bridge-viewer logging to NAME.jsonl, commands from NAME.cmd.
	viewer() { # NAME
		: >"$tmp/$1.cmd"
		"$LC_VIEWER" --connect "127.0.0.1:$bport" --log "$tmp/$1.jsonl" \
			--commands "$tmp/$1.cmd" --max-seconds 280 2>"$tmp/$1.err" &
		pids+=($!)
		eval "${1}_pid=$!"
	}
	has() { python3 "$LC_SRC/tests/bridge/resize-check.py" has "$@"; }
	abs() { # NAME X Y REF_W REF_H : an Absolute pointer message (WS.md)
		printf 'send 1200%04x%04x%04x%04x\n' "$2" "$3" "$4" "$5" >>"$tmp/$1.cmd"
	}
	touch_at() { # NAME EVENT ID X Y : a Touch message, x and y fractions (f32 LE)
		python3 -c 'import struct, sys
print("send " + struct.pack("<BBBff", 0x14, int(sys.argv[1]), int(sys.argv[2]),
      float(sys.argv[3]), float(sys.argv[4])).hex())' "${@:2}" >>"$tmp/$1.cmd"
	}
	inputs() { # the source's positions so far: "abs:X,Y touch:X,Y ..."
		python3 -c 'import json, sys
print(" ".join("%s:%d,%d" % (e["type"], e["x"], e["y"]) for e in map(json.loads, open(sys.argv[1]))
      if e["type"] in ("abs", "touch")))' "$tmp/input.jsonl"
	}
	n_inputs() { [ "$(inputs | wc -w)" -ge "$1" ]; }
	switch=$((FIRST + SWITCH_AFTER)) last=$((FIRST + COUNT - 1))
	# After a wait gave up the rest of the script would only wait again:
	# the checks below then say what the viewers did get.
	waiting=1
	step() { # SECS WHAT CMD... : wait_until, a failure when it gives up
		[ "$waiting" = 1 ] || return 1
		wait_until "$@" && return 0
		echo "FAIL waiting for $2 (the checks below say what came)"
		waiting=0 fail=1
		return 1
	}
	viewer a1
	viewer a2
	# A viewer decodes its first picture within ms here; the ceilings are
	# for a machine many times slower.
	for v in a1 a2; do
		step 60 "viewer $v to decode a ${W}x$H picture" has "$tmp/$v.jsonl" "${W}x$H"
	done
	# Input at the first size: scaled from the page's reference, clamped.
	abs a1 320 180 $W $H
	abs a1 5000 5000 $W $H
	step 30 "the source to log 2 pointer positions" n_inputs 2
	touch "$tmp/go" # the flips: FIRST.. at WxH, from $switch on at W2xH2, then $last held
	for v in a1 a2; do
		step 120 "viewer $v to decode pattern $last at ${W2}x$H2" \
			has "$tmp/$v.jsonl" "${W2}x$H2" $last
	done
	viewer b
	step 60 "the late viewer to decode pattern $last at ${W2}x$H2" \
		has "$tmp/b.jsonl" "${W2}x$H2" $last
	# Input at the new size: the page's old reference now maps onto the new
	# picture; clamped to the new size; touch fractions of the new size.
	abs a1 320 180 $W $H
	abs a1 5000 5000 $W2 $H2
	touch_at b 0 1 0.5 0.25
	touch_at b 2 1 1.5 1.5
	step 30 "the source to log 6 pointer positions" n_inputs 6
	for v in a1 a2 b; do
		p="${v}_pid"
		kill "${!p}"
		wait "${!p}"
		check "viewer $v stopped cleanly" test $? = 0
	done
	check "the bridge logged the new size" grep -q "stream: ${W2}x$H2 " "$tmp/bridge.log"
	for v in a1 a2; do
		check "viewer $v: the change, clean" python3 "$LC_SRC/tests/bridge/resize-check.py" \
			live "$tmp/$v.jsonl" "${W}x$H" "${W2}x$H2" $switch $last
	done
	check "viewer b (joined after the change): the new size only" \
		python3 "$LC_SRC/tests/bridge/resize-check.py" late "$tmp/b.jsonl" "${W}x$H" \
		"${W2}x$H2" $switch $last
	want="abs:320,180 abs:$((W - 1)),$((H - 1)) abs:400,225 abs:$((W2 - 1)),$((H2 - 1))"
	want="$want touch:400,112 touch:$((W2 - 1)),$((H2 - 1))"
	got="$(inputs)"
	check "input scaled and clamped to the size of the moment (want $want, got $got)" \
		test "$got" = "$want"
	check "no input the source would refuse" test "$(grep -c '"bad"' "$tmp/input.jsonl")" = 0
	;;
*)
	echo "unknown case $case"
	exit 2
	;;
esac
[ "$fail" = 0 ] || show_logs
exit "$fail"
