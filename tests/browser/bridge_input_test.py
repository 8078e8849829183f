#!/usr/bin/env python3
"""The frame bridge's input path on the host, with real browser events:
headless Chromium (cdp.py) on the viewer page -> leasecast-frame-bridge ->
lc-hxfr-pattern-source, which writes every HXFR input message it gets to
--input-log (JSON lines). Run by tests/bridge/bridge-test.sh input, which
starts the source and the bridge (control and view token files).

Checks: a click at page point P (CSS scale != 1) arrives as INPUT_ABS at the
matching stream pixel (within 1 px), then BUTTON press/release; typed text
arrives as the right evdev codes, in order, each pressed then released; the
wheel arrives (down = y > 0); a touch arrives as begin/end at the pixel; a Resize reaches upstream as RESIZE_REQ; a
view-only viewer's input is refused with an InputError and nothing goes
upstream; a malformed input message gets an InputError and the control
viewer keeps working, and a flood of them disconnects only the sender; closing the page with a key held sends its release
(or RELEASE_ALL)."""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402
from verdicts import Verdicts, events  # noqa: E402

# evdev codes of what the test types (input-event-codes.h).
EVDEV = {"h": 35, "e": 18, "l": 38, "o": 24, " ": 57, "w": 17, "r": 19, "d": 32, "k": 37}
SHIFT = 42
verdicts = Verdicts()
check = verdicts.check


def wait_log(path, start, pred, timeout, what):
    """Waits until the input log's events after index START satisfy PRED."""
    deadline = time.monotonic() + timeout
    while True:
        ev = events(path)[start:]
        if pred(ev):
            return ev
        if time.monotonic() > deadline:
            print("waited %.0f s for %s; got %s" % (timeout, what, ev[-20:]))
            return ev
        time.sleep(0.1)


def expected_keys(text):
    out = []
    for ch in text:
        if ch.isupper():
            out.append((SHIFT, 1))
        out += [(EVDEV[ch.lower()], 1), (EVDEV[ch.lower()], 0)]
        if ch.isupper():
            out.append((SHIFT, 0))
    return out


def keys_of(ev):
    return [(e["code"], e["down"]) for e in ev if e["type"] == "key"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--control-token", required=True)
    ap.add_argument("--view-token", required=True)
    ap.add_argument("--input-log", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    a = ap.parse_args()
    log = a.input_log
    W, H = a.width, a.height
    page_url = a.url + "/?hw=prefer-software&token="

    ba = cdp.Browser(profile=os.path.join(a.tmp, "cdp-a"), log=os.path.join(a.tmp, "cdp-a.log"))
    bb = cdp.Browser(profile=os.path.join(a.tmp, "cdp-b"), log=os.path.join(a.tmp, "cdp-b.log"))
    try:
        pa = ba.page()
        # 1000 CSS px for a 640-pixel stream: a CSS scale of 1.5625.
        pa.viewport(1000, 700, 1.0)
        pa.navigate(page_url + a.control_token)
        pa.wait_for("stats.control === true && stats.framesDecoded > 0 && video.width === %d"
                    % W, 60, "viewer A: control rights and a decoded frame")
        r = pa.rect("#video")
        scale = r["width"] / W
        check(abs(scale - 1.0) > 0.1, "the canvas is drawn at CSS scale %.4f (not 1)" % scale)

        # A click at the page point over stream pixel (200, 100).
        tx, ty = 200, 100
        px, py = r["x"] + (tx + 0.5) * scale, r["y"] + (ty + 0.5) * scale
        n0 = len(events(log))
        pa.click(px, py)
        ev = wait_log(log, n0, lambda e: any(x["type"] == "button" and x["down"] == 0 for x in e),
                      20, "the click upstream")
        abs_ev = [e for e in ev if e["type"] == "abs"]
        btn = [(e["code"], e["down"]) for e in ev if e["type"] == "button"]
        last_abs_before_press = None
        for e in ev:
            if e["type"] == "abs":
                last_abs_before_press = e
            if e["type"] == "button":
                break
        check(last_abs_before_press is not None and abs(last_abs_before_press["x"] - tx) <= 1
              and abs(last_abs_before_press["y"] - ty) <= 1,
              "click at page (%.1f, %.1f) -> INPUT_ABS %s, want (%d, %d) within 1 px"
              % (px, py, last_abs_before_press and (last_abs_before_press["x"],
                                                    last_abs_before_press["y"]), tx, ty))
        check(btn == [(0x110, 1), (0x110, 0)], "then BTN_LEFT press, release (%s)" % btn)
        check(all(e["scanout"] == 3 and "bad" not in e for e in ev),
              "every input message is for scanout 3 from an INPUT subscriber")
        check(len(abs_ev) >= 1, "absolute motion arrived (%d)" % len(abs_ev))

        # Typing: the canvas has focus from the click.
        text = "Hello world"
        n0 = len(events(log))
        pa.type_text(text)
        want = expected_keys(text)
        ev = wait_log(log, n0, lambda e: len(keys_of(e)) >= len(want), 20, "the typed keys")
        check(keys_of(ev) == want, "typed %r arrives as evdev codes in order, press then release"
              " (%d events)" % (text, len(keys_of(ev))))

        # Wheel: one notch down.
        n0 = len(events(log))
        pa.wheel(px, py, dy=120)
        ev = wait_log(log, n0, lambda e: any(x["type"] == "wheel" for x in e), 20, "the wheel")
        wh = [e for e in ev if e["type"] == "wheel"]
        check(len(wh) >= 1 and sum(e["y"] for e in wh) > 0 and all(e["x"] == 0 for e in wh),
              "wheel down arrives as INPUT_WHEEL y > 0 (%s)" % [(e["x"], e["y"]) for e in wh])

        # Resize: "fit to window" (debounced) -> RESIZE_REQ 1000x700.
        n0 = len(events(log))
        pa.evaluate("document.getElementById('fit').click()")
        ev = wait_log(log, n0, lambda e: any(x["type"] == "resize" for x in e), 20, "the resize")
        rs = [(e["width"], e["height"]) for e in ev if e["type"] == "resize"]
        check(rs == [(1000, 700)], "fit to window -> RESIZE_REQ %s (want 1000x700)" % rs)

        # Touch: one finger down and up over the same pixel.
        pa.enable_touch()
        n0 = len(events(log))
        pa.touch("touchStart", [(px, py)])
        pa.touch("touchEnd", [])
        ev = wait_log(log, n0, lambda e: any(x["type"] == "touch" and x["kind"] == 2 for x in e),
                      20, "the touch")
        tv = [(e["kind"], e["slot"], e["x"], e["y"]) for e in ev if e["type"] == "touch"]
        check(len(tv) == 2 and tv[0][:2] == (0, 0) and abs(tv[0][2] - tx) <= 1 and
              abs(tv[0][3] - ty) <= 1 and tv[1][:2] == (2, 0),
              "a touch arrives as INPUT_TOUCH begin/end in slot 0 at the pixel (%s)" % tv)

        # A view-only viewer: its events are refused by the page and, sent
        # anyway as raw Helix messages, by the bridge; nothing goes up.
        pb = bb.page()
        pb.viewport(800, 600, 1.0)
        pb.navigate(page_url + a.view_token)
        pb.wait_for("stats.control === false && stats.framesDecoded > 0", 60,
                    "viewer B: view-only rights and a decoded frame")
        n0 = len(events(log))
        rb = pb.rect("#video")
        pb.click(rb["x"] + 50, rb["y"] + 50)
        pb.type_text("k")
        pb.evaluate("ws.send(new Uint8Array([0x10, 0, 1, 0, 0, 37])); "
                    "ws.send(new Uint8Array([0x11, 2, 1, 1])); "
                    "ws.send(new Uint8Array([0x61, 4, 0, 3, 0]))")
        errs = pb.wait_for("stats.inputErrors.length > 0 && stats.inputErrors", 20,
                           "viewer B's InputError")
        check(errs[0]["code"] == 2 and "view" in errs[0]["text"],
              "view-only viewer's input refused with InputError 2 (%s)" % errs[0])
        time.sleep(1.0)  # anything that leaked would be in the log by now
        leaked = events(log)[n0:]
        check(leaked == [], "nothing from the view-only viewer went upstream (%s)" % leaked[:5])

        # A malformed input message (truncated Key) from B: an InputError 1;
        # viewer A keeps working.
        pb.evaluate("stats.inputErrors = []; ws.send(new Uint8Array([0x10, 0, 1]))")
        errs = pb.wait_for("stats.inputErrors.length > 0 && stats.inputErrors", 20,
                           "the malformed message's InputError")
        check(errs[0]["code"] == 1 and "Key is 6 bytes" in errs[0]["text"],
              "malformed input -> InputError 1 saying why (%s)" % errs[0])
        n0 = len(events(log))
        pa.type_text("ok")
        ev = wait_log(log, n0, lambda e: len(keys_of(e)) >= 4, 20, "A's keys after B's junk")
        check(keys_of(ev) == expected_keys("ok"), "viewer A still types (%s)" % keys_of(ev))
        check(pa.evaluate("ws.readyState") == 1 and pb.evaluate("ws.readyState") == 1,
              "both viewers still connected")

        # A flood of malformed messages: B is disconnected, A is not.
        pb.evaluate("for (let i = 0; i < 80; i++) ws.send(new Uint8Array([0x11]))")
        gone = pb.wait_for("(ws.readyState === 3 || stats.status === 'disconnected') && "
                           "stats.status", 20, "viewer B disconnected after 64 malformed messages")
        check(gone == "disconnected",
              "a viewer sending over 64 malformed messages is disconnected (%s)" % gone)
        n0 = len(events(log))
        pa.type_text("ok")
        ev = wait_log(log, n0, lambda e: len(keys_of(e)) >= 4, 20, "A's keys after B's flood")
        check(keys_of(ev) == expected_keys("ok") and pa.evaluate("ws.readyState") == 1,
              "viewer A is unaffected (%s)" % keys_of(ev))

        # A key held when the page closes: released upstream.
        n0 = len(events(log))
        pa.key_down("KeyQ")
        wait_log(log, n0, lambda e: (16, 1) in keys_of(e), 20, "KeyQ down")
        check((16, 1) in keys_of(events(log)[n0:]), "KeyQ held down upstream")
        pa.close()
        ev = wait_log(log, n0, lambda e: (16, 0) in keys_of(e) or
                      any(x["type"] == "release_all" for x in e), 20, "the release on close")
        check((16, 0) in keys_of(ev) or any(x["type"] == "release_all" for x in ev),
              "closing the page with KeyQ held releases it upstream (%s)"
              % [x for x in ev if x["type"] in ("key", "release_all")])
    finally:
        ba.close()
        bb.close()
    sys.exit(1 if verdicts.fails else 0)


if __name__ == "__main__":
    main()
