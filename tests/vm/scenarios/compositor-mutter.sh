# vm-compositor-mutter: unmodified Mutter 43 (Debian 12) on a DRM lease
# through lease-launch (wp_drm_lease_v1) + the logind shim, as an
# unprivileged user. The host hook (compositor-mutter-host.sh) decodes the
# exporter's stream of the leased scanout: Mutter's own picture (not
# black), then a client's known patterns full-screen. Then: kill -9 of
# Mutter gives the output back and lease-launch exits 137; a lease ended
# by the broker (its shutdown) ends Mutter and lease-launch. Input: the
# host hook types, clicks and scrolls in the viewer page of the leased
# scanout (headless Chromium, the bridge, the exporter; browser-input.py); Mutter's libinput gets the output's virtio keyboard and tablet
# from the shim's TakeDevice (--input-fd), and an input client reports
# every event.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/compositor-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
command -v mutter >/dev/null || { echo "mutter is not installed (scripts/install-deps.sh)"; exit 1; }
MUTTER=(mutter --wayland --display-server --no-x11)
# Mutter with llvmpipe under TCG takes 1-2 s to exit on SIGTERM on a quiet
# host and more than lease-launch's default 5 s kill grace on a loaded one:
# the cases below want its own clean exit, so the grace is a ceiling here.
MUTTER_LL=(--kill-grace-ms 60000)

launch_mutter() {
	comp_launch mutter Virtual-2 "${MUTTER_LL[@]}" -- "${MUTTER[@]}" || return 1
	[ "$COMP_SCANOUT" = 1 ] || { echo "scanout $COMP_SCANOUT, expected 1"; return 1; }
	st "o['Virtual-2']['leased_by'] is not None" || return 1
}


# Keys, a click and the wheel from the host reach a client in Mutter.
mutter_input() {
	comp_input_client mutter-input "$COMP_DISPLAY" || return 1
	grep -E 'took device 13:' "$LC_OUT/ll-mutter.log" | head -4
	comp_input_test mutter-input
}

revoke_ends_mutter() {
	rm -f "$COMP_RT"/wayland-* # the SIGKILLed Mutter's socket and lock
	comp_launch mutter2 Virtual-2 "${MUTTER_LL[@]}" -- "${MUTTER[@]}" || return 1
	comp_wait_socket mutter2 120 || return 1
	# Mutter's socket comes before its main loop: a SIGTERM in between is
	# fatal (status 143, seen on a fast start). A client's first frame
	# means it serves; then the lease ends.
	comp_client mutter2 "$COMP_DISPLAY" 100 3000 || return 1
	kill -TERM "$CLIENT_PID"
	lc_wait_for "! kill -0 $CLIENT_PID 2>/dev/null" 30
	comp_broker_shutdown_ends mutter mutter2 && [ "$COMP_RC" = 0 ]
}

lc_case user comp_setup_user || { lc_finish; exit 1; }
lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
lc_case mutter-lease-launch launch_mutter || { lc_finish; exit 1; }
lc_case bridge-files comp_files_ok 1 Virtual-2
# Only the shim keeps the lease fd; lease-launch itself holds no DRM fd.
lc_case launcher-holds-no-drm-fd bash -c "! ls -l /proc/$LL_PID/fd | grep -q /dev/dri"
lc_case mutter-wayland-socket comp_wait_socket mutter 150 || { lc_signal stop-watch-mutter; lc_finish; exit 1; }
grep -E 'Added device|modesett|GPU|Failed|CRITICAL' "$LC_OUT/ll-mutter.log" | head -10
lc_signal mutter-up
lc_wait_signal host-bg 300 || echo "host never checked the background"
lc_case pattern-client comp_client mutter "$COMP_DISPLAY" 100 3000
comp_client_until_seen mutter 400
lc_signal stop-watch-mutter
lc_wait_signal host-done 120 || echo "the host hook never finished"
cat "$LC_OUT/host-results.txt" 2>/dev/null
lc_case mutter-modesets-not-black comp_host_case mutter-not-black
lc_case client-pattern-in-stream comp_host_case mutter-patterns
lc_case input-reaches-client mutter_input
kill -TERM "$INPUT_CLIENT_PID" 2>/dev/null
lc_wait_for "! kill -0 $INPUT_CLIENT_PID 2>/dev/null" 30
lc_case kill9-output-back comp_kill9_gives_back mutter Virtual-2
# The broker is stopped here: an external end of the lease.
lc_case revoke-ends-mutter revoke_ends_mutter
lc_finish
