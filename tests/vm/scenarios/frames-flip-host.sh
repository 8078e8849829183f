# Host side of vm-frames-flip: enables scanout 1 over authenticated HXFR,
# gets its stream key, and checks the exporter's stream with hxfr-probe.
# Results go back to the guest as the content of the host-done signal.
. "$LC_SRC/tests/vm/lib.sh"
PROBE="$LC_BUILD/tests/host/hxfr-probe"
ADDR="127.0.0.1:$LC_EXPORTER_PORT"
CTL="$LC_TMP/control-key"
K="$LC_TMP/k1"
failed=""
check() { # NAME CMD...
	local name=$1
	shift
	if "$@" >"$LC_OUT/host-$name.log" 2>&1; then
		echo "host check $name: PASS"
	else
		echo "host check $name: FAIL"
		sed 's/^/  /' "$LC_OUT/host-$name.log"
		failed="$failed $name"
	fi
}

"$PROBE" "$ADDR" --key "$CTL" enable 1 1920 1080 1 || exit 1
"$PROBE" "$ADDR" --key "$CTL" stream-key 1 "$K" || exit 1
lc_signal enabled
lc_wait_signal shown 60 || { lc_signal host-done "guest-never-showed"; exit 1; }
sleep 1 # let the modeset's updates settle

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LC_TMP/kbad"
check wrong-key "$PROBE" "$ADDR" subscribe 1 --stream-key "$LC_TMP/kbad" --expect-refused 9
check unkeyed "$PROBE" "$ADDR" subscribe 1 --expect-refused 5
# First frame an IDR with SPS/PPS at once; then a static screen: nothing.
check static "$PROBE" "$ADDR" subscribe 1 --stream-key "$K" --duration-ms 3000 --max-frames 1
check keyframe-req "$PROBE" "$ADDR" subscribe 1 --stream-key "$K" --frames 2 \
	--keyframe-req-at 0 --duration-ms 10000

# While the guest flips: one subscriber that never reads, one that does.
"$PROBE" "$ADDR" subscribe 1 --stream-key "$K" --no-read --duration-ms 40000 \
	>"$LC_OUT/host-noread.log" 2>&1 &
noread=$!
"$PROBE" "$ADDR" subscribe 1 --stream-key "$K" --cursor --duration-ms 30000 --min-frames 5 \
	--ready-file "$LC_TMP/reader-ready" >"$LC_OUT/host-reader.log" 2>&1 &
reader=$!
lc_wait_for "[ -e '$LC_TMP/reader-ready' ]" 10
t0=$(date +%s%N)
lc_signal go
lc_wait_signal flipped 120
echo "guest: $(lc_signal_content flipped)"
sleep 2 # the tail of the stream drains
kill -TERM "$reader" 2>/dev/null # it has what it needs; SIGTERM is not a failure here
wait "$reader"
frames=$(grep -c '^FRAME' "$LC_OUT/host-reader.log")
idrs=$(grep -c '^FRAME.*key=1' "$LC_OUT/host-reader.log")
flips=$(lc_signal_content flipped | awk '{ print $2 }')
echo "reader got $frames frames ($idrs IDR) for ${flips:-?} guest flips in $((($(date +%s%N) - t0) / 1000000)) ms"
# At guest rate (release build) it is about one frame per flip; under
# ASan on two shared cores QEMU drops most pictures before the exporter
# reads them, so the floor only proves the reader was never stalled.
[ "${frames:-0}" -ge 5 ] || failed="$failed reader-starved"
head -n 3 "$LC_OUT/host-reader.log"
kill "$noread" 2>/dev/null
wait "$noread" 2>/dev/null
lc_signal host-done "$failed"
[ -z "$failed" ]
