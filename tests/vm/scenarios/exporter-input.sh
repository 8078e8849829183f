# exporter-input: browser-style input through the exporter reaches the
# right output's evdev devices in the guest (HXFR.md §5.10). Two Helix
# lease holders (lc-helix-client input) hold outputs A and B with their
# virtio keyboard and tablet (uniq leasecast-kbd-S / leasecast-tab-S),
# from the broker, and print every event they read; the host hook (exporter-input-host.sh) sends HXFR input with lc-input-send
# through the exporter, and checks the refusals on its side. Here:
#   - A's keyboard gets "hello" in order, pressed and released, then KEY_A
#     pressed and released although the sender left with it held;
#   - A's tablet gets ABS_X/ABS_Y of the click at (300, 400) scaled over
#     the console's size (floor(x * 32767 / w)), BTN_LEFT down and up, two REL_WHEEL
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

# A Helix lease holder that asks for its output's input devices (cmd 5)
# and prints every event they give ("event uniq=U type=T code=C value=V").
# The broker holds EVIOCGRAB on those open files, so the holder's copies
# are the only ones that read anything: exactly what a tenant would get.
holder() { # NAME
	lc_bg "hx-$1" "$hc_bin" --socket "$helix_sock" input --expect-inputs 2 \
		--hold-file "$LC_OUT/.signal-guest-checked" --end release
	lc_wait_for "grep -q '^inputs ready\|error' '$LC_OUT/hx-$1.log'" 60
	grep '^inputs\|error' "$LC_OUT/hx-$1.log"
	grep -q '^inputs ready' "$LC_OUT/hx-$1.log" || return 1
	local line
	line="$(grep '^inputs n=2 ' "$LC_OUT/hx-$1.log")"
	if [ "$1" = a ]; then
		S_a="$(sed -n 's/.* scanout=\([0-9]*\).*/\1/p' <<<"$line")"
		C_a="$(sed -n 's/.* connector=\([^ ]*\).*/\1/p' <<<"$line")"
	else
		S_b="$(sed -n 's/.* scanout=\([0-9]*\).*/\1/p' <<<"$line")"
	fi
}
S_a='' C_a='' S_b=''
leases() {
	holder a && holder b && [ -n "$S_a" ] && [ -n "$S_b" ] && [ "$S_a" != "$S_b" ] || return 1
	lc_signal recording "$S_a $S_b"
}

# events HOLDER UNIQ : "type code value" of each event of UNIQ the holder
# read, key repeats (value 2: the guest's autorepeat of a held key) left out.
events() {
	sed -n "s/^event uniq=$2 type=\([0-9]*\) code=\([0-9]*\) value=\([0-9-]*\)$/\1 \2 \3/p" \
		"$LC_OUT/hx-$1.log" | grep -v '^1 [0-9]* 2$'
}

typed_in_order() {
	# h e l l o, then KEY_A held by a sender that went away.
	local want got
	want="$(printf '1 %s\n' '35 1' '35 0' '18 1' '18 0' '38 1' '38 0' '38 1' '38 0' '24 1' '24 0' '30 1' '30 0')"
	lc_wait_for '[ "$(events a "leasecast-kbd-$S_a" | wc -l)" -ge 12 ]' 20
	got="$(events a "leasecast-kbd-$S_a")"
	[ "$got" = "$want" ] || { echo "A's keyboard got:"; echo "$got"; return 1; }
	echo "A's keyboard: hello, then KEY_A released by the exporter"
}

# The click at (300, 400): QEMU scales it over the console's surface, which
# the host hook read (W H); ABS_X 0, ABS_Y 1, BTN_LEFT 272, REL_WHEEL 8.
click_and_wheel() {
	local w h x y t
	read -r w h <<<"$(lc_signal_content host-input-done)"
	x=$((300 * 32767 / w)) y=$((400 * 32767 / h))
	t="$(events a "leasecast-tab-$S_a")"
	grep -qx "3 0 $x" <<<"$t" && grep -qx "3 1 $y" <<<"$t" ||
		{ echo "no ABS ($x, $y) over ${w}x$h:"; head -20 <<<"$t"; return 1; }
	[ "$(grep -cx '1 272 1' <<<"$t")" = 1 ] && [ "$(grep -cx '1 272 0' <<<"$t")" = 1 ] ||
		{ echo "BTN_LEFT not once down and up:"; grep ' 272 ' <<<"$t"; return 1; }
	[ "$(grep -cx '2 8 -1' <<<"$t")" = 2 ] || { echo "wheel:"; grep '^2 ' <<<"$t"; return 1; }
	echo "A's tablet: $(wc -l <<<"$t") events, ABS ($x, $y) over ${w}x$h, a click, two notches down"
}

b_only_its_own() {
	local b
	b="$(events b "leasecast-kbd-$S_b"; events b "leasecast-tab-$S_b")"
	[ "$b" = "$(printf '%s\n' '1 48 1' '1 48 0')" ] || { echo "B's devices got:"; echo "$b"; return 1; }
	echo "B's devices: only its own KEY_B"
}

resized() {
	lc_connector_probe "$C_a"
	[ "$(head -1 "/sys/class/drm/card0-$C_a/modes")" = 1024x768 ]
}
preferred_follows_resize() {
	lc_wait_signal resized 120 || { echo "the host never sent RESIZE_REQ"; return 1; }
	lc_wait_for resized 20 ||
		{ echo "card0-$C_a modes: $(tr '\n' ' ' <"/sys/class/drm/card0-$C_a/modes")"; return 1; }
	echo "card0-$C_a: preferred mode now $(head -1 "/sys/class/drm/card0-$C_a/modes")"
}

host_case() { grep -q "^$1 pass" "$LC_OUT/host-results.txt"; }

lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
lc_case leases-with-input leases || { lc_finish; exit 1; }
lc_wait_signal host-input-done 180 || echo "the host hook never finished sending"
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
