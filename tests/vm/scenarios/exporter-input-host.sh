# Host side of vm-exporter-input (see exporter-input.sh): lc-input-send
# through the exporter, with the stream keys of the guest's two outputs.
# Verdicts of what the host sees go to $LC_OUT/host-results.txt
# ("NAME pass|fail"); lc-input-send's JSON to $LC_OUT/send-*.jsonl.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"
send_bin="$LC_BUILD/tests/host/lc-input-send"
res="$LC_OUT/host-results.txt"
: >"$res"
finish() { lc_signal host-done; exit "$(grep -c ' fail$' "$res")"; }
verdict() { local n="$1"; shift; if "$@"; then echo "$n pass" >>"$res"; else echo "$n fail" >>"$res"; fi; }
send() { # LOG ARGS...
	local log="$LC_OUT/send-$1.jsonl"
	shift
	"$send_bin" --connect "$(sc_addr)" "$@" >"$log" 2>&1
	local rc=$?
	echo "$(basename "$log"): $(grep '"event":"summary"' "$log" || tail -1 "$log")"
	return "$rc"
}

lc_wait_signal recording 120 || { echo "recording fail" >>"$res"; finish; }
read -r sa sb <<<"$(lc_signal_content recording)"
ka="$(sc_key "$sa")" && kb="$(sc_key "$sb")" || { echo "key fail" >>"$res"; finish; }

# What the guest checks: typed text, a click, the wheel, a key held when
# the sender leaves (the exporter releases it).
send typing --scanout "$sa" --key "$ka" --expect-no-error --type hello --click 300,400 \
	--wheel 2 --hold-key 30 || echo "typing fail" >>"$res"
# Refusals, none of which may reach any guest device.
verdict no-input send no-input --scanout "$sa" --key "$ka" --no-input --expect-error 5 --key 30
verdict forged send forged --scanout "$sa" --key "$ka" --session "$sb" --expect-error 12 \
	--expect-close --key 30
# B's key does not open A's scanout (SUBSCRIBE_KEYED refused: no input at all).
verdict other-key eval '! send other-key --scanout "$sa" --key "$kb" --key 30 &&
	grep -q "\"subscribed\",\"scanout\":$sa,\"success\":false" "$LC_OUT/send-other-key.jsonl"'
verdict bad-code send bad-code --scanout "$sa" --key "$ka" --expect-error 11 --key 84
verdict touch send touch --scanout "$sa" --key "$ka" --expect-error 8 --touch 0,0,10,10
# A flood on A is limited (ERROR 10); B, meanwhile and after, types fine.
send flood --scanout "$sa" --key "$ka" --expect-error 10 --flood 20000 &
pf=$!
send b-key --scanout "$sb" --key "$kb" --expect-no-error --key 48
rb=$?
wait "$pf"
rf=$?
verdict flood test "$rf" = 0 -a "$rb" = 0
# The guest checks the click scaled over A's console size, as QEMU sees it.
prop() { # NAME
	busctl --address="$LC_DBUS_ADDRESS" get-property org.qemu "/org/qemu/Display1/Console_$sa" \
		org.qemu.Display1.Console "$1" | awk '{print $2}'
}
lc_signal host-input-done "$(prop Width) $(prop Height)"
send resize --scanout "$sa" --key "$ka" --expect-no-error --resize 1024x768 ||
	echo "resize-send fail" >>"$res"
lc_signal resized
cat "$res"
finish
