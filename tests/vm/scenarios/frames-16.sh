# frames-16: frames flow on every scanout the exporter streams (1..15; 0 is
# the VM console, which gets no stream key by design). The host hook turns
# each output on at 640x480 with its own stream key and subscriber; the
# guest, as DRM master (no broker), flips 3 patterns (100*scanout..) on each.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
one() { # SCANOUT
	local s="$1" c="Virtual-$(($1 + 1))" log="$LC_OUT/flip-$1.log"
	lc_wait_for "lc_connector_probe $c; lc_sysfs_connected $c" 20 || { echo "$c not connected"; return 1; }
	"$flip_bin" --card /dev/dri/card0 --connector "$c" --size 640x480 --count 3 --first $((100 * s)) \
		--fps 10 --hold-ms 400 >"$log" 2>&1
	grep '^flip\|error' "$log"
	grep -q '^flip-result mode=patterns flips=3 ' "$log"
}
host_case() { grep -q "^$1 pass" "$LC_OUT/host-results.txt"; }

lc_wait_signal enabled 90 || { echo "the host never enabled the outputs"; exit 1; }
for s in $(seq 1 15); do lc_case "flip-scanout-$s" one "$s"; done
lc_signal flipped
lc_wait_signal host-done 60 || echo "the host hook never finished"
cat "$LC_OUT/host-results.txt" 2>/dev/null
for s in $(seq 1 15); do lc_case "frames-scanout-$s" host_case "scanout-$s"; done
lc_finish
