# Host side of vm-two-cards: Console_16 is the second card (at the PCI
# address the guest reports for card1); SetUIInfo on it for the guest to see.
. "$LC_SRC/tests/vm/lib.sh"
bus() { busctl --address="$LC_DBUS_ADDRESS" "$@"; }
lc_wait_signal card1-pci 60 || exit 1
guest_pci="$(lc_signal_content card1-pci)" # 0000:00:06.0
want="pci/${guest_pci%%:*}/${guest_pci#*:*:}" # pci/0000/06.0
got="$(bus get-property org.qemu /org/qemu/Display1/Console_16 org.qemu.Display1.Console DeviceAddress 2>&1)"
if [ "$got" = "s \"$want\"" ]; then
	bus call org.qemu /org/qemu/Display1/Console_16 org.qemu.Display1.Console SetUIInfo qqiiuu 0 0 0 0 1280 720 &&
		lc_signal console-16-checked ok
else
	lc_signal console-16-checked "Console_16 DeviceAddress $got, want $want"
fi
