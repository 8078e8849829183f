# frames-share: how many of the guest's page flips reach a subscriber as
# encoded frames, at 30 and 60 flips/s and unpaced, with full-screen 1080p
# change; and the guest's achieved flip rate. Run twice: with the exporter
# (vm-frames-share: a subscriber decodes every frame and identifies its
# pattern) and without (vm-frames-share-noexp: QEMU's D-Bus display with no
# listener registered), to show the exporter does not slow the guest. The
# output is Virtual-2, driven as DRM master (no broker); the host hook
# (frames-share-host.sh) turns it on at 1920x1080 and runs the subscribers.
# Figures: $LC_OUT/share.txt.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"

mode=none
[ -n "${LC_EXPORTER_ADDR:-}" ] && mode=exporter
runs="30:150:0 60:300:1000 0:300:2000" # fps:flips:first pattern

output_on() {
	lc_wait_signal enabled 60 || { echo "the host never turned Virtual-2 on"; return 1; }
	lc_wait_for "lc_connector_probe Virtual-2; lc_sysfs_connected Virtual-2" 20
}

one_run() { # FPS FLIPS FIRST
	local fps="$1" n="$2" first="$3" log="$LC_OUT/flip-$1.log"
	lc_bg "flip-$fps" "$flip_bin" --card /dev/dri/card0 --connector Virtual-2 --size 1920x1080 \
		--count "$n" --first "$first" --fps "$fps" --go-file "$LC_OUT/.signal-go-$fps" --hold-ms 1500
	local pid=$LC_BG_PID
	flip_wait_modeset "$log" "$pid" 30 || return 1
	lc_signal "modeset-$fps"
	lc_wait_for "grep -q '^flip' '$log' || ! kill -0 $pid 2>/dev/null" 60
	grep '^flip' "$log"
	wait "$pid"
	lc_wait_signal "host-$fps" 60 || { echo "the host did not finish run $fps"; return 1; }
	grep -q "^flip-result mode=patterns flips=$n " "$log" || return 1
	local got
	got="$(sed -n 's/^flip-result .* fps=\([0-9.]*\) .*/\1/p' "$log")"
	local waits
	waits="$(sed -n 's/^flip-result .* host_waits=\([0-9]*\) host_wait_ms=\([0-9.]*\).*/host_waits=\1 host_wait_ms=\2/p' "$log")"
	echo "mode=$mode target_fps=$fps guest_fps=$got $waits $(lc_signal_content "host-$fps")" >>"$LC_OUT/share.txt"
	[[ "$(lc_signal_content "host-$fps")" != "${mode}-fail"* ]]
}

: >"$LC_OUT/share.txt"
lc_case output-on output_on || { lc_finish; exit 1; }
for r in $runs; do
	IFS=: read -r fps n first <<<"$r"
	lc_case "flips-$fps-${mode}" one_run "$fps" "$n" "$first"
done
cat "$LC_OUT/share.txt"
lc_finish
