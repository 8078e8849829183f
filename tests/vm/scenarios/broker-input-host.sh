# Host side of vm-broker-input (see broker-input.sh): for each round the
# guest asks for (inject-a, -b, -c, with the scanout), presses and releases
# KEY_A and KEY_B, moves the absolute pointer to a point of the round and
# clicks the left button on that scanout's console, straight into QEMU over
# its D-Bus display (org.qemu.Display1.Keyboard / Mouse on the rig's private
# bus). It tells the guest the ABS_X / ABS_Y the tablet must report: QEMU
# scales the point to 0..32767 over the console's current surface (640x480
# until the guest scans out something else), floor(x * 32767 / width).
. "$LC_SRC/tests/vm/lib.sh"
call() { # SCANOUT INTERFACE METHOD SIG ARGS...
	local s="$1" iface="$2"
	shift 2
	busctl --address="$LC_DBUS_ADDRESS" call org.qemu "/org/qemu/Display1/Console_$s" \
		"org.qemu.Display1.$iface" "$@"
}
prop() { # SCANOUT INTERFACE NAME : the value alone
	busctl --address="$LC_DBUS_ADDRESS" get-property org.qemu "/org/qemu/Display1/Console_$1" \
		"org.qemu.Display1.$2" "$3" | awk '{print $2}'
}
inject() { # SCANOUT X Y
	local s="$1"
	# xtkbd scancodes 0x1e and 0x30: Linux KEY_A (30) and KEY_B (48).
	call "$s" Keyboard Press u 30 && call "$s" Keyboard Release u 30 &&
		call "$s" Keyboard Press u 48 && call "$s" Keyboard Release u 48 &&
		call "$s" Mouse SetAbsPosition uu "$2" "$3" &&
		call "$s" Mouse Press u 0 && call "$s" Mouse Release u 0
}
# A point per round: round c types on round a's devices again, and evdev
# drops an axis value that did not change.
declare -A px=([a]=300 [b]=500 [c]=100) py=([a]=400 [b]=200 [c]=300)
for round in a b c; do
	until [ -e "$LC_OUT/.signal-inject-$round" ]; do
		[ -e "$LC_OUT/.signal-guest-done" ] && exit 0
		sleep 0.1
	done
	s="$(lc_signal_content "inject-$round")"
	w="$(prop "$s" Console Width)" h="$(prop "$s" Console Height)"
	x=${px[$round]} y=${py[$round]}
	echo "round $round: Console_$s ${w}x${h}, IsAbsolute $(prop "$s" Mouse IsAbsolute), point ($x, $y)"
	[ "${w:-0}" -gt "$x" ] && [ "${h:-0}" -gt "$y" ] || { echo "Console_$s is ${w}x${h}"; exit 1; }
	inject "$s" "$x" "$y" || { echo "injecting on Console_$s failed"; exit 1; }
	lc_signal "injected-$round" "$((x * 32767 / w)) $((y * 32767 / h))"
done
