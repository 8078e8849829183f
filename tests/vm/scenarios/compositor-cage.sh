# vm-compositor-cage: unmodified cage 0.1.4 (wlroots 0.15, Debian 12) on a
# DRM lease through lease-launch --wlroots + the logind shim, as an
# unprivileged user, leasing over wp_drm_lease_v1 (vm-compositor-sway covers
# the Helix socket). cage is a kiosk: its one application is our pattern
# client (`cage -- lc-wl-pattern-client ...`), so the client starts with the
# compositor and cage ends when the client does. As for sway, wlroots
# reopens the card for its allocator and calls drmAuthMagic on the lease
# fd; lease-launch's preloaded wrapper forwards the magic to the broker
# (leasecast_lease_info_v1.authenticate_magic). The host hook
# (compositor-cage-host.sh) decodes the leased scanout's stream and wants
# the client's patterns. Then: kill -9 of cage gives the output back, so
# does the app's exit (cage exits with it) and a SIGTERM (on which cage
# 0.1.4 aborts: see sigterm_aborts_cage); a lease ended by the broker (its
# shutdown) ends cage and lease-launch: that last cage's app is the input
# client, and the host hook types, clicks and scrolls in the viewer page
# of the leased scanout first (headless Chromium, the bridge, the exporter;
# browser-input.py) (the output's virtio keyboard and tablet
# reach cage's libinput through the shim's TakeDevice, --input-fd).
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/compositor-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
command -v cage >/dev/null || { echo "cage is not installed (scripts/install-deps.sh)"; exit 1; }
CAGE_CONN=Virtual-2
WRAP=(--wlroots --authmagic-lib "$LC_BUILD/compositor-module/libleasecast-authmagic.so")
# cage's app: the pattern client, for DURATION_MS after it first drew
# (cage exits with it).
# The app inherits cage's environment, LD_PRELOAD of the wrapper included
# (harmless: it only wraps drmAuthMagic); an ASan-built client refuses a
# preload ahead of its runtime, so there it runs without it.
APP_ENV=()
ldd "$pc_bin" | grep -q libasan && APP_ENV=(env -u LD_PRELOAD)
cage_cmd() { echo cage -- "${APP_ENV[@]}" "$pc_bin" --first 300 --count 4 --interval-ms 700 --duration-ms "$1"; }

# Without the wrapper, wlroots stops where it stops for sway: its
# allocator's drmAuthMagic on the lease fd fails, cage exits 1 before it
# runs its app, and lease-launch exits with that status and gives the
# output back.
without_wrapper() {
	local rc
	# shellcheck disable=SC2046
	comp_launch cage-nowrap "$CAGE_CONN" --wlroots --authmagic-lib /nonexistent/none.so \
		-- $(cage_cmd 5000) || return 1
	lc_wait_for "! kill -0 $LL_PID 2>/dev/null" 60
	wait "$LL_PID"
	rc=$?
	grep -E 'drmAuthMagic failed|Failed to create allocator|Unable to create the wlroots backend|shown' \
		"$LC_OUT/ll-cage-nowrap.log"
	echo "lease-launch exited $rc"
	[ "$rc" = 1 ] && grep -q 'drmAuthMagic failed: Invalid argument' "$LC_OUT/ll-cage-nowrap.log" &&
		! grep -q '^shown' "$LC_OUT/ll-cage-nowrap.log" &&
		output_returns "$CAGE_CONN" 10 off
}

# The guest's side of launch-to-first-frame (the host's is in
# analysis-cage.json): launch to the app's first buffer, in 50 ms polls.
first_shown_ms() {
	lc_wait_for "grep -q '^shown' '$LC_OUT/ll-cage.log' 2>/dev/null" 120 && lc_ms_since "$1"
}

launch_cage() {
	lc_bg cage-first-shown first_shown_ms "$(date +%s%N)"
	# shellcheck disable=SC2046
	comp_launch cage "$CAGE_CONN" --size 1920x1080 "${WRAP[@]}" -- $(cage_cmd 600000) || return 1
	[ "$COMP_SCANOUT" = 1 ] || { echo "scanout $COMP_SCANOUT, expected 1"; return 1; }
	[ -n "$COMP_KEY" ] || { echo "no stream key from the broker"; return 1; }
	st "o['$CAGE_CONN']['leased_by'] is not None" || return 1
}

# cage's app connected and drew: it printed "shown" (its stdout is cage's,
# in lease-launch's log).
cage_app_shows() {
	lc_wait_for "grep -q '^shown' '$LC_OUT/ll-cage.log' || ! kill -0 $LL_PID 2>/dev/null" 120
	grep -q '^shown' "$LC_OUT/ll-cage.log" || {
		echo "the app never drew:"
		grep -E 'ERROR|error|fail|DRM|lease|authmagic|configured' "$LC_OUT/ll-cage.log" | head -40
		return 1
	}
	echo "first pattern shown $(cat "$LC_OUT/cage-first-shown.log") ms after the launch"
	grep -E '^configured|^shown' "$LC_OUT/ll-cage.log"
	grep -q '^configured 1920x1080' "$LC_OUT/ll-cage.log" || { echo "the app is not full-screen"; return 1; }
}

authmagic_forwarded() {
	grep -q 'broker: drmAuthMagic([0-9]*) ok' "$LC_OUT/ll-cage.log"
}

kill9_gives_back() {
	comp_kill9_gives_back cage "$CAGE_CONN" || return 1
	# The app loses its display with cage.
	lc_wait_for "! pgrep -u $comp_user -f lc-wl-pattern-client >/dev/null" 10 || { echo "cage's app left behind"; return 1; }
}

# A kiosk's life is its app's: the app exits 0, cage exits 0, lease-launch
# exits 0 and the output is back.
app_exit_ends_cage() {
	local rc
	rm -f "$COMP_RT"/wayland-* # the SIGKILLed cage's socket and lock
	# shellcheck disable=SC2046
	comp_launch cage-appexit "$CAGE_CONN" "${WRAP[@]}" -- $(cage_cmd 2500) || return 1
	lc_wait_for "! kill -0 $LL_PID 2>/dev/null" 60 || { echo "lease-launch still running"; return 1; }
	wait "$LL_PID"
	rc=$?
	grep -E '^shown|^done|exited|done: exit status' "$LC_OUT/ll-cage-appexit.log"
	echo "lease-launch exited $rc after cage's app did"
	[ "$rc" = 0 ] && grep -q '^shown' "$LC_OUT/ll-cage-appexit.log" && output_returns "$CAGE_CONN" 10 off
}

# cage 0.1.4 (Debian 12) aborts on SIGTERM and SIGINT whatever it runs on:
# it registers its signal handler with &server.wl_display where the handler
# wants the wl_display itself, so wl_display_terminate writes its eventfd
# through a garbage struct (EBADF) and libwayland's assertion fires
# (upstream cage-kiosk/cage#339, fixed by #354 in 2024, after 0.1.4). Pinned
# here: lease-launch forwards the SIGTERM, reports SIGABRT (134), and the
# broker still takes the output back.
sigterm_aborts_cage() {
	local rc log="$LC_OUT/ll-cage-term.log"
	rm -f "$COMP_RT"/wayland-*
	# shellcheck disable=SC2046
	comp_launch cage-term "$CAGE_CONN" "${WRAP[@]}" -- $(cage_cmd 120000) || return 1
	lc_wait_for "grep -q '^shown' '$log' || ! kill -0 $LL_PID 2>/dev/null" 120
	grep -q '^shown' "$log" || { echo "cage's app never drew"; return 1; }
	kill -TERM "$LL_PID" # forwarded to cage
	wait "$LL_PID"
	rc=$?
	grep -E 'Assertion|killed by signal|done: exit status' "$log"
	echo "lease-launch exited $rc after SIGTERM"
	[ "$rc" = 134 ] && grep -q "wl_display_terminate: Assertion .ret >= 0 || errno == EAGAIN' failed" "$log" &&
		output_returns "$CAGE_CONN" 10 off
}

# cage's app is the input client (repainting on each key press): keys, a
# click and the wheel from the host reach it.
cage_input() {
	rm -f "$COMP_RT"/wayland-* /tmp/lc-input-cage2.jsonl # the aborted cage's socket and lock
	comp_launch cage2 "$CAGE_CONN" "${WRAP[@]}" -- cage -- "${APP_ENV[@]}" "$ic_bin" \
		--out /tmp/lc-input-cage2.jsonl --redraw-on-key || return 1
	comp_input_ready cage2 || return 1
	grep -E 'took device 13:|^configured|^ready' "$LC_OUT/ll-cage2.log" | head -6
	comp_input_test cage2 --redraw
}

revoke_ends_cage() {
	kill -0 "$LL_PID" 2>/dev/null || { echo "the second cage is not running"; return 1; }
	comp_broker_shutdown_ends cage cage2 || return 1
	lc_wait_for "! pgrep -u $comp_user -f lc-wl-input-client >/dev/null" 10 || { echo "cage's app still running"; return 1; }
	# lease-launch ends cage with SIGTERM after its grace: 134 is cage's
	# abort above, nothing else.
	[ "$COMP_RC" = 0 ] || { [ "$COMP_RC" = 134 ] && grep -q 'wl_display_terminate: Assertion' "$LC_OUT/ll-cage2.log"; }
}

lc_case user comp_setup_user || { lc_finish; exit 1; }
lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
lc_case cage-fails-without-wrapper without_wrapper
lc_case cage-lease-launch launch_cage || { lc_signal cage-up; lc_signal stop-watch-cage; lc_finish; exit 1; }
lc_case bridge-files comp_files_ok "$COMP_SCANOUT" "$CAGE_CONN"
lc_case cage-app-shows cage_app_shows || { lc_signal cage-up; lc_signal stop-watch-cage; lc_finish; exit 1; }
lc_case magic-authenticated-by-broker authmagic_forwarded
lc_signal cage-up
# The app runs until the host has decoded every one of its patterns.
lc_wait_signal patterns-seen-cage 400 || echo "the host did not see all of cage's patterns within 400 s"
lc_signal stop-watch-cage
lc_wait_signal host-done 120 || echo "the host hook never finished"
cat "$LC_OUT/host-results.txt" 2>/dev/null
lc_case cage-modesets-not-black comp_host_case cage-not-black
lc_case client-pattern-in-stream comp_host_case cage-patterns
lc_case kill9-output-back kill9_gives_back
lc_case app-exit-ends-cage app_exit_ends_cage
lc_case sigterm-aborts-cage-output-back sigterm_aborts_cage
lc_case input-reaches-client cage_input
# The broker is stopped here: an external end of the lease.
lc_case revoke-ends-cage revoke_ends_cage
lc_finish
