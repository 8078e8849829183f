# frames-bench: the exporter's side of bench/frames-bench.sh. The guest
# drives Virtual-2 at 1920x1080 as DRM master, 60 updates/s for 6 s, first
# with full-screen motion (page flips of consecutive patterns), then with
# small damage (a 256x64 bar, DIRTYFB); the host hook (frames-bench-host.sh)
# subscribes and measures. Figures: $LC_OUT/bench.jsonl.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
run() { # MODE
	local log="$LC_OUT/flip-$1.log"
	lc_bg "flip-$1" "$flip_bin" --card /dev/dri/card0 --connector Virtual-2 --size 1920x1080 \
		--mode "$1" --fps 60 --duration 6 --go-file "$LC_OUT/.signal-go-$1" --hold-ms 1500
	local pid=$LC_BG_PID
	flip_wait_modeset "$log" "$pid" 30 || return 1
	lc_signal "modeset-$1"
	lc_wait_for "grep -q '^flip' '$log' || ! kill -0 $pid 2>/dev/null" 60
	grep '^flip' "$log"
	wait "$pid"
	lc_wait_signal "host-$1" 60 || return 1
	grep -q "^flip-result mode=$1 " "$log" && [ "$(lc_signal_content "host-$1")" = pass ]
}
lc_wait_signal enabled 60 || { echo "the host never turned Virtual-2 on"; exit 1; }
lc_wait_for "lc_connector_probe Virtual-2; lc_sysfs_connected Virtual-2" 20
lc_case bench-motion run motion
lc_case bench-small-damage run small-damage
lc_finish
