# bench-photon (label bench, -DLC_BENCH=ON): input-to-photon latency as the
# viewer page has it (bench/RESULTS.md "Input to photon"). The guest side:
# unmodified cage on a DRM lease through lease-launch --wlroots + the logind
# shim (as vm-compositor-cage), its app lc-wl-input-client --redraw-on-key,
# which repaints its full-screen surface in the next colour on each key
# press. The host hook (bench-photon.py) makes the presses, from the page
# and then straight into QEMU, and measures; here the guest checks that its
# client got every press the host made, once.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/compositor-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
command -v cage >/dev/null || { echo "cage is not installed (scripts/install-deps.sh)"; exit 1; }
CONN=Virtual-2
NAME=photon
# An ASan-built client refuses the wrapper preloaded ahead of its runtime.
APP_ENV=()
ldd "$ic_bin" | grep -q libasan && APP_ENV=(env -u LD_PRELOAD)

launch() {
	comp_launch "$NAME" "$CONN" --size 1920x1080 --wlroots \
		--authmagic-lib "$LC_BUILD/compositor-module/libleasecast-authmagic.so" \
		-- cage -- "${APP_ENV[@]}" "$ic_bin" --out "/tmp/lc-input-$NAME.jsonl" --redraw-on-key || return 1
	comp_input_ready "$NAME"
}

# The host's presses (photon, then the baseline), each seen by the client
# and each a repaint: the count the host signals equals the client's.
presses_reach_client() {
	lc_signal "input-ready-$NAME" "$COMP_SCANOUT"
	lc_wait_signal "bench-done-$NAME" 1000 || { echo "waited 1000 s for the host's presses (bench-done-$NAME)"; return 1; }
	local sent
	sent=$(lc_signal_content "bench-done-$NAME")
	cp "/tmp/lc-input-$NAME.jsonl" "$LC_OUT/input-$NAME.jsonl"
	python3 - "/tmp/lc-input-$NAME.jsonl" "$sent" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sent = int(sys.argv[2] or 0)
presses = sum(1 for e in ev if e["ev"] == "key" and e["state"] == "pressed")
draws = sum(1 for e in ev if e["ev"] == "draw" and e.get("cause") == "key")
print("host sent %d presses; the client got %d presses and made %d key repaints" % (sent, presses, draws))
sys.exit(0 if sent > 0 and presses == sent else 1)
PY
}

lc_case user comp_setup_user || { lc_finish; exit 1; }
lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
lc_case cage-input-client launch || { lc_signal "input-ready-$NAME" none; lc_finish; exit 1; }
lc_case presses-reach-client presses_reach_client
lc_case host-figures comp_host_case "$NAME-photon"
cat "$LC_OUT/bench.jsonl" 2>/dev/null
lc_finish
