# exporter-input: browser-style input through the exporter reaches the
# right output's evdev devices in the guest (HXFR.md §5.10). Two lease
# holders (lc-pattern-flip over the Helix socket, 1280x720) hold outputs
# A and B; the guest records every event of A's and B's virtio keyboard
# and tablet (found by their uniq leasecast-kbd-S / leasecast-tab-S); the
# host hook (exporter-input-host.sh) sends HXFR input with lc-input-send
# through the exporter, and checks the refusals on its side. Here:
#   - A's keyboard gets "hello" in order, pressed and released, then KEY_A
#     pressed and released although the sender left with it held;
#   - A's tablet gets ABS_X/ABS_Y of the click at (300, 400) scaled over
#     1280x720 (floor(x * 32767 / w)), BTN_LEFT down and up, two REL_WHEEL
#     -1 (two notches down);
#   - B's devices get only B's own KEY_B: none of A's input, none of the
#     refused or flooded events;
#   - RESIZE_REQ 1024x768 on A: A's connector's preferred mode becomes
#     1024x768 after a probe.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
trap 'lc_signal guest-done' EXIT
mkdir -p /run/helix-drm /run/leasecast

holder() { # NAME
	lc_bg "flip-$1" "$flip_bin" --socket "$helix_sock" --size 1280x720 --count 0 \
		--hold-file "$LC_OUT/.signal-guest-checked"
	flip_wait_modeset "$LC_OUT/flip-$1.log" "$LC_BG_PID" 60 || return 1
	cat "$LC_OUT/flip-$1.log"
	if [ "$1" = a ]; then
		S_a="$FLIP_SCANOUT" C_a="$FLIP_CONNECTOR"
	else
		S_b="$FLIP_SCANOUT"
	fi
}
S_a='' C_a='' S_b=

node_of() { # UNIQ
	grep -l -x "$1" /sys/class/input/event*/device/uniq 2>/dev/null |
		sed -n 's|^/sys/class/input/\(event[0-9]*\)/device/uniq$|/dev/input/\1|p'
}

# Records "NAME TYPE CODE VALUE" for every event (but SYN and MSC) of the
# nodes until the stop file exists; one process, forks are slow under TCG.
record() { # OUT STOPFILE NAME=NODE...
	python3 - "$@" <<'PY' &
import os, select, struct, sys
out, stop, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
fds = {}
for p in pairs:
    name, node = p.split("=", 1)
    fds[os.open(node, os.O_RDONLY | os.O_NONBLOCK)] = name
with open(out, "w", buffering=1) as f:
    f.write("ready\n")
    while not os.path.exists(stop):
        r, _, _ = select.select(list(fds), [], [], 0.2)
        for fd in r:
            data = os.read(fd, 24 * 64)
            for i in range(0, len(data) - 23, 24):
                _, _, t, c, v = struct.unpack("qqHHi", data[i:i + 24])
                if t in (0, 4):  # EV_SYN, EV_MSC
                    continue
                f.write("%s %d %d %d\n" % (fds[fd], t, c, v))
PY
	REC_PID=$!
}

start_recording() {
	local ka ta kb tb
	ka="$(node_of "leasecast-kbd-$S_a")" ta="$(node_of "leasecast-tab-$S_a")"
	kb="$(node_of "leasecast-kbd-$S_b")" tb="$(node_of "leasecast-tab-$S_b")"
	[ -n "$ka" ] && [ -n "$ta" ] && [ -n "$kb" ] && [ -n "$tb" ] ||
		{ echo "input devices of $S_a / $S_b: '$ka' '$ta' '$kb' '$tb'"; return 1; }
	echo "A (scanout $S_a): $ka $ta; B (scanout $S_b): $kb $tb"
	record "$LC_OUT/events.txt" "$LC_OUT/.stop-recording" "ka=$ka" "ta=$ta" "kb=$kb" "tb=$tb"
	lc_wait_for "grep -q ready '$LC_OUT/events.txt'" 20 || return 1
	lc_signal recording "$S_a $S_b"
}

# Key events of a keyboard: "CODE VALUE" for presses (1) and releases (0);
# autorepeat (2) of the held key is the guest's business.
keys_of() { awk -v n="$1" '$1 == n && $2 == 1 && $4 != 2 { print $3, $4 }' "$LC_OUT/events.txt"; }

typed_in_order() {
	# h e l l o, then KEY_A held by a sender that went away.
	local want
	want="$(printf '%s\n' '35 1' '35 0' '18 1' '18 0' '38 1' '38 0' '38 1' '38 0' '24 1' '24 0' '30 1' '30 0')"
	[ "$(keys_of ka)" = "$want" ] || { echo "A's keyboard got:"; keys_of ka; return 1; }
}

click_and_wheel() {
	local x=$((300 * 32767 / 1280)) y=$((400 * 32767 / 720)) t
	t="$(awk '$1 == "ta"' "$LC_OUT/events.txt")"
	# ABS_X 0, ABS_Y 1, BTN_LEFT 272, REL_WHEEL 8; the flood's (0, 0)
	# moves come later.
	grep -q "^ta 3 0 $x$" <<<"$t" && grep -q "^ta 3 1 $y$" <<<"$t" ||
		{ echo "no ABS ($x, $y):"; head -20 <<<"$t"; return 1; }
	[ "$(grep -c '^ta 1 272 1$' <<<"$t")" = 1 ] && [ "$(grep -c '^ta 1 272 0$' <<<"$t")" = 1 ] ||
		{ echo "BTN_LEFT not once down and up:"; grep ' 272 ' <<<"$t"; return 1; }
	[ "$(grep -c '^ta 2 8 -1$' <<<"$t")" = 2 ] || { echo "wheel:"; grep '^ta 2 ' <<<"$t"; return 1; }
	echo "A's tablet: $(wc -l <<<"$t") events, ABS ($x, $y), a click, two notches down"
}

b_only_its_own() {
	local b
	b="$(awk '$1 == "kb" || $1 == "tb"' "$LC_OUT/events.txt")"
	[ "$b" = "$(printf '%s\n' 'kb 1 48 1' 'kb 1 48 0')" ] || { echo "B's devices got:"; echo "$b"; return 1; }
}

resized() {
	local modes
	lc_connector_probe "$C_a"
	modes="$(cat /sys/class/drm/card0-"$C_a"/modes 2>/dev/null)"
	[ "$(head -1 <<<"$modes")" = 1024x768 ]
}
preferred_follows_resize() {
	lc_wait_signal resized 120 || { echo "the host never sent RESIZE_REQ"; return 1; }
	lc_wait_for resized 20 ||
		{ echo "card0-$C_a modes: $(tr '\n' ' ' </sys/class/drm/card0-"$C_a"/modes)"; return 1; }
	echo "card0-$C_a: preferred mode now $(head -1 /sys/class/drm/card0-"$C_a"/modes)"
}

host_case() { grep -q "^$1 pass" "$LC_OUT/host-results.txt"; }

lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
lc_case lease-a holder a || { lc_finish; exit 1; }
lc_case lease-b holder b || { lc_finish; exit 1; }
lc_case guest-records-a-and-b start_recording || { lc_finish; exit 1; }
lc_wait_signal host-input-done 180 || echo "the host hook never finished sending"
sleep 1 # the last events reach evdev
touch "$LC_OUT/.stop-recording"
wait "$REC_PID"
lc_case typed-keys-in-order-and-held-key-released typed_in_order
lc_case click-at-point-and-wheel click_and_wheel
lc_case other-tenant-gets-only-its-own b_only_its_own
lc_case resize-changes-preferred-mode preferred_follows_resize
lc_wait_signal host-done 60 || echo "the host hook never finished"
cat "$LC_OUT/host-results.txt" 2>/dev/null
lc_case host-no-input-refused host_case no-input
lc_case host-forged-scanout-refused-and-closed host_case forged
lc_case host-other-key-refused host_case other-key
lc_case host-unknown-code-refused host_case bad-code
lc_case host-touch-unsupported-on-7.2 host_case touch
lc_case host-flood-limited-others-unaffected host_case flood
lc_signal guest-checked
lc_finish
