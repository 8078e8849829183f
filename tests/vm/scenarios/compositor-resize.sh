# vm-compositor-resize: a viewer's "fit to window" resizes the desktop.
# For each compositor named in LC_RESIZE_COMPOSITORS (default: sway mutter
# cage; the host hook takes the same names), in turn, on its own lease at
# 1920x1080: the pattern client runs full-screen (cage's app; a client of
# sway and Mutter); the host hook (compositor-resize-host.sh) starts the
# frame bridge and headless Chromium on the viewer page (control), which
# asks for 1280x720 (a WS Resize -> RESIZE_REQ -> the exporter's SetUIInfo).
# Here: the connector's preferred mode becomes 1280x720 (after a probe: the
# kernel does not re-read the modes on virtio-gpu's display change;
# lease-launch's probe for sway and Mutter, see preferred_follows), then
# what the compositor does, recorded as LC-LOG resize-NAME followed|kept:
# - sway 1.7 (wlroots 0.15 keeps the mode of a connector that stays
#   connected) is told through its IPC by lease-launch --on-preferred-mode
#   (SWAY_FOLLOW); its client is configured at 1280x720.
# - Mutter 43 re-reads KMS only on a udev hotplug event (none reaches a
#   lessee without udevd) or on resume: lease-launch
#   --resume-on-preferred-mode has the shim cycle the session's Active,
#   and Mutter configures the new preferred mode.
# - cage 0.1.4 keeps its size: wlroots 0.15 re-reads a connector's modes
#   only when it connects, and cage has no IPC or output management (see
#   doc/lease-launch.1); the case proves the stream and the page stay clean
#   at 1920x1080 after the resize was asked for.
# The host judges the stream (lc-subscribe-check: frames at 1280x720 after
# the resize, the first an IDR, no decode error; or, for cage, all at
# 1920x1080) and the page (a new StreamInit, the decoder reconfigured,
# every frame after it decoded, none of the wrong size; or, for cage, no
# new StreamInit and frames still decoding after the guest's mode changed).
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/compositor-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
read -r -a NAMES <<<"${LC_RESIZE_COMPOSITORS:-sway mutter cage}"
NEW_W=1280 NEW_H=720
WLR=(--wlroots --authmagic-lib "$LC_BUILD/compositor-module/libleasecast-authmagic.so")
APP_ENV=()
ldd "$pc_bin" | grep -q libasan && APP_ENV=(env -u LD_PRELOAD)
comp_sway_config /tmp/lc-sway.conf
# sway's nudge, as doc/lease-launch.1 gives it: lease-launch runs it when
# the lease's connector has a new preferred mode. A custom mode: wlroots 0.15
# keeps the mode list it read at start (no uevent re-read it), and sway 1.7
# replaces a mode not in that list by the stale preferred one ("Configured
# mode ... not available").
SWAY_FOLLOW='SWAYSOCK="$XDG_RUNTIME_DIR/sway-ipc.$(id -u).$LEASECAST_COMPOSITOR_PID.sock" swaymsg -- output "$LEASECAST_CONNECTOR" mode --custom "$LEASECAST_MODE"'

# The client's output: cage's app writes to cage's stdout (lease-launch's
# log), the others' to their own.
client_log() { if [ "$1" = cage ]; then echo "$LC_OUT/ll-cage.log"; else echo "$LC_OUT/client-$1.log"; fi; }

# What NAME does with a new preferred mode: follows (with lease-launch's
# nudge) or keeps its size (cage, see the header).
expect() { if [ "$1" = cage ]; then echo keeps; else echo follows; fi; }

launch() { # NAME
	local name="$1"
	case "$name" in
	sway) comp_launch sway any --helix-socket "$helix_sock" --size 1920x1080 "${WLR[@]}" \
		--mode-probe-ms 500 --on-preferred-mode "$SWAY_FOLLOW" -- sway -d -c /tmp/lc-sway.conf ;;
	cage) comp_launch cage any --helix-socket "$helix_sock" --size 1920x1080 "${WLR[@]}" \
		-- cage -- "${APP_ENV[@]}" "$pc_bin" --first 300 --count 4 --interval-ms 700 ;;
	mutter) comp_launch mutter any --helix-socket "$helix_sock" --size 1920x1080 --kill-grace-ms 60000 \
		--mode-probe-ms 500 --resume-on-preferred-mode -- mutter --wayland --display-server --no-x11 ;;
	esac || return 1
	CONN=$(sed -n 's/^connector=//p' "$COMP_RT/leasecast-stream")
	[ -n "$COMP_KEY" ] && [ -n "$CONN" ] || { echo "no key or connector from lease-launch"; return 1; }
	echo "$name on $CONN (scanout $COMP_SCANOUT)"
	if [ "$name" != cage ]; then
		comp_wait_socket "$name" 200 || return 1
		comp_client "$name" "$COMP_DISPLAY" 300 700 || return 1
	fi
	lc_wait_for "grep -q '^shown' '$(client_log "$name")' || ! kill -0 $LL_PID 2>/dev/null" 200
	grep -E '^configured|^shown' "$(client_log "$name")" | head -3
	grep -q "^shown 30[0-3] size=1920x1080" "$(client_log "$name")"
}

preferred() { head -1 "/sys/class/drm/card0-$CONN/modes"; }
client_configured() { grep -q "^configured ${NEW_W}x$NEW_H" "$(client_log "$1")"; }

# The page's Resize reached the guest: the connector's preferred mode.
preferred_follows() {
	local name="$1" t0
	lc_wait_signal "resize-sent-$name" 300 || { echo "the host never sent the resize"; return 1; }
	t0=$(date +%s%N)
	if [ "$(expect "$name")" = follows ]; then
		# virtio-gpu's display-change interrupt re-reads the display info
		# but only re-detects the connector's status
		# (drm_helper_hpd_irq_event): the mode list is refreshed by the
		# next full probe, which lease-launch's watch is (mode_watch.h).
		if lc_wait_for "[ \"\$(preferred)\" = ${NEW_W}x$NEW_H ]" 120; then
			echo "card0-$CONN: preferred mode ${NEW_W}x$NEW_H $(lc_ms_since "$t0") ms after the page's resize"
			grep -E 'preferred mode' "$LC_OUT/ll-$name.log" | tail -2
			return 0
		fi
		echo "lease-launch's probe did not find ${NEW_W}x$NEW_H within 120 s"
		grep 'preferred' "$LC_OUT/ll-$name.log"
		return 1
	fi
	# Nothing of cage's watches the connector: the test probes it (sysfs
	# "detect"), to show the mode cage is offered and keeps away from.
	lc_wait_for "lc_connector_probe $CONN; [ \"\$(preferred)\" = ${NEW_W}x$NEW_H ]" 120 ||
		{ echo "card0-$CONN modes: $(tr '\n' ' ' <"/sys/class/drm/card0-$CONN/modes")"; return 1; }
	echo "card0-$CONN: preferred mode ${NEW_W}x$NEW_H after a probe, $(lc_ms_since "$t0") ms after the page's resize"
}

# The compositor's output follows: the full-screen client is configured at
# the new size, through lease-launch's --on-preferred-mode (sway) or
# --resume-on-preferred-mode (Mutter).
compositor_follows() {
	local name="$1" t0
	t0=$(date +%s%N)
	if lc_wait_for "client_configured $name" 120; then
		echo "$name: client configured ${NEW_W}x$NEW_H $(lc_ms_since "$t0") ms after the new preferred mode"
		grep -E 'preferred mode|preferred-mode|inactive and active' "$LC_OUT/ll-$name.log" | tail -3
		lc_log "resize-$name followed"
		return 0
	fi
	echo "$name: the client is still at: $(grep '^configured' "$(client_log "$name")" | tail -1)"
	grep -E 'preferred mode|preferred-mode|mode' "$LC_OUT/ll-$name.log" | tail -5
	lc_log "resize-$name did-not-follow"
	return 1
}

# cage, once the host has seen the page decode on at the old size after the
# guest's mode changed: its client was never configured at another size.
compositor_keeps() {
	local name="$1"
	grep '^configured' "$(client_log "$name")"
	if grep '^configured' "$(client_log "$name")" | grep -vq '^configured 1920x1080$'; then
		lc_log "resize-$name changed-size"
		return 1
	fi
	lc_log "resize-$name kept"
}

stop() { # NAME
	local name="$1" rc
	if [ "$name" = cage ]; then # cage 0.1.4 aborts on SIGTERM; it ends with its app
		pkill -TERM -u "$comp_user" -f "$pc_bin"
	else
		kill -TERM "$CLIENT_PID" 2>/dev/null
		kill -TERM "$LL_PID"
	fi
	lc_wait_for "! kill -0 $LL_PID 2>/dev/null" 90
	wait "$LL_PID"
	rc=$?
	echo "lease-launch exited $rc"
	output_returns "$CONN" 20 off
}

lc_case user comp_setup_user || { lc_finish; exit 1; }
lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
for name in "${NAMES[@]}"; do
	command -v "$name" >/dev/null || { echo "$name is not installed"; lc_case "$name-installed" false; continue; }
	if ! lc_case "$name-up-at-1920x1080" launch "$name"; then
		lc_signal "up-$name" "fail"
		kill -TERM "$LL_PID" 2>/dev/null
		continue
	fi
	lc_signal "up-$name" "$COMP_SCANOUT $COMP_KEY $(expect "$name")"
	if [ "$(expect "$name")" = follows ]; then
		lc_case "$name-preferred-mode-follows" preferred_follows "$name"
		if lc_case "$name-output-follows" compositor_follows "$name"; then
			lc_signal "guest-resized-$name" followed
		else
			lc_signal "guest-resized-$name" failed
		fi
		cases=(stream-at-new-size page-new-stream-init page-clean-after-resize)
	else
		if lc_case "$name-preferred-mode-follows" preferred_follows "$name"; then
			lc_signal "guest-resized-$name" kept
		else
			lc_signal "guest-resized-$name" failed
		fi
		cases=(stream-keeps-size page-keeps-stream page-clean-after-resize)
	fi
	lc_wait_signal "host-done-$name" 400 || echo "the host hook never finished with $name"
	cat "$LC_OUT/host-results.txt" 2>/dev/null
	[ "$(expect "$name")" = keeps ] && lc_case "$name-keeps-size" compositor_keeps "$name"
	for c in "${cases[@]}"; do
		lc_case "$name-$c" comp_host_case "$name-$c"
	done
	lc_case "$name-stops" stop "$name"
done
lc_finish
