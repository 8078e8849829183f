# bridge-viewer: the frame bridge end to end with a real browser. A lease
# holder in the guest (lc-pattern-flip, lease from the broker over the
# Helix socket) page-flips 45 known patterns at 1920x1080 and then holds
# the last one; on the host (bridge-viewer-host.sh) leasecast-frame-bridge
# subscribes to that scanout at the exporter with its stream key, and
# headless Chromium runs the viewer page (WebCodecs): a first viewer
# watches the flips, a second one joins on the static screen, and each
# reports what it decoded and what its canvas shows. A bridge with a wrong
# key exits 2 with the refusal in its log.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
mkdir -p /run/helix-drm /run/leasecast

holder() {
	lc_bg flipper "$flip_bin" --socket "$helix_sock" --size 1920x1080 --first 4660 --count 45 \
		--fps 15 --go-file "$LC_OUT/.signal-go" --hold-file "$LC_OUT/.signal-host-done"
	flip_wait_modeset "$LC_OUT/flipper.log" "$LC_BG_PID" 60 || return 1
	cat "$LC_OUT/flipper.log"
	lc_signal leased "$FLIP_SCANOUT"
}
flips_done() {
	lc_wait_for "grep -q '^flip-result\|^flip error' '$LC_OUT/flipper.log'" 90
	grep '^flip' "$LC_OUT/flipper.log"
	grep -q '^flip-result mode=patterns flips=45 ' "$LC_OUT/flipper.log"
}
host_case() { grep -q "^$1 pass" "$LC_OUT/host-results.txt"; }

lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
lc_case lease-and-modeset holder || { lc_finish; exit 1; }
lc_case guest-flips flips_done
lc_wait_signal host-done 150 || echo "the host hook never finished"
cat "$LC_OUT/host-results.txt" 2>/dev/null
lc_case bridge-subscribed host_case bridge-up
lc_case viewer1-decodes-flips host_case viewer1
lc_case viewer2-joins-late-on-keyframe host_case viewer2
lc_case wrong-key-bridge-exits host_case wrong-key
lc_finish
