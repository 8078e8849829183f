# Host side of vm-broker-keys (see broker-keys.sh): subscribes to the
# exporter with the stream keys the broker handed to the guest's holders.
. "$LC_SRC/tests/vm/lib.sh"
PROBE="$LC_BUILD/tests/host/hxfr-probe"
ADDR="127.0.0.1:$LC_EXPORTER_PORT"
res="$LC_OUT/host-results.txt"
: >"$res"
finish() { lc_signal host-done; exit "$(grep -c ' fail$' "$res")"; }
verdict() { local n="$1"; shift; if "$@"; then echo "$n pass" >>"$res"; else echo "$n fail" >>"$res"; fi; }
# probe NAME ARGS... : hxfr-probe, its output in $LC_OUT/host-NAME.log
probe() { local n="$1"; shift; "$PROBE" "$ADDR" "$@" >"$LC_OUT/host-$n.log" 2>&1; local rc=$?; sed "s/^/  [$n] /" "$LC_OUT/host-$n.log"; return $rc; }
# subscribed NAME SCANOUT KEYFILE : admitted, and the first frame is an IDR
subscribed() {
	probe "$1" subscribe "$2" --stream-key "$3" --frames 1 --duration-ms 20000 &&
		grep -q '^FRAME 0 key=1' "$LC_OUT/host-$1.log"
}
refused() { probe "$1" subscribe "$2" --stream-key "$3" --expect-refused 9; }

lc_wait_signal wl-key 120 && lc_wait_signal helix-key 120 || { echo "keys fail" >>"$res"; finish; }
sw="$(lc_signal_content wl-key)" sh="$(lc_signal_content helix-key)"
kw="$LC_OUT/key-wl" kh="$LC_OUT/key-helix"
echo "wayland scanout $sw, helix scanout $sh"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LC_TMP/kbad"

verdict wl-subscribe subscribed sub-wl "$sw" "$kw"
verdict helix-subscribe subscribed sub-helix "$sh" "$kh"
verdict wrong-key refused wrong "$sw" "$LC_TMP/kbad"
swapped() { [ "$sw" != "$sh" ] && ! cmp -s "$kw" "$kh" && refused swap-a "$sw" "$kh" && refused swap-b "$sh" "$kw"; }
verdict swapped swapped

# A subscriber that is watching when its lease ends is cut off (ERROR 13).
probe live-wl subscribe "$sw" --stream-key "$kw" --duration-ms 60000 --expect-error 13 &
live=$!
sleep 2
lc_signal host-keys-checked
lc_wait_signal leases-ended 120 || { echo "dead-keys fail" >>"$res"; finish; }
dead() { wait "$live" && refused dead-wl "$sw" "$kw" && refused dead-helix "$sh" "$kh"; }
verdict dead-keys dead
cat "$res"
finish
