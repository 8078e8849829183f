# Host side of vm-bridge-viewer (see bridge-viewer.sh): the bridge on the
# host against the rig's exporter, headless Chromium on its viewer page.
# Verdicts go to $LC_OUT/host-results.txt ("NAME pass|fail"); the viewers'
# reports to $LC_OUT/reports.jsonl, logs to $LC_OUT/bridge*.log, chrome*.log.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"
. "$LC_SRC/tests/bridge/bridge-lib.sh"
res="$LC_OUT/host-results.txt"
: >"$res"
bridge_bin="$LC_BUILD/compositor-module/leasecast-frame-bridge"
www="$LC_SRC/compositor-module/frame-bridge/www"
verdict() { # NAME CMD...
	local n="$1"
	shift
	if "$@"; then echo "$n pass" >>"$res"; else echo "$n fail" >>"$res"; fi
}
chrome1="" chrome2="" bridge=""
finish() {
	[ -n "$chrome1" ] && bridge_chromium_stop "$chrome1"
	[ -n "$chrome2" ] && bridge_chromium_stop "$chrome2"
	[ -n "$bridge" ] && kill "$bridge" 2>/dev/null
	lc_signal host-done
	exit "$(grep -c ' fail$' "$res")"
}
free_port() { "$LC_SRC/tests/lc-free-port"; }  # below the ephemeral range: see the script

lc_wait_signal leased 90 || { echo "no lease in the guest"; echo "lease fail" >>"$res"; finish; }
scanout="$(lc_signal_content leased)"
key="$(sc_key "$scanout")" || { echo "no stream key"; echo "key fail" >>"$res"; finish; }
printf '%s\n' "$key" >"$LC_TMP/stream-key"
chmod 600 "$LC_TMP/stream-key"
port="$(free_port)"
rm -f "$LC_OUT/reports.jsonl"
"$bridge_bin" --exporter "$(sc_addr)" --scanout "$scanout" --key-file "$LC_TMP/stream-key" \
	--listen "127.0.0.1:$port" --www "$www" --test-report "$LC_OUT/reports.jsonl" \
	>"$LC_OUT/bridge.log" 2>&1 &
bridge=$!
verdict bridge-up lc_wait_for "grep -q 'subscribed to scanout' '$LC_OUT/bridge.log'" 20
W=1920 H=1080 LAST=$((4660 + 44))
url="http://127.0.0.1:$port/?report=1&hw=prefer-software&timeout=90&points=$(bridge_points $W $H)"
chrome1="$(bridge_chromium "$url&frames=20&settle=3000" "$LC_TMP/ud1" "$LC_OUT/chrome1.log")"
lc_wait_for "grep -q 'viewer 1 joined' '$LC_OUT/bridge.log'" 120 || echo "viewer 1 did not join within 120 s"
sleep 2 # the page has the idle picture's keyframe and its decoder configured
lc_signal go
bridge_wait_reports "$LC_OUT/reports.jsonl" 1 100
verdict viewer1 bridge_check_report "$LC_OUT/reports.jsonl" 1 "$LAST" $W $H 20
bridge_chromium_stop "$chrome1"
chrome1=""
chrome2="$(bridge_chromium "$url&frames=1&settle=2000" "$LC_TMP/ud2" "$LC_OUT/chrome2.log")"
bridge_wait_reports "$LC_OUT/reports.jsonl" 2 60
verdict viewer2 bridge_check_report "$LC_OUT/reports.jsonl" 2 "$LAST" $W $H 1
bridge_chromium_stop "$chrome2"
chrome2=""

wrong="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
timeout 30 "$bridge_bin" --exporter "$(sc_addr)" --scanout "$scanout" --key "$wrong" \
	--listen "127.0.0.1:$(free_port)" --www "$www" >"$LC_OUT/bridge-wrongkey.log" 2>&1
rc=$?
cat "$LC_OUT/bridge-wrongkey.log"
verdict wrong-key test "$rc" = 2 -a -n "$(grep 'exporter refused the stream key' "$LC_OUT/bridge-wrongkey.log")"
tail -20 "$LC_OUT/bridge.log"
cat "$res"
finish
