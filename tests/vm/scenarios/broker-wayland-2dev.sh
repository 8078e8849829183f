# broker-wayland-2dev: two virtio-gpu cards (the rig's 16-output card0 plus a
# 2-output card1 from QEMU_ARGS), one wp_drm_lease_device_v1 each. Checks the
# bind order over both devices and that a connector of one device in a
# request of the other is the protocol error wrong_device.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-wayland-lib.sh"

two_cards() {
	[ -c /dev/dri/card0 ] && [ -c /dev/dri/card1 ] || { ls -l /dev/dri; return 1; }
}

start_broker() {
	local args=(--device /dev/dri/card0 --device /dev/dri/card1)
	[ -n "${LC_EXPORTER_ADDR:-}" ] && args+=(--exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY")
	start_wl_broker "${args[@]}"
}

two_devices_bound() {
	local out
	out="$(wl conformance)" || { echo "$out"; return 1; }
	echo "$out"
	echo "$out" | grep -q '^device index=1 ' || { echo "only one lease device"; return 1; }
}

lc_case two-cards two_cards || { lc_finish; exit; }
lc_case broker-starts start_broker || { lc_finish; exit; }
lc_case conformance-two-devices two_devices_bound
lc_case err-wrong-device wl err-wrong-device
lc_case broker-alive broker_alive
lc_case broker-stops-clean stop_broker_clean
lc_finish
