# broker-wayland-2dev: two virtio-gpu cards (the rig's 16-output card0 plus a
# 2-output card1 from QEMU_ARGS), one wp_drm_lease_device_v1 each. Checks the
# bind order over both devices and that a connector of one device in a
# request of the other is the protocol error wrong_device.
. "$LC_SRC/tests/vm/lib.sh"

broker="$LC_BUILD/lease-broker/drm-lease-broker"
client="$LC_BUILD/tests/clients/lc-wl-lease-client"
wl_sock=/run/leasecast/wayland-0

wl() { "$client" --socket "$wl_sock" --timeout-ms 30000 "$@"; }

two_cards() {
	[ -c /dev/dri/card0 ] && [ -c /dev/dri/card1 ] || { ls -l /dev/dri; return 1; }
}

start_broker() {
	local args=(--device /dev/dri/card0 --device /dev/dri/card1 --wayland-socket "$wl_sock"
		--helix-socket /run/helix-drm/drm.sock --log-level debug)
	[ -n "${LC_EXPORTER_ADDR:-}" ] && args+=(--exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY")
	mkdir -p /run/leasecast /run/helix-drm
	lc_bg broker "$broker" "${args[@]}"
	broker_pid=$LC_BG_PID
	lc_wait_for "[ -S '$wl_sock' ] || ! kill -0 $broker_pid 2>/dev/null" 30 &&
		kill -0 "$broker_pid" 2>/dev/null || { tail -20 "$LC_OUT/broker.log"; return 1; }
}

two_devices_bound() {
	local out
	out="$(wl conformance)" || { echo "$out"; return 1; }
	echo "$out"
	echo "$out" | grep -q '^device index=1 ' || { echo "only one lease device"; return 1; }
}

lc_case two-cards two_cards || { lc_finish; exit; }
# SIGTERM with clients still connected: exit 0, and (in -DLC_SANITIZE=ON
# builds) no sanitizer report about the teardown of Wayland objects.
stop_broker_clean() {
	local rc out="$LC_OUT/held-at-stop.log"
	wl lease Virtual-2 --hold-ms 60000 >"$out" 2>&1 &
	lc_wait_for "grep -q '^ok lease drives' '$out'" 30 || { cat "$out"; return 1; }
	kill -TERM "$broker_pid"
	wait "$broker_pid"
	rc=$?
	wait
	[ "$rc" = 0 ] || { echo "broker exit status $rc"; tail -20 "$LC_OUT/broker.log"; return 1; }
	! grep -E "Sanitizer|runtime error" "$LC_OUT/broker.log"
}

lc_case broker-starts start_broker || { lc_finish; exit; }
lc_case conformance-two-devices two_devices_bound
lc_case err-wrong-device wl err-wrong-device
lc_case broker-alive kill -0 "$broker_pid"
lc_case broker-stops-clean stop_broker_clean
lc_finish
