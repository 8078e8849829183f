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
from rig_host import (BRIDGE, CHROMIUM, EXPORTER, INPUT_HELD, INPUT_TEXT, OUT, TMP, WWW,  # noqa: E402
                      free_port, hold_until_seen, leased_signals, log, move_until_seen,
                      run_input_driver, secret_file, send_input_record, signal_content,
                      start_bridge, stop, stream_key, wait_signal)

TEXT, HELD = INPUT_TEXT, INPUT_HELD


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

        seen, x, y = move_until_seen(name, lambda x, y: p.move(*page_point(x, y)), w, h)
        log("%s: pointer seen where it was put after %s moves" % (name, seen or "no (60)"))
        px, py = page_point(x, y)
        p.click(px, py)
        for dy in (120, 120, 120, -120, -120):  # 120 px = one notch (viewer.js)
            p.wheel(px, py, dy=dy)

        # 4. A key held while the browser goes away.
        p.key_down(HELD[0])
        checks["held_key_seen"] = hold_until_seen(name, HELD[1])
        # Killed, not closed: the page's own ReleaseAll (pagehide) never
        # runs, so the release can only come from the bridge, when the
        # viewer's connection drops.
        os.killpg(b.proc.pid, signal_mod.SIGKILL)
        b.close()
        b = None
        log("%s: the browser was killed with %s down" % (name, HELD[0]))
        send_input_record(name, (x, y), (w, h), checks)
        log("%s: typed %r, clicked (%d, %d), wheel 3 down 2 up, held %s; host checks %s" %
            (name, TEXT, x, y, HELD[0], checks))
    finally:
        if b is not None:
            b.close()
        stop(bridge)


if __name__ == "__main__":
    run_input_driver(main)
