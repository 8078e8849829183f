#!/usr/bin/env python3
"""Host side of the compositor scenarios' input test, through the browser:
real key, mouse and wheel events in headless Chromium (tests/browser/cdp.py)
on the viewer page of a leasecast-frame-bridge that serves the tenant's
scanout with the tenant's stream key; the bridge forwards them over HXFR to
qemu-frame-exporter, which makes them Keyboard/Mouse calls on QEMU's console
of that scanout; the guest's virtio-input devices bound to that head carry
them to the compositor and its client (lc-wl-input-client), which the guest
judges (input-check.py verify) against the record this writes.

  browser-input.py NAME [--other-scanout S|auto]

Waits for the guest's signal input-ready-NAME (its content: the scanout),
takes the stream key lease-launch got (signal leased-NAME "S KEY"), starts
the bridge on loopback with a control token and a view token, then:
  1. a view-only viewer (?token=VIEW) types and clicks: its page sends
     nothing; raw input messages it sends anyway are refused by the bridge
     (an InputError on the page), so nothing reaches the guest;
  2. with --other-scanout S (auto: another compositor's leased scanout): a
     bridge for scanout S with this tenant's key is refused by the exporter
     (a viewer cannot reach another's output);
  3. the control viewer (?token=CONTROL), at CSS scale 1/2, types a text
     (Shift for capitals and "!"), moves the pointer between two points
     until the guest's client has seen it where it was put (signals
     input-pointer-NAME / input-pointer-ok-NAME), clicks there, turns the
     wheel 3 notches down and 2 up;
  4. presses a key and holds it until the guest's client has seen the
     press (signals input-held-NAME / input-held-ok-NAME), then kills the
     browser with the key down: the bridge must release it, which the
     guest's check sees (no key left down).
Then signals input-sent-NAME with the record: {"keys", "text", "click",
"console", "down", "up", "host_checks"}; a false host check fails the
guest's verdict. Logs: $LC_OUT/bridge-NAME*.log, chrome-NAME*.log."""
import json
import os
import signal as signal_mod
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ["LC_SRC"], "tests", "browser"))
sys.path.insert(0, os.path.join(os.environ["LC_SRC"], "tests", "vm"))
import cdp  # noqa: E402
from rig_host import (BRIDGE, CHROMIUM, EXPORTER, OUT, TMP, WWW, free_port,  # noqa: E402
                      leased_signals, log, secret_file, signal, signal_content, start_bridge,
                      stop, stream_key, wait_signal)

TEXT = "Hello, leasecast 42!"
HELD = ("KeyQ", 16)  # the key held when the browser closes
# evdev codes (input-event-codes.h) of what TEXT types; Shift is 42.
EVDEV = dict(zip("qwertyuiop", range(16, 26)))
EVDEV.update(zip("asdfghjkl", range(30, 39)))
EVDEV.update(zip("zxcvbnm", range(44, 51)))
EVDEV.update(zip("1234567890", range(2, 12)))
EVDEV.update({" ": 57, ",": 51, ".": 52, "-": 12, "!": 2})
SHIFT = 42


def expected_keys(text):
    keys = []
    for ch in text:
        shifted = ch.isupper() or ch == "!"
        if shifted:
            keys.append([SHIFT, ""])
        keys.append([EVDEV[ch.lower()], ch])
    return keys


def open_viewer(p, url, w, h):
    """Page P on the viewer at CSS scale 1/2 of the stream (the canvas
    spans the page's width), once it has decoded a frame."""
    p.viewport(max(320, w // 2), max(240, h // 2 + 120))
    p.navigate(url, 60)
    p.wait_for("stats.framesDecoded > 0 && stats.width > 0 && stats.control !== null", 120,
               "the viewer's first decoded frame and its rights")
    p.evaluate("document.getElementById('video').focus()")
    return p


def main():
    name = sys.argv[1]
    other = sys.argv[sys.argv.index("--other-scanout") + 1] if "--other-scanout" in sys.argv else None
    scanout = wait_signal("input-ready-" + name, 900)
    key_path = os.path.join(TMP, "stream-key-" + name)
    secret_file(key_path, stream_key(scanout))
    control_path = os.path.join(TMP, "control-token-" + name)
    view_path = os.path.join(TMP, "view-token-" + name)
    control, view = secret_file(control_path), secret_file(view_path)
    checks = {}

    if other == "auto":  # another tenant's leased scanout
        others = [s[1] for s in leased_signals() if s[1] != scanout]
        other = others[-1] if others else None
        checks["other_scanout_found"] = other is not None
    if other is not None:
        # This tenant's key presented for another's output.
        r = subprocess.run([BRIDGE, "--exporter", EXPORTER, "--scanout", other, "--key-file",
                            key_path, "--listen", "127.0.0.1:%d" % free_port(), "--www", WWW],
                           capture_output=True, text=True, timeout=60)
        with open(os.path.join(OUT, "bridge-%s-other.log" % name), "w") as f:
            f.write(r.stdout + r.stderr)
        checks["other_scanout_refused"] = (r.returncode == 2 and
                                           "exporter refused the stream key" in r.stderr + r.stdout)
        log("%s: a bridge for scanout %s with this key: status %d" % (name, other, r.returncode))

    bridge, port = start_bridge(name, scanout, key_path, "--control-token-file", control_path,
                                "--view-token-file", view_path)
    b = None
    try:
        base = "http://127.0.0.1:%d/" % port
        b = cdp.Browser(CHROMIUM, os.path.join(TMP, "chrome-" + name),
                        os.path.join(OUT, "chrome-%s.log" % name))

        # 1. The view-only viewer: everything it sends is refused.
        pv = b.page()
        pv.viewport(960, 660)
        pv.navigate(base + "?token=" + view, 60)
        pv.wait_for("stats.framesDecoded > 0 && stats.control === false", 120,
                    "the view-only viewer's frame and its rights")
        w, h = pv.evaluate("[stats.width, stats.height]")
        pv.evaluate("document.getElementById('video').focus()")
        r = pv.rect("#video")
        # The page itself sends nothing without the control right...
        pv.type_text("view")
        pv.click(r["x"] + r["width"] / 3, r["y"] + r["height"] / 3)
        checks["view_only_page_sends_nothing"] = pv.evaluate("stats.inputSent") == 0
        # ...and a page that sends anyway (Helix's Key message for KEY_A,
        # down then up) is refused by the bridge.
        pv.evaluate("ws.send(new Uint8Array([0x10, 0, 1, 0, 0, 0x1e]));"
                    "ws.send(new Uint8Array([0x10, 0, 0, 0, 0, 0x1e])); true")
        errs = pv.wait_for("stats.inputErrors.length > 0 && stats.inputErrors", 30,
                           "an InputError for the view-only viewer's input")
        checks["view_only_refused"] = bool(errs) and all(e["code"] == 2 for e in errs)
        log("%s: view-only viewer's input refused: %s" % (name, errs[:2]))

        # 3. The control viewer, in the same tab (the view-only viewer's
        # connection ends with the navigation).
        p = open_viewer(pv, base + "?token=" + control, w, h)
        checks["control_rights"] = p.evaluate("stats.control") is True
        log("%s: console %s is %dx%d; the page shows it at CSS scale %.3f" %
            (name, scanout, w, h, p.rect("#video")["width"] / w))
        p.type_text(TEXT)

        def page_point(cx, cy):
            r = p.rect("#video")
            # The middle of console pixel (cx, cy)'s quarter: the page
            # floors (client - left) / width * W.
            return (r["x"] + (cx + 0.25) * r["width"] / w, r["y"] + (cy + 0.25) * r["height"] / h)

        # Points off the centre and off any exact fraction of the size, even
        # so that a page pixel (two console pixels) lands on them exactly.
        pts = [((w * 613 // 1920) & ~1, (h * 401 // 1080) & ~1),
               ((w * 1307 // 1920) & ~1, (h * 683 // 1080) & ~1)]
        seen = None
        for i in range(60):
            x, y = pts[i % 2]
            p.move(*page_point(x, y))
            rec = "%d %d %d %d %d" % (i, x, y, w, h)
            signal("input-pointer-" + name, rec)
            end = time.monotonic() + 4
            while time.monotonic() < end and signal_content("input-pointer-ok-" + name) != rec:
                time.sleep(0.1)
            if signal_content("input-pointer-ok-" + name) == rec:
                seen = i + 1
                break
        log("%s: pointer seen where it was put after %s moves" % (name, seen or "no (60)"))
        px, py = page_point(x, y)
        p.click(px, py)
        for dy in (120, 120, 120, -120, -120):  # 120 px = one notch (viewer.js)
            p.wheel(px, py, dy=dy)

        # 4. A key held while the browser goes away.
        p.key_down(HELD[0])
        signal("input-held-" + name, str(HELD[1]))
        end = time.monotonic() + 60
        while time.monotonic() < end and signal_content("input-held-ok-" + name) != str(HELD[1]):
            time.sleep(0.1)
        checks["held_key_seen"] = signal_content("input-held-ok-" + name) == str(HELD[1])
        # Killed, not closed: the page's own ReleaseAll (pagehide) never
        # runs, so the release can only come from the bridge, when the
        # viewer's connection drops.
        os.killpg(b.proc.pid, signal_mod.SIGKILL)
        b.close()
        b = None
        log("%s: the browser was killed with %s down" % (name, HELD[0]))
        keys = expected_keys(TEXT) + [[HELD[1], "q"]]
        record = {"keys": keys, "text": TEXT + "q", "click": [x, y], "console": [w, h],
                  "down": 3, "up": 2, "host_checks": checks}
        signal("input-sent-" + name, json.dumps(record))
        log("%s: typed %r, clicked (%d, %d), wheel 3 down 2 up, held %s; host checks %s" %
            (name, TEXT, x, y, HELD[0], checks))
    finally:
        if b is not None:
            b.close()
        stop(bridge)


if __name__ == "__main__":
    try:
        main()
    except BaseException as e:  # the guest is waiting: tell it, then fail
        name = sys.argv[1] if len(sys.argv) > 1 else "?"
        if signal_content("input-sent-" + name) is None:
            signal("input-sent-" + name, json.dumps({
                "keys": [], "text": "", "click": [0, 0], "console": [1, 1], "down": 0, "up": 0,
                "host_checks": {"driver_ran": False}, "error": repr(e)}))
        raise
