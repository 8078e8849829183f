# frames-patterns: the frame plane end to end. A lease holder in the guest
# (lc-pattern-flip, lease from the broker over the Helix socket) page-flips
# 60 known patterns at 1920x1080 and 30 flips/s; the host hook
# (frames-patterns-host.sh) subscribes with a stream key, decodes the H.264
# and checks patterns, order and PSNR; then, on the now static screen, a
# late subscriber (first frame an IDR, no frames for 3 s, KEYFRAME_REQ
# answered by an IDR), and a wrong key refused. A subscriber that stalls
# during the flips (loses frames) is resynchronised by an IDR once it
# reads again, on the static screen.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
mkdir -p /run/helix-drm /run/leasecast

holder() {
	lc_bg flipper "$flip_bin" --socket "$helix_sock" --size 1920x1080 --count 60 --fps 30 \
		--go-file "$LC_OUT/.signal-go" --hold-file "$LC_OUT/.signal-host-done"
	flip_wait_modeset "$LC_OUT/flipper.log" "$LC_BG_PID" 60 || return 1
	cat "$LC_OUT/flipper.log"
	lc_signal leased "$FLIP_SCANOUT"
}

flips_done() {
	lc_wait_for "grep -q '^flip-result\|^flip error' '$LC_OUT/flipper.log'" 180
	grep '^flip' "$LC_OUT/flipper.log"
	grep -q '^flip-result mode=patterns flips=60 ' "$LC_OUT/flipper.log"
}

host_case() { # NAME : the host hook's verdict for NAME
	grep -q "^$1 pass" "$LC_OUT/host-results.txt"
}

lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
lc_case lease-and-modeset holder || { lc_finish; exit 1; }
lc_case guest-flips flips_done
lc_wait_signal host-done 120 || echo "the host hook never finished"
cat "$LC_OUT/host-results.txt" 2>/dev/null
lc_case patterns-decoded-in-order host_case patterns
lc_case exporter-stats host_case exporter-stats
lc_case unsubscribed-damage-untimed host_case unsubscribed-damage-untimed
lc_case stalled-subscriber-resynced host_case stall-resync
lc_case static-screen-no-frames host_case static
lc_case late-subscriber-idr host_case late-idr
lc_case keyframe-req-idr host_case keyframe-req
lc_case wrong-key-refused host_case wrong-key
lc_case right-key-still-works host_case right-key-after
lc_finish
