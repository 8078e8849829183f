# vm-two-cards: a second virtio-gpu (QEMU_ARGS -device virtio-gpu-pci,
# max_outputs=1) next to the rig's 16-output one, for tests that need a
# second DRM device (e.g. wp_drm_lease_v1's wrong_device). Pins down what
# such tests rely on: card1 is the second device, its one connector is
# named card1-Virtual-17 (connector names count per type across devices),
# and two-cards-host.sh finds it as Console_16 at the same PCI address.
. "$LC_SRC/tests/vm/lib.sh"

pci_of() { basename "$(readlink -f "/sys/class/drm/$1/device")"; }

card1_is_second_device() {
	[ -c /dev/dri/card1 ] || { echo "no /dev/dri/card1"; return 1; }
	[ "$(pci_of card0)" != "$(pci_of card1)" ] || { echo "card0 and card1 on one device"; return 1; }
}
card0_keeps_sixteen() { [ "$(lc_connectors card0 | wc -l)" = 16 ]; }
card1_has_virtual_17() {
	local got
	got="$(lc_connectors card1)"
	[ "$got" = card1-Virtual-17 ] || { echo "card1 connectors: $got"; return 1; }
}
host_sees_console_16() {
	lc_signal card1-pci "$(pci_of card1)"
	lc_wait_signal console-16-checked 30 || { echo "no answer from the host hook"; return 1; }
	[ "$(lc_signal_content console-16-checked)" = ok ] || { echo "host: $(lc_signal_content console-16-checked)"; return 1; }
}
setuiinfo_console_16_connects_card1() {
	lc_wait_for "lc_connector_probe card1-Virtual-17 && lc_sysfs_connected card1-Virtual-17" 10 ||
		{ echo "card1-Virtual-17 not connected"; return 1; }
}

lc_case card1-is-second-device card1_is_second_device
lc_case card0-keeps-sixteen card0_keeps_sixteen
lc_case card1-has-virtual-17 card1_has_virtual_17
lc_case host-sees-console-16 host_sees_console_16
lc_case setuiinfo-console-16-connects-card1 setuiinfo_console_16_connects_card1
lc_finish
