#!/usr/bin/env python3
"""Host side of bench-photon (bench/RESULTS.md, "Input to photon"): the
input-to-photon latency as a person at the viewer page has it, measured in
the page, and a baseline from the same run.

  bench-photon.py NAME            (the host hook; LC_* from lc-vm-run)

Waits for the guest's signal input-ready-NAME (its content: the scanout;
the guest's lc-wl-input-client --redraw-on-key repaints its full-screen
surface in the next colour on each key press), takes the stream key
lease-launch got (signal leased-NAME "S KEY"), starts leasecast-frame-bridge
on loopback with a control token, and headless Chromium on the viewer page
with ?bench=photon (viewer.js's bench section). Then, in turn:

  1. photon: the page presses KeyA LC_BENCH_PRESSES times (default 300)
     through its own key path (a keydown on the canvas: onKey, WebSocket,
     bridge, HXFR INPUT_KEY, exporter, QEMU Keyboard.Press on the scanout's
     console) and stamps the first decoded frame whose colour changed;
  2. baseline-qemu-dbus: the same number of presses made on the host
     straight into QEMU's D-Bus console of the scanout (dbus-send
     Keyboard.Press, as the exporter does it; Release once the change is
     seen), the same page watching for the colour change. t0 is when QEMU's reply to Press came back (the
     key is in the guest's virtqueue); the page's times are mapped to host
     time with its Ping/Pong clock sync.

Each press: total = colour change decoded in the page - t0;
up = frame pts (host CLOCK_MONOTONIC of the damage at the exporter) - t0;
down = decoded - pts. Writes $LC_OUT/bench.jsonl (one JSON line per case:
n, p50_ms, p99_ms, max_ms, misses, and for photon baseline, ratio_p50,
ratio_p99) and $LC_OUT/bench-raw.json (every sample), signals
bench-done-NAME with "PRESSES_SENT" (photon + baseline: what the guest's
client must have counted) and a verdict line in host-results.txt."""
import json
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ["LC_SRC"], "tests", "browser"))
sys.path.insert(0, os.path.join(os.environ["LC_SRC"], "tests", "vm"))
import cdp  # noqa: E402
from rig_host import (CHROMIUM, OUT, TMP, log, secret_file, signal, start_bridge,  # noqa: E402
                      stop, stream_key, wait_signal)

PRESSES = int(os.environ.get("LC_BENCH_PRESSES", "300"))
KEY_A = 30  # evdev KEY_A = QEMU's key number (xtkbd set 1) for this key
PRESS_TIMEOUT_S = 3.0


def pct(xs, p):
    """Nearest-rank percentile (bench/lease-stats.c's rule)."""
    s = sorted(xs)
    return s[max(0, min(len(s) - 1, -(-p * len(s) // 100) - 1))]


def summary(case, xs, misses, extra=None):
    r = {"case": case, "n": len(xs), "misses": misses}
    if xs:
        r.update(p50_ms=round(pct(xs, 50), 2), p99_ms=round(pct(xs, 99), 2), max_ms=round(max(xs), 2),
                 min_ms=round(min(xs), 2))
    r.update(extra or {})
    return r


def qemu_key(console, method):
    subprocess.run(["dbus-send", "--bus=" + os.environ["LC_DBUS_ADDRESS"], "--print-reply",
                    "--dest=org.qemu", "/org/qemu/Display1/Console_%s" % console,
                    "org.qemu.Display1.Keyboard." + method, "uint32:%d" % KEY_A],
                   check=True, stdout=subprocess.DEVNULL)


def baseline(p, console, off_ms):
    """Presses into QEMU's console, the page watching: per press (t0 host
    ms, t2 host ms, pts host ms)."""
    out, misses, call_ms = [], 0, []
    for _ in range(PRESSES):
        before = p.evaluate("benchPhoton.changes.length")
        t_call = time.monotonic() * 1000
        qemu_key(console, "Press")
        t0 = time.monotonic() * 1000  # QEMU has the key: its reply came back
        call_ms.append(t0 - t_call)
        # One call that returns with the change: nothing else runs on the
        # host meanwhile (the release waits for it too).
        c = p.evaluate("benchPhoton.waitChange(%d, %d)" % (before, PRESS_TIMEOUT_S * 1000),
                       PRESS_TIMEOUT_S + 30)
        qemu_key(console, "Release")
        if not c:
            misses += 1
            time.sleep(0.5)
            continue
        out.append({"t0_ms": t0, "t2_ms": c["t_ms"] - off_ms, "pts_ms": c["pts_us"] / 1000})
        time.sleep(random.uniform(0.030, 0.120))
    return out, misses, call_ms


def main():
    name = sys.argv[1]
    res = open(os.path.join(OUT, "host-results.txt"), "a")
    scanout = wait_signal("input-ready-" + name, 900)
    if scanout == "none":  # the guest's client never got ready
        res.write("%s-photon fail\n" % name)
        raise SystemExit("%s: the guest has no client to press keys for" % name)
    key_path = os.path.join(TMP, "stream-key-" + name)
    tok_path = os.path.join(TMP, "control-token-" + name)
    secret_file(key_path, stream_key(scanout))
    token = secret_file(tok_path)
    b = bridge = None
    sent = 0
    ok = False
    try:
        bridge, port = start_bridge(name, scanout, key_path, "--control-token-file", tok_path)
        b = cdp.Browser(CHROMIUM, os.path.join(TMP, "chrome-" + name),
                        os.path.join(OUT, "chrome-%s.log" % name))
        p = b.page()
        p.viewport(960, 660)
        p.navigate("http://127.0.0.1:%d/?token=%s&bench=photon&presses=%d" % (port, token, PRESSES), 60)
        p.wait_for("stats.framesDecoded > 0 && stats.width > 0 && stats.control === true", 120,
                   "the viewer's first decoded frame and its control right")
        w, h = p.evaluate("[stats.width, stats.height]")
        log("%s: console %s is %dx%d; %d presses from the page" % (name, scanout, w, h, PRESSES))

        # 1. From the page.
        p.evaluate("benchPhoton.run(), true")
        r = p.wait_for("(benchPhoton.state === 'done' || benchPhoton.state === 'failed') && benchPhoton",
                       60 + PRESSES * (PRESS_TIMEOUT_S + 0.7), "the page's %d presses" % PRESSES)
        if r["state"] != "done":
            raise SystemExit("%s: the page's bench failed: %s" % (name, r["error"]))
        pr = r["result"]
        sent += PRESSES
        s0, s1 = pr["sync_before"], pr["sync_after"]
        off = (s0["off_ms"] + s1["off_ms"]) / 2  # page ms = host ms + off
        tot = [x["t2_ms"] - x["t0_ms"] for x in pr["samples"]]
        up = [x["pts_us"] / 1000 + off - x["t0_ms"] for x in pr["samples"]]
        down = [x["t2_ms"] - (x["pts_us"] / 1000 + off) for x in pr["samples"]]

        # 2. Baseline: the same presses straight into QEMU's console.
        s2 = p.evaluate("benchPhoton.sync()")
        bs, bmiss, call_ms = baseline(p, scanout, s2["off_ms"])
        s3 = p.evaluate("benchPhoton.sync()")
        sent += PRESSES
        btot = [x["t2_ms"] - x["t0_ms"] for x in bs]
        bup = [x["pts_ms"] - x["t0_ms"] for x in bs]
        bdown = [x["t2_ms"] - x["pts_ms"] for x in bs]

        base = summary("baseline-qemu-dbus", btot, bmiss,
                       {"what": "QEMU Keyboard.Press reply on the host -> colour change decoded in the page",
                        "dbus_send_call_p50_ms": round(pct(call_ms, 50), 2) if call_ms else None})
        lines = [base,
                 summary("baseline-qemu-dbus-up", bup, bmiss, {"what": "Press reply -> damage pts at the exporter"}),
                 summary("baseline-qemu-dbus-down", bdown, bmiss, {"what": "damage pts -> decoded in the page"})]
        photon = summary("photon", tot, pr["misses"],
                         {"what": "page keydown -> colour change decoded in the page"})
        if tot and btot:
            photon.update(baseline="baseline-qemu-dbus", ratio_p50=round(photon["p50_ms"] / base["p50_ms"], 2),
                          ratio_p99=round(photon["p99_ms"] / base["p99_ms"], 2))
        lines += [photon,
                  summary("photon-page-to-guest", up, pr["misses"],
                          {"what": "page keydown -> damage pts at the exporter (host CLOCK_MONOTONIC)"}),
                  summary("photon-guest-to-page", down, pr["misses"],
                          {"what": "damage pts -> decoded in the page (encode, HXFR, bridge, WS, decode)"})]
        clock = {"case": "clock-sync", "syncs": [s0, s1, s2, s3],
                 "drift_ms": round(s3["off_ms"] - s0["off_ms"], 3), "console": [w, h],
                 "frames_decoded": p.evaluate("stats.framesDecoded"), "user_agent": pr["userAgent"]}
        lines.append(clock)
        with open(os.path.join(OUT, "bench.jsonl"), "w") as f:
            for ln in lines:
                f.write(json.dumps(ln) + "\n")
                log(json.dumps(ln))
        with open(os.path.join(OUT, "bench-raw.json"), "w") as f:
            json.dump({"photon": pr, "baseline": bs, "baseline_call_ms": call_ms}, f)
        # Sane figures: most presses seen, no negative half (a clock error).
        n_ok = len(tot) >= PRESSES * 0.9 and len(btot) >= PRESSES * 0.9
        halves_ok = bool(up and down) and min(up) > -1 and min(down) > -1
        log("%s: %d/%d page presses seen, %d/%d baseline; halves non-negative: %s" %
            (name, len(tot), PRESSES, len(btot), PRESSES, halves_ok))
        ok = n_ok and halves_ok
    finally:
        if b is not None:
            b.close()
        if bridge is not None:
            stop(bridge)
        res.write("%s-photon %s\n" % (name, "pass" if ok else "fail"))
        res.close()
        signal("bench-done-" + name, str(sent))


if __name__ == "__main__":
    main()
