# Host side of vm-hotplug: SetUIInfo on Console_1 when the guest is ready,
# and the round-trip latency as the host sees it (call -> guest's probe shows
# the new state -> the file appears on the out share; 50 ms polling).
. "$LC_SRC/tests/vm/lib.sh"
set_ui_info() {
	busctl --address="$LC_DBUS_ADDRESS" call org.qemu /org/qemu/Display1/Console_1 \
		org.qemu.Display1.Console SetUIInfo qqiiuu 0 0 0 0 "$1" "$2"
}
step() { # NAME W H WANT
	lc_wait_signal "ready-$1" 60 || { echo "hotplug-host: guest not ready for $1"; return 1; }
	local t0
	t0="$(date +%s%N)"
	set_ui_info "$2" "$3" || return 1
	echo "SetUIInfo $2x$3 returned after $(lc_ms_since "$t0") ms"
	lc_signal "called-$1"
	lc_wait_signal "$4-$1" 30 || { echo "hotplug-host: guest never saw $4"; return 1; }
	echo "$1: guest reported $4 $(lc_ms_since "$t0") ms after the call (round trip over 9p)"
}
step on 1920 1080 connected && step off 0 0 disconnected
