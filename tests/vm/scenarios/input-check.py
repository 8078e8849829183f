#!/usr/bin/env python3
"""Judges lc-wl-input-client's JSON lines against the input the host sent.

  input-check.py ready EVENTS SECS
      waits until the client is ready for input: shown (ready), a keyboard
      and a pointer on its seat, keyboard focus (keyboard_enter).
  input-check.py pointer EVENTS I X Y W H SECS
      waits (at most SECS) until the client's last pointer position is the
      surface point matching console point X,Y of a WxH console (1 px).
  input-check.py pressed EVENTS CODE SECS
      waits (at most SECS) until the client has seen key CODE pressed and
      not released since.
  input-check.py verify EVENTS EXPECT SECS [--redraw]
      EXPECT is the host's record (comp_host_input in compositor-lib.sh):
      {"keys": [[code, text], ...] (presses in order), "text": ...,
       "click": [x, y], "console": [w, h], "down": N, "up": M,
       "host_checks": {name: bool}}.
      Waits (at most SECS) until everything expected has arrived, then
      checks: the key presses in order, each released, their text
      concatenated equal to "text"; a left click (BTN_LEFT pressed and
      released) at the surface point matching the console point (within
      one pixel); N wheel notches down then M up (vertical axis events:
      positive is down); every host check true; with --redraw, a repaint
      for every key press.
Prints what it found; exit 0 when all holds, 1 otherwise.
"""
import json
import sys
import time

BTN_LEFT = 0x110


def events(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                if not line.endswith("\n"):
                    break  # being written
                try:
                    out.append(json.loads(line))
                except ValueError:
                    out.append({"ev": "unparsable", "line": line[:200]})
    except FileNotFoundError:
        pass
    return out


def is_ready(evs):
    ready = any(e["ev"] == "ready" for e in evs)
    caps = [e.get("caps", []) for e in evs if e["ev"] == "seat"]
    caps = caps[-1] if caps else []
    focus = any(e["ev"] == "keyboard_enter" for e in evs)
    return ready and "keyboard" in caps and "pointer" in caps and focus, {
        "ready": ready, "caps": caps, "keyboard_focus": focus}


def surface_size(evs):
    conf = [e for e in evs if e["ev"] == "configured"]
    return (conf[-1]["w"], conf[-1]["h"]) if conf else (0, 0)


def last_pointer(evs):
    pos = None
    for e in evs:
        if e["ev"] in ("pointer_enter", "motion"):
            pos = (e["x"], e["y"])
    return pos


def wheel_steps(evs):
    """Signs of the vertical axis events from the click on, one per notch
    (sway delivers the click's release after the first notches)."""
    after = False
    steps = []
    for e in evs:
        if e["ev"] == "button" and e["button"] == BTN_LEFT and e["state"] == "pressed":
            after = True
        elif after and e["ev"] == "axis" and e["axis"] == 0 and e["value"] != 0:
            steps.append(1 if e["value"] > 0 else -1)
    return steps


def complete(evs, exp):
    keys = [e for e in evs if e["ev"] == "key"]
    presses = [e for e in keys if e["state"] == "pressed"]
    releases = [e for e in keys if e["state"] == "released"]
    buttons = [e for e in evs if e["ev"] == "button" and e["button"] == BTN_LEFT]
    steps = wheel_steps(evs)
    return (len(presses) >= len(exp["keys"]) and len(releases) >= len(exp["keys"]) and
            len(buttons) >= 2 and len(steps) >= exp["down"] + exp["up"])


def verify(evs, exp, redraw):
    ok = True
    report = {}

    def fail(what):
        nonlocal ok
        ok = False
        report.setdefault("failures", []).append(what)

    failed = [k for k, v in exp.get("host_checks", {}).items() if not v]
    report["host_checks"] = exp.get("host_checks", {})
    if failed:
        fail(f"host checks failed: {failed}")
    bad = [e for e in evs if e["ev"] == "unparsable"]
    if bad:
        fail(f"unparsable lines: {bad[:2]}")
    keys = [e for e in evs if e["ev"] == "key"]
    presses = [e for e in keys if e["state"] == "pressed"]
    want_codes = [k[0] for k in exp["keys"]]
    got_codes = [e["code"] for e in presses]
    report["presses"] = len(presses)
    if got_codes != want_codes:
        fail(f"key presses {got_codes}, sent {want_codes}")
    text = "".join(e["text"] for e in presses)
    report["text"] = text
    if text != exp["text"]:
        fail(f"text {text!r}, typed {exp['text']!r}")
    down = {}
    for e in keys:
        down[e["code"]] = e["state"] == "pressed"
    if any(down.values()):
        fail(f"keys left down: {[c for c, d in down.items() if d]}")

    w, h = surface_size(evs)
    cw, ch = exp["console"]
    ex, ey = exp["click"][0] * w / cw, exp["click"][1] * h / ch
    pos = None
    pressed_at = None
    released = False
    for e in evs:
        if e["ev"] in ("pointer_enter", "motion"):
            pos = (e["x"], e["y"])
        elif e["ev"] == "button" and e["button"] == BTN_LEFT:
            if e["state"] == "pressed" and pressed_at is None:
                pressed_at = pos
            elif e["state"] == "released" and pressed_at is not None:
                released = True
    report["click"] = {"surface": [w, h], "expected": [round(ex, 2), round(ey, 2)],
                       "at": pressed_at, "released": released}
    if pressed_at is None:
        fail("no left button press (or no pointer position before it)")
    elif abs(pressed_at[0] - ex) > 1 or abs(pressed_at[1] - ey) > 1:
        fail(f"click at {pressed_at}, expected ({ex:.2f}, {ey:.2f}) within 1 px")
    if not released:
        fail("the left button was not released")

    steps = wheel_steps(evs)
    want = [1] * exp["down"] + [-1] * exp["up"]
    report["wheel"] = {
        "steps": steps,
        "discrete": sum(e["discrete"] for e in evs if e["ev"] == "axis_discrete" and e["axis"] == 0),
        "value120": sum(e["value120"] for e in evs if e["ev"] == "axis_value120" and e["axis"] == 0),
    }
    if steps != want:
        fail(f"wheel steps {steps}, sent {want} (1 down, -1 up)")

    if redraw:
        draws = [e for e in evs if e["ev"] == "draw" and e["cause"] == "key"]
        last = draws[-1]["color_n"] if draws else 0
        report["redraws"] = {"draws": len(draws), "last_color_n": last}
        if last != len(presses):
            fail(f"last repaint is colour change {last}, {len(presses)} presses")
    return ok, report


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "ready":
        path, secs = sys.argv[2], float(sys.argv[3])
        end = time.monotonic() + secs
        while True:
            ok, state = is_ready(events(path))
            if ok or time.monotonic() >= end:
                break
            time.sleep(0.1)
        print(("ready for input: " if ok else f"not ready for input within {secs:.0f} s: ") +
              json.dumps(state))
        return 0 if ok else 1
    if len(sys.argv) >= 9 and sys.argv[1] == "pointer":
        path = sys.argv[2]
        x, y, cw, ch = (float(v) for v in sys.argv[4:8])
        end = time.monotonic() + float(sys.argv[8])
        while True:
            evs = events(path)
            w, h = surface_size(evs)
            pos = last_pointer(evs)
            ok = (pos is not None and w > 0 and abs(pos[0] - x * w / cw) <= 1 and
                  abs(pos[1] - y * h / ch) <= 1)
            if ok or time.monotonic() >= end:
                break
            time.sleep(0.1)
        print(f"pointer {'at' if ok else 'not at'} ({x * w / cw:.2f}, {y * h / ch:.2f}): last {pos}")
        return 0 if ok else 1
    if len(sys.argv) >= 5 and sys.argv[1] == "pressed":
        path, code = sys.argv[2], int(sys.argv[3])
        end = time.monotonic() + float(sys.argv[4])
        while True:
            down = None
            for e in events(path):
                if e["ev"] == "key" and e["code"] == code:
                    down = e["state"] == "pressed"
            if down or time.monotonic() >= end:
                break
            time.sleep(0.1)
        print(f"key {code} {'down' if down else 'not down'}")
        return 0 if down else 1
    if len(sys.argv) >= 5 and sys.argv[1] == "verify":
        path, exp_path, secs = sys.argv[2], sys.argv[3], float(sys.argv[4])
        redraw = "--redraw" in sys.argv[5:]
        exp = json.load(open(exp_path))
        t0 = time.monotonic()
        while not complete(events(path), exp) and time.monotonic() - t0 < secs:
            time.sleep(0.1)
        waited = time.monotonic() - t0
        ok, report = verify(events(path), exp, redraw)
        report["waited_s"] = round(waited, 2)
        print(json.dumps(report))
        return 0 if ok else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
