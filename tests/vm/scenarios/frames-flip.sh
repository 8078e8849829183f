# vm-frames-flip: the exporter's frame plane against a real guest. The
# guest program lc-solid-flip is DRM master of card0 (no broker) and
# modesets Virtual-2 with a solid colour once the host has enabled scanout
# 1; frames-flip-host.sh subscribes with a stream key and checks the
# stream (first frame an IDR with SPS/PPS, a static screen costs zero
# frames, KEYFRAME_REQ, wrong key refused, a non-reading subscriber does
# not stall a reading one) while the guest flips between two colours.
. "$LC_SRC/tests/vm/lib.sh"
FLIPS=60

run_flipper() {
	lc_wait_signal enabled 60 || { echo "host never enabled scanout 1"; return 1; }
	lc_bg flipper "$LC_BUILD/tests/host/lc-solid-flip" --card /dev/dri/card0 \
		--connector Virtual-2 --flips "$FLIPS" --interval-ms 20 \
		--ready-file "$LC_OUT/.signal-shown" --go-file "$LC_OUT/.signal-go" \
		--stop-file "$LC_OUT/.signal-stop"
	flipper=$LC_BG_PID
	lc_wait_signal shown 40 || { cat "$LC_OUT/flipper.log"; return 1; }
	cat "$LC_OUT/flipper.log"
}

flips_done() {
	lc_wait_signal go 120 || { echo "host never said go"; return 1; }
	lc_wait_for "grep -q '^FLIPS' '$LC_OUT/flipper.log'" 120 || { cat "$LC_OUT/flipper.log"; return 1; }
	grep '^FLIPS' "$LC_OUT/flipper.log"
	lc_signal flipped "$(grep '^FLIPS' "$LC_OUT/flipper.log")"
	grep -q "^FLIPS $FLIPS " "$LC_OUT/flipper.log"
}

host_checks() {
	lc_wait_signal host-done 180 || { echo "host checks did not finish"; return 1; }
	local failed
	failed="$(lc_signal_content host-done)"
	echo "host checks: ${failed:-all passed}"
	[ -z "$failed" ]
}

lc_case modeset-virtual-2 run_flipper
lc_case flips flips_done
lc_case host-stream-checks host_checks
lc_signal stop
wait "$flipper" 2>/dev/null
lc_finish
