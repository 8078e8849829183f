#!/usr/bin/env python3
"""Host side of the compositor scenarios' input test as Helix's web client
does it: tests/browser/helix-client.html (a client that behaves as Helix's
on the wire) in headless Chromium against the bridge's Helix endpoint
(`--helix-listen`: GET /ws/stream, no token, as Helix's API connects), on
the tenant's real scanout; the bridge, the exporter and QEMU's console take
its input to the guest's compositor and its client (lc-wl-input-client),
which the guest judges (input-check.py verify) against the record this
writes, exactly as for browser-input.py.

  helix-input.py NAME

Waits for the guest's input-ready-NAME (its content: the scanout), starts
the bridge with the tenant's key and --helix-listen, opens the client
(init 1920x1080 at 60 fps, as Helix's viewer sends by default), then:
  1. host checks of Helix's protocol on a real stream: StreamInit (13
     bytes), CursorName and ConnectionComplete first and in that order, a
     painted frame, 29-byte Pongs whose encoder latency is measured (the
     exporter's part, from the guest's change to its encode, plus the
     bridge's), every Ping answered;
  2. Helix's input messages: the text typed as 0x10 keys (Shift for
     capitals and "!"), the absolute pointer in 4096ths of the picture,
     moved between two points until the guest's client has seen it where
     it was put (input-pointer-NAME / -ok), a click (0x11 button 1), the
     wheel in CSS px (120 a notch, y > 0 down: 3 down, 2 up);
  3. a key held until the guest's client has seen it, then the browser
     killed: the bridge releases it.
Then signals input-sent-NAME with the record; a false host check fails the
guest's verdict. Logs: $LC_OUT/bridge-NAME.log, chrome-NAME.log."""
import os
import signal as signal_mod
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.environ["LC_SRC"], "tests", "browser"))
sys.path.insert(0, os.path.join(os.environ["LC_SRC"], "tests", "vm"))
import cdp  # noqa: E402
from rig_host import (CHROMIUM, EVDEV, INPUT_HELD, INPUT_TEXT, OUT, SHIFT, TMP,  # noqa: E402
                      free_port, hold_until_seen, log, move_until_seen, run_input_driver,
                      secret_file, send_input_record, start_bridge, stop, stream_key,
                      wait_signal)

PAGE = os.path.join(os.environ["LC_SRC"], "tests", "browser", "helix-client.html")


def main():
    name = sys.argv[1]
    scanout = wait_signal("input-ready-" + name, 900)
    key_path = os.path.join(TMP, "stream-key-" + name)
    secret_file(key_path, stream_key(scanout))
    hport = free_port()
    bridge, _ = start_bridge(name, scanout, key_path, "--helix-listen", str(hport))
    checks = {}
    b = None
    try:
        b = cdp.Browser(CHROMIUM, os.path.join(TMP, "chrome-" + name),
                        os.path.join(OUT, "chrome-%s.log" % name))
        p = b.page()
        q = urllib.parse.urlencode({"ws": "ws://127.0.0.1:%d/ws/stream" % hport,
                                    "width": 1920, "height": 1080})
        p.navigate("file://" + PAGE + "?" + q, 60)
        p.wait_for("helix.connectionComplete !== null && helix.painted >= 1", 120,
                   "ConnectionComplete and a painted frame")
        msgs = p.evaluate("helix.messages.slice(0, 3)")
        checks["helix_handshake_order"] = [m["type"] for m in msgs] == [0x30, 0x51, "text"]
        checks["helix_stream_init_13_bytes"] = bool(msgs) and msgs[0]["len"] == 13
        si = p.evaluate("helix.streamInits[0]")
        w, h = si["width"], si["height"]
        cc = p.evaluate("helix.connectionComplete")
        checks["helix_connection_complete"] = (cc["width"], cc["height"]) == (w, h) and \
            cc["capabilities"]["touch"] is True
        log("%s: Helix's handshake %s; stream %dx%d; ConnectionComplete %s" % (
            name, [m["type"] for m in msgs], w, h, cc))

        def key(code, down):
            p.evaluate("helix.sendKey(%d, %s), true" % (code, "true" if down else "false"))

        for ch in INPUT_TEXT:
            shifted = ch.isupper() or ch == "!"
            if shifted:
                key(SHIFT, True)
            key(EVDEV[ch.lower()], True)
            key(EVDEV[ch.lower()], False)
            if shifted:
                key(SHIFT, False)

        # In 4096ths, rounded up, so that the bridge's floor(x * W / 4096)
        # is the pixel itself.
        seen, x, y = move_until_seen(name, lambda x, y: p.evaluate(
            "helix.sendAbs(%r, %r), true" % (-(-x * 4096 // w) / 4096, -(-y * 4096 // h) / 4096)), w, h)
        log("%s: pointer seen where it was put after %s moves" % (name, seen or "no (60)"))
        p.evaluate("helix.sendButton(1, true), helix.sendButton(1, false), true")
        for dy in (120, 120, 120, -120, -120):
            p.evaluate("helix.sendWheel(0, %d), true" % dy)

        pongs = p.evaluate("helix.pongs")
        st = p.evaluate("({sent: helix.pingsSent, unknown: helix.unknownSeq, short: helix.shortPongs,"
                        " errors: helix.decodeErrors, painted: helix.painted})")
        checks["helix_pongs_29_bytes"] = len(pongs) >= 4 and all(x["len"] == 29 for x in pongs)
        checks["helix_pings_answered"] = st["unknown"] == 0 and st["short"] == 0 and \
            len(pongs) >= st["sent"] - 4
        checks["helix_encoder_latency_measured"] = any(x.get("encoderMs", 0) > 0 for x in pongs)
        checks["helix_no_decode_error"] = st["errors"] == []
        log("%s: %d Pongs (encoder latency %s ms, scheduling p50/p99/max %s ms), %d frames painted" % (
            name, len(pongs), sorted({x.get("encoderMs") for x in pongs})[-5:],
            [(x.get("schedP50"), x.get("schedP99"), x.get("schedMax")) for x in pongs[-2:]],
            st["painted"]))

        # A key held while the browser goes away: the bridge releases it.
        key(INPUT_HELD[1], True)
        checks["held_key_seen"] = hold_until_seen(name, INPUT_HELD[1])
        os.killpg(b.proc.pid, signal_mod.SIGKILL)
        b.close()
        b = None
        send_input_record(name, (x, y), (w, h), checks)
        log("%s: typed %r as Helix's client, clicked (%d, %d), wheel 3 down 2 up, held %s; "
            "host checks %s" % (name, INPUT_TEXT, x, y, INPUT_HELD[0], checks))
    finally:
        if b is not None:
            b.close()
        stop(bridge)


if __name__ == "__main__":
    run_input_driver(main)
