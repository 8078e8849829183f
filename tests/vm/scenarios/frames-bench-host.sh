# Host side of frames-bench.sh: a subscriber per run, the exporter's and
# QEMU's CPU time (from /proc) over the run, and the exporter's own account
# of the run (SIGUSR1 "stats": pixel bytes that came over D-Bus, that it
# copied and that it converted, and the damage-to-socket latency of every
# frame it wrote to a subscriber).
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"
out="$LC_OUT/bench.jsonl"
: >"$out"
exp_pid="$(ss -Hltnp "sport = :$LC_EXPORTER_PORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)"
[ -n "$exp_pid" ] || { echo "cannot find the exporter's pid"; exit 1; }
proc_cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
key="$(sc_key 1 --enable 1920x1080)" || exit 1
lc_signal enabled
for mode in motion small-damage; do
	lc_wait_signal "modeset-$mode" 90 || exit 1
	log="$LC_OUT/sub-$mode.jsonl"
	sc_watch 1 "$key" --size 1920x1080 --duration 9 --quiet-frames \
		--ready-file "$LC_OUT/.ready-$mode" >"$log" 2>&1 &
	sub=$!
	lc_wait_for "[ -e '$LC_OUT/.ready-$mode' ] || ! kill -0 $sub 2>/dev/null" 30
	exporter_stats 1 /dev/null # the period starts with the guest's run
	c0="$(proc_cpu "$exp_pid")" q0="$(proc_cpu "$LC_QEMU_PID")"
	lc_signal "go-$mode"
	lc_wait_for "grep -q '^flip-result' '$LC_OUT/flip-$mode.log'" 30
	c1="$(proc_cpu "$exp_pid")" q1="$(proc_cpu "$LC_QEMU_PID")"
	wait "$sub"
	v=fail
	exporter_stats 1 "$LC_OUT/stats-$mode.json" && summary_ok "$log" && v=pass
	python3 - "$log" "$LC_OUT/flip-$mode.log" "$mode" "$c0" "$c1" "$q0" "$q1" "$(getconf CLK_TCK)" \
		"$LC_OUT/stats-$mode.json" >>"$out" <<'PY'
import json, re, sys
log, flip, mode, c0, c1, q0, q1, tck, stats = sys.argv[1:]
st = json.load(open(stats))
enc = max(1, st["encoded"])
s = [json.loads(l) for l in open(log) if l.startswith('{"event":"summary"')][-1]
fl = open(flip).read()
m = re.search(r"flips=(\d+) .* secs=([0-9.]+) fps=([0-9.]+)", fl)
flips, secs, gfps = int(m.group(1)), float(m.group(2)), float(m.group(3))
# Frames during the guest's run: the subscriber's total minus its first
# (the picture at subscription, before the run).
frames = max(1, s["frames"] - 1)
print(json.dumps({"bench": "exporter", "frames": mode, "size": "1920x1080",
    "guest_updates": flips, "guest_ups": gfps, "frames_received": frames,
    "fps": round(frames / secs, 1), "share": round(frames / flips, 3),
    "damage_to_socket_ms_p50": st["damage_to_socket_ms"]["p50"],
    "damage_to_socket_ms_p99": st["damage_to_socket_ms"]["p99"],
    "damage_to_socket_ms_max": st["damage_to_socket_ms"]["max"],
    "pts_age_ms_p50": s["pts_age_ms_p50"], "pts_age_ms_p99": s["pts_age_ms_p99"],
    "exporter_cpu_ms_per_frame": round((int(c1) - int(c0)) * 1000.0 / int(tck) / frames, 2),
    "updates_in": st["updates"], "encoded": st["encoded"],
    "dbus_bytes_per_frame": round(st["in_bytes"] / enc),
    "copied_bytes_per_frame": round(st["copied_bytes"] / enc),
    "converted_bytes_per_frame": round(st["converted_bytes"] / enc),
    "qemu_cpu_ms_per_update": round((int(q1) - int(q0)) * 1000.0 / int(tck) / flips, 2),
    "bytes_out_per_frame": s["bytes_per_frame"]}))
PY
	tail -1 "$out"
	lc_signal "host-$mode" "$v"
done
