# frames-two: two leases at once, each subscriber gets only its own
# scanout; and a subscriber that stops reading does not slow another one.
# Two lc-pattern-flip holders (Helix leases, 1280x720) flip disjoint pattern
# ranges (0.. and 5000..) at 30 flips/s; the host hook (frames-two-host.sh)
# watches both, plus a stalled subscriber on the first scanout.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
mkdir -p /run/helix-drm /run/leasecast

holder() { # NAME FIRST
	lc_bg "flip-$1" "$flip_bin" --socket "$helix_sock" --size 1280x720 --count 150 --first "$2" \
		--fps 30 --go-file "$LC_OUT/.signal-go" --hold-file "$LC_OUT/.signal-host-done"
	flip_wait_modeset "$LC_OUT/flip-$1.log" "$LC_BG_PID" 60 || return 1
	cat "$LC_OUT/flip-$1.log"
	lc_signal "leased-$1" "$FLIP_SCANOUT"
}
flips_done() {
	lc_wait_for "grep -q '^flip' '$LC_OUT/flip-$1.log'" 60
	grep '^flip' "$LC_OUT/flip-$1.log"
	grep -q '^flip-result mode=patterns flips=150 ' "$LC_OUT/flip-$1.log"
}
host_case() { grep -q "^$1 pass" "$LC_OUT/host-results.txt"; }

lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
lc_case lease-a holder a 0 || { lc_finish; exit 1; }
lc_case lease-b holder b 5000 || { lc_finish; exit 1; }
lc_case flips-a flips_done a
lc_case flips-b flips_done b
lc_wait_signal host-done 120 || echo "the host hook never finished"
cat "$LC_OUT/host-results.txt" 2>/dev/null
lc_case a-gets-only-its-own host_case own-a
lc_case b-gets-only-its-own host_case own-b
lc_case stalled-subscriber-harmless host_case stalled
lc_finish
