#!/usr/bin/env bash
# frames-bench: the frame plane at 1920x1080 in one run (bench/RESULTS.md).
#   bench/frames-bench.sh BUILD_DIR
# 1. the exporter in the VM rig (tests/vm/scenarios/frames-bench.sh):
#    full-screen motion and small damage at 60 updates/s from the guest;
# 2. libx264 alone on the same frames (lc-bench-frame-encode), and the
#    seed's raw NV12 over TCP.
# Prints JSON lines and a table.
set -euo pipefail
build="$(cd "${1:?usage: frames-bench.sh BUILD_DIR}" && pwd -P)"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
out="$build/vm-out/frames-bench"
"$src/tests/vm/lc-vm-run" --build "$build" --scenario "$src/tests/vm/scenarios/frames-bench.sh" \
	--out "$out" --timeout 120 \
	--host-hook "bash $src/tests/vm/scenarios/frames-bench-host.sh" >"$build/frames-bench-rig.log" 2>&1 ||
	{ echo "the rig run failed: $build/frames-bench-rig.log"; tail -20 "$build/frames-bench-rig.log"; exit 1; }
"$build/bench/lc-bench-frame-encode" --size 1920x1080 --frames 361 >"$out/baselines.jsonl"
cat "$out/bench.jsonl" "$out/baselines.jsonl"
python3 - "$out/bench.jsonl" "$out/baselines.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for f in sys.argv[1:] for l in open(f) if l.strip()]
print("\n| frames | method | fps | latency p50 / p99 ms | CPU ms/frame | bytes copied/frame | bytes out/frame |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    if r["bench"] == "exporter":
        print("| %s | exporter (rig, guest %.0f updates/s, share %.2f) | %.1f | %.1f / %.1f (damage to socket) | %.2f | %d over D-Bus + %d copied (%d converted) | %d |" % (
            r["frames"], r["guest_ups"], r["share"], r["fps"], r["damage_to_socket_ms_p50"],
            r["damage_to_socket_ms_p99"], r["exporter_cpu_ms_per_frame"], r["dbus_bytes_per_frame"],
            r["copied_bytes_per_frame"], r["converted_bytes_per_frame"], r["bytes_out_per_frame"]))
    else:
        print("| %s | %s (host, unpaced) | %.1f | %.2f / %.2f | %.2f | %d | %d |" % (
            r["frames"], r["method"], r["fps"], r["latency_ms_p50"], r["latency_ms_p99"],
            r["cpu_ms_per_frame"], r["bytes_copied_per_frame"], r["bytes_out_per_frame"]))
ex = {r["frames"]: r for r in rows if r["bench"] == "exporter"}
x = {r["frames"]: r for r in rows if r.get("method") == "x264"}
for k in ex:
    if k in x:
        print("\noverhead ratio (%s): exporter CPU/frame / x264-alone CPU/frame = %.2f" % (
            k, ex[k]["exporter_cpu_ms_per_frame"] / x[k]["cpu_ms_per_frame"]))
PY
