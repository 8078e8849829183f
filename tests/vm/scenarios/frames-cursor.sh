# frames-cursor: the guest's hardware cursor end to end. Lease holder A
# (lc-pattern-flip --cursor-moves, lease over the Helix socket) sets a known
# 64x64 ARGB cursor with a hotspot on its leased cursor plane and moves it
# through a known path; virtio-gpu sends cursor commands, QEMU calls the
# exporter's listener (CursorDefine, MouseSet), and the exporter forwards
# CURSOR_DEFINE / CURSOR_MOVE. The host hook (frames-cursor-host.sh) checks
# that a subscriber that asked for the cursor gets the exact image and the
# path in order; that one that did not ask gets no cursor message; that a
# subscriber of holder B's scanout (another tenant) never sees A's cursor;
# and that a late subscriber starts with the current image and position.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
mkdir -p /run/helix-drm /run/leasecast
moves=40

holder() { # NAME ARGS...
	local name="$1"
	shift
	lc_bg "flip-$name" "$flip_bin" --socket "$helix_sock" --size 1280x720 --count 0 \
		--go-file "$LC_OUT/.signal-go" --hold-file "$LC_OUT/.signal-host-done" "$@"
	flip_wait_modeset "$LC_OUT/flip-$name.log" "$LC_BG_PID" 60 || return 1
	cat "$LC_OUT/flip-$name.log"
	lc_signal "leased-$name" "$FLIP_SCANOUT"
}

cursor_done() {
	lc_wait_for "grep -q '^cursor-result\|^cursor error' '$LC_OUT/flip-a.log'" 90
	grep '^cursor' "$LC_OUT/flip-a.log" | sed -n '1p;$p'
	grep -q "^cursor-result moves=$moves " "$LC_OUT/flip-a.log"
}

host_case() { grep -q "^$1 pass" "$LC_OUT/host-results.txt"; }

lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
lc_case lease-a-cursor holder a --cursor-moves "$moves" --cursor-interval-ms 40 || { lc_finish; exit 1; }
lc_case lease-b holder b || { lc_finish; exit 1; }
lc_case guest-cursor-moves cursor_done
lc_wait_signal host-done 120 || echo "the host hook never finished"
cat "$LC_OUT/host-results.txt" 2>/dev/null
lc_case cursor-image-and-path host_case cursor
lc_case no-cursor-without-flag host_case no-flag
lc_case other-tenant-sees-no-cursor host_case other-scanout
lc_case late-subscriber-gets-cursor-state host_case late
lc_finish
