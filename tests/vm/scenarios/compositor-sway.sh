# vm-compositor-sway: unmodified sway 1.7 (wlroots 0.15, Debian 12) on a DRM
# lease through lease-launch --wlroots + the logind shim, as an
# unprivileged user. On virtio-gpu without 3D wlroots renders with pixman
# into dumb buffers, reopens the card for its allocator and calls
# drmAuthMagic on the lease fd, which a lessee cannot answer: lease-launch's
# preloaded wrapper forwards the magic to the broker (leasecast_lease_v1
# authenticate_magic; here over the Helix socket: AUTH_MAGIC), the card's
# master. This scenario leases through the Helix socket (the broker picks
# the output; the stream key comes from STATUS); vm-compositor-two covers
# sway over wp_drm_lease_v1. The host hook decodes the leased scanout's
# stream: sway's background, then the client's patterns. Then input: the
# host hook types, clicks and scrolls in the viewer page of the leased
# scanout (headless Chromium, the bridge, the exporter; browser-input.py); the output's virtio keyboard and tablet reach sway's
# libinput through the shim's TakeDevice (--input-fd) and an input client
# reports every event (text in order, the click at its point, the wheel).
# Then the same input as Helix's web client sends it: a client that
# behaves as Helix's (tests/browser/helix-client.html, helix-input.py) on
# the bridge's tokenless Helix endpoint, after Helix's handshake and with
# its 29-byte Pongs checked on this real stream.
# First, the shim's --input-fd test on real virtio-input devices (those of
# scanout 15, which nothing leases here).
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/compositor-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
command -v sway >/dev/null || { echo "sway is not installed (scripts/install-deps.sh)"; exit 1; }
comp_sway_config /tmp/lc-sway.conf

launch_sway() {
	comp_launch sway any --helix-socket "$helix_sock" --size 1920x1080 --wlroots \
		--authmagic-lib "$LC_BUILD/compositor-module/libleasecast-authmagic.so" \
		-- sway -d -c /tmp/lc-sway.conf || return 1
	SWAY_CONN=$(sed -n 's/^connector=//p' "$COMP_RT/leasecast-stream")
	[ -n "$COMP_KEY" ] || { echo "no stream key from the broker's STATUS"; return 1; }
	[ "$SWAY_CONN" = "Virtual-$((COMP_SCANOUT + 1))" ] || { echo "connector $SWAY_CONN, scanout $COMP_SCANOUT"; return 1; }
}

# Without the wrapper, exactly where wlroots 0.15 stops on a lease: its
# allocator's drmAuthMagic on the lease fd fails, sway exits 1, and
# lease-launch exits with that status and gives the output back.
without_wrapper() {
	local rc conn
	comp_launch sway-nowrap any --helix-socket "$helix_sock" --wlroots --authmagic-lib /nonexistent/none.so \
		-- sway -d -c /tmp/lc-sway.conf || return 1
	conn=$(grep -o 'connector=[^ ]*' "$LC_OUT/ll-sway-nowrap.log" | head -1 | cut -d= -f2)
	lc_wait_for "! kill -0 $LL_PID 2>/dev/null" 60
	wait "$LL_PID"
	rc=$?
	grep -E 'drmModeCreateLease failed|drmAuthMagic failed|Failed to create allocator' "$LC_OUT/ll-sway-nowrap.log"
	echo "lease-launch exited $rc"
	[ "$rc" = 1 ] && grep -q 'drmAuthMagic failed: Invalid argument' "$LC_OUT/ll-sway-nowrap.log" &&
		output_returns "$conn" 10 off
}

# The shim's own --input-fd checks (tests/shim/shim-input-test.c) on the
# rig's evdev devices of an output nobody leases.
shim_input_fd() {
	local d kbd='' tab=''
	for d in /sys/class/input/event*; do
		case "$(cat "$d/device/uniq")" in
		leasecast-kbd-15) kbd=/dev/input/${d##*/} ;;
		leasecast-tab-15) tab=/dev/input/${d##*/} ;;
		esac
	done
	[ -n "$kbd" ] && [ -n "$tab" ] || { echo "no virtio keyboard/tablet of scanout 15"; ls -l /dev/input; return 1; }
	LC_SHIM_EVDEV="$kbd:keyboard $tab:pointer" LC_SHIM="$LC_BUILD/compositor-module/leasecast-logind-shim" \
		"$LC_BUILD/tests/shim/shim-input-test" fd
}

# Keys, a click and the wheel from the host reach a client in sway, which
# repaints on each key press.
sway_input() {
	comp_input_client sway-input "$COMP_DISPLAY" --redraw-on-key || return 1
	grep -E 'took device 13:|libinput|keyboard|pointer' "$LC_OUT/ll-sway.log" | grep -v '^\s*$' | head -8
	comp_input_test sway-input --redraw
}

# The same input as Helix's web client sends it (helix-input.py on the
# host: Helix's messages through the bridge's tokenless Helix endpoint).
sway_helix_input() {
	comp_input_client sway-helix "$COMP_DISPLAY" --redraw-on-key || return 1
	comp_input_test sway-helix --redraw
}

authmagic_forwarded() {
	grep -E 'authmagic|drmAuthMagic|Allocator|allocator' "$LC_OUT/ll-sway.log" | head -8
	grep -q 'broker: drmAuthMagic([0-9]*) ok' "$LC_OUT/ll-sway.log"
}

sway_exit() {
	local rc
	kill -TERM "$LL_PID" # forwarded to sway
	wait "$LL_PID"
	rc=$?
	echo "lease-launch exited $rc after SIGTERM"
	[ "$rc" = 0 ] || return 1 # sway's status; also catches LeakSanitizer's exit 1 under ASan
	output_returns "$SWAY_CONN" 10 off
}

lc_case user comp_setup_user || { lc_finish; exit 1; }
lc_case shim-input-fd-on-virtio shim_input_fd
lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
lc_case sway-fails-without-wrapper without_wrapper
lc_case sway-lease-launch launch_sway || { lc_finish; exit 1; }
lc_case bridge-files comp_files_ok "$COMP_SCANOUT" "$SWAY_CONN"
lc_case sway-wayland-socket comp_wait_socket sway 120 || {
	grep -v '^\s*$' "$LC_OUT/ll-sway.log" | grep -E 'ERROR|error|fail|DRM|lease|authmagic' | head -40
	lc_signal stop-watch-sway; lc_signal sway-up; lc_finish; exit 1; }
lc_case magic-authenticated-by-broker authmagic_forwarded
lc_signal sway-up
lc_wait_signal host-bg 300 || echo "host never checked the background"
lc_case pattern-client comp_client sway "$COMP_DISPLAY" 200
comp_client_until_seen sway 300
lc_signal stop-watch-sway
lc_wait_signal host-done 120 || echo "the host hook never finished"
cat "$LC_OUT/host-results.txt" 2>/dev/null
lc_case sway-modesets-not-black comp_host_case sway-not-black
lc_case client-pattern-in-stream comp_host_case sway-patterns
lc_case input-reaches-client sway_input
kill -TERM "$INPUT_CLIENT_PID" 2>/dev/null
lc_case helix-client-input-reaches-client sway_helix_input
kill -TERM "$INPUT_CLIENT_PID" 2>/dev/null
lc_case sigterm-output-back sway_exit
lc_finish
