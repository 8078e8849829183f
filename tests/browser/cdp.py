#!/usr/bin/env python3
"""Drive headless Chromium through the Chrome DevTools Protocol, with real
input events: a small reusable module and a CLI, Python 3 stdlib only.

Chromium runs with --remote-debugging-pipe: it reads commands on its fd 3
and writes answers and events on its fd 4, each one JSON object followed
by a NUL byte. One page target is attached in flat mode (a sessionId on
every page command).

Module:
    b = Browser(chromium="/usr/bin/chromium", profile="/tmp/p", log="/tmp/c.log")
    p = b.page()                          # the first page, attached
    p.viewport(1000, 700, scale=1.0)      # Emulation.setDeviceMetricsOverride
    p.navigate("http://127.0.0.1:8080/")  # waits for the load event
    p.wait_for("stats.control === true", 30, "the bridge's Rights")
    r = p.rect("#video")                  # {'x','y','width','height'} in CSS px
    p.click(x, y)                         # move, press, release (left button)
    p.type_text("Hello, world")           # key down/up per character, Shift for capitals
    p.key("Enter") / p.key_down("ShiftLeft") / p.key_up("ShiftLeft")
    p.wheel(x, y, dx=0, dy=120)           # one mouseWheel event, CSS pixels
    p.enable_touch(); p.touch("touchStart", [(x, y)]); p.touch("touchEnd", [])
    p.evaluate("1 + 1")                   # Runtime.evaluate, by value
    b.close()

CLI (actions run in order, each one argument):
    cdp.py [--chromium PATH] [--profile DIR] [--width W --height H --scale S]
           URL [wait:JS] [type:TEXT] [key:CODE] [click:X,Y] [wheel:X,Y,DY]
               [eval:JS] [sleep:SECONDS] ...
  Points are page CSS pixels; "click:#video@0.5,0.25" clicks at fractions
  of an element's box. eval prints the value as JSON.
"""
import json
import os
import subprocess
import sys
import time

# What works in the project's CI (Debian chromium, no GPU, no network):
# the same flags as tests/bridge/bridge-lib.sh (bridge_chromium).
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required"]


class CDPError(Exception):
    pass


# KeyboardEvent.code, key, Windows virtual key code for what type_text types.
def _key_for_char(ch):
    if "a" <= ch <= "z":
        return "Key" + ch.upper(), ch, ord(ch.upper()), False
    if "A" <= ch <= "Z":
        return "Key" + ch, ch, ord(ch), True
    if "0" <= ch <= "9":
        return "Digit" + ch, ch, ord(ch), False
    table = {" ": ("Space", " ", 32, False), ".": ("Period", ".", 190, False),
             ",": ("Comma", ",", 188, False), "-": ("Minus", "-", 189, False),
             "/": ("Slash", "/", 191, False), ";": ("Semicolon", ";", 186, False),
             "!": ("Digit1", "!", 49, True), "\n": ("Enter", "Enter", 13, False)}
    if ch not in table:
        raise CDPError("type_text cannot type %r" % ch)
    return table[ch]


_NAMED = {"Enter": ("Enter", 13), "Tab": ("Tab", 9), "Backspace": ("Backspace", 8),
          "Escape": ("Escape", 27), "ShiftLeft": ("Shift", 16), "ControlLeft": ("Control", 17),
          "AltLeft": ("Alt", 18), "ArrowLeft": ("ArrowLeft", 37), "ArrowUp": ("ArrowUp", 38),
          "ArrowRight": ("ArrowRight", 39), "ArrowDown": ("ArrowDown", 40)}


class Browser:
    """One Chromium process on a DevTools pipe."""

    def __init__(self, chromium=None, profile=None, log=None, args=(), url="about:blank"):
        chromium = chromium or os.environ.get("LC_CHROMIUM", "/usr/bin/chromium")
        profile = profile or "/tmp/cdp-profile-%d" % os.getpid()
        os.makedirs(profile, exist_ok=True)
        # Our ends: we write to_chrome_w, read from_chrome_r. Chromium's: fd 3
        # (commands in) and fd 4 (answers out).
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()

        def child_fds():
            # Via high numbers first: either pipe end may itself be fd 3 or 4.
            import fcntl
            r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)
            os.setsid()  # its own group: close() ends every child process

        logf = open(log, "ab") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [chromium] + FLAGS + ["--remote-debugging-pipe", "--user-data-dir=" + profile]
            + list(args) + [url],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, preexec_fn=child_fds,
            pass_fds=(3, 4))  # kept open after child_fds made them
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._next = 0
        self.events = []  # (sessionId, method, params), oldest first

    def _send(self, msg):
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self._w, data)
            data = data[n:]

    def _read_one(self, deadline):
        import select
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError("no answer from Chromium in time")
            ready, _, _ = select.select([self._r], [], [], left)
            if ready:
                chunk = os.read(self._r, 1 << 16)
                if not chunk:
                    raise CDPError("Chromium closed the DevTools pipe (exit %s)" % self.proc.poll())
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None, timeout=30):
        """One command; its result (a dict), or CDPError with its error."""
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._send(msg)
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_one(deadline)
            if m.get("id") == self._next:
                if "error" in m:
                    raise CDPError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append((m.get("sessionId"), m["method"], m.get("params", {})))

    def wait_event(self, method, session=None, timeout=30):
        """The next event METHOD (of SESSION), already received or coming."""
        deadline = time.monotonic() + timeout
        while True:
            for i, (s, meth, p) in enumerate(self.events):
                if meth == method and (session is None or s == session):
                    del self.events[i]
                    return p
            m = self._read_one(deadline)
            if "method" in m:
                self.events.append((m.get("sessionId"), m["method"], m.get("params", {})))

    def page(self, timeout=30):
        """The first page target, attached (flat session)."""
        deadline = time.monotonic() + timeout
        while True:
            targets = self.call("Target.getTargets")["targetInfos"]
            pages = [t for t in targets if t["type"] == "page"]
            if pages:
                break
            if time.monotonic() > deadline:
                raise CDPError("Chromium opened no page")
            time.sleep(0.1)
        sid = self.call("Target.attachToTarget",
                        {"targetId": pages[0]["targetId"], "flatten": True})["sessionId"]
        return Page(self, sid, pages[0]["targetId"])

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except (CDPError, OSError):
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
            self.proc.wait()
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass


class Page:
    """One attached page: navigation, evaluation and real input events."""

    def __init__(self, browser, session, target):
        self.b, self.session, self.target = browser, session, target
        self.call("Page.enable")
        self.call("Runtime.enable")
        self._buttons = 0

    def call(self, method, params=None, timeout=30):
        return self.b.call(method, params, self.session, timeout)

    def navigate(self, url, timeout=30):
        self.call("Page.navigate", {"url": url})
        self.b.wait_event("Page.loadEventFired", self.session, timeout)

    def close(self):
        """Closes this page (its pagehide runs), not the browser."""
        self.b.call("Target.closeTarget", {"targetId": self.target})

    def viewport(self, width, height, scale=1.0, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile})

    def evaluate(self, expr, timeout=30):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True}, timeout)
        if "exceptionDetails" in r:
            raise CDPError("%s: %s" % (expr, r["exceptionDetails"].get("exception", {})
                                       .get("description", r["exceptionDetails"])))
        return r["result"].get("value")

    def wait_for(self, expr, timeout, what):
        """Polls EXPR until truthy; its value. CDPError names WHAT on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            v = self.evaluate(expr)
            if v:
                return v
            if time.monotonic() > deadline:
                raise CDPError("waited %.0f s for %s (%s)" % (timeout, what, expr))
            time.sleep(0.1)

    def rect(self, selector):
        return self.evaluate("(() => { const r = document.querySelector(%s)"
                             ".getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width,"
                             " height: r.height}; })()" % json.dumps(selector))

    # -- mouse
    def mouse(self, kind, x, y, button="none", **extra):
        p = {"type": kind, "x": x, "y": y, "button": button, "buttons": self._buttons}
        p.update(extra)
        self.call("Input.dispatchMouseEvent", p)

    def move(self, x, y):
        self.mouse("mouseMoved", x, y)

    def click(self, x, y, button="left"):
        bit = {"left": 1, "right": 2, "middle": 4}[button]
        self.move(x, y)
        self._buttons |= bit
        self.mouse("mousePressed", x, y, button, clickCount=1)
        self._buttons &= ~bit
        self.mouse("mouseReleased", x, y, button, clickCount=1)

    def wheel(self, x, y, dx=0, dy=0):
        self.mouse("mouseWheel", x, y, deltaX=dx, deltaY=dy)

    # -- touch: points [(x, y), ...]; kind touchStart/touchMove/touchEnd/touchCancel
    # (touchEnd and touchCancel with the points that remain, usually []).
    def enable_touch(self, points=5):
        self.call("Emulation.setTouchEmulationEnabled", {"enabled": True,
                                                        "maxTouchPoints": points})

    def touch(self, kind, points):
        self.call("Input.dispatchTouchEvent",
                  {"type": kind, "touchPoints": [{"x": x, "y": y, "id": i}
                                                 for i, (x, y) in enumerate(points)]})

    # -- keyboard
    def _key(self, kind, code, key, vk, text=None, modifiers=0):
        p = {"type": kind, "code": code, "key": key, "windowsVirtualKeyCode": vk,
             "nativeVirtualKeyCode": vk, "modifiers": modifiers}
        if text is not None:
            p["text"] = p["unmodifiedText"] = text
        self.call("Input.dispatchKeyEvent", p)

    def key_down(self, code, modifiers=0):
        key, vk = _NAMED.get(code, (code, 0))
        self._key("rawKeyDown", code, key, vk, modifiers=modifiers)

    def key_up(self, code, modifiers=0):
        key, vk = _NAMED.get(code, (code, 0))
        self._key("keyUp", code, key, vk, modifiers=modifiers)

    def key(self, code):
        self.key_down(code)
        self.key_up(code)

    def type_text(self, text, gap_s=0.0):
        """Each character pressed and released; GAP_S between characters
        (a person's pace, not a burst)."""
        for i, ch in enumerate(text):
            if i and gap_s:
                time.sleep(gap_s)
            code, key, vk, shift = _key_for_char(ch)
            mods = 8 if shift else 0
            if shift:
                self._key("rawKeyDown", "ShiftLeft", "Shift", 16, modifiers=8)
            self._key("keyDown", code, key, vk, text=key if len(key) == 1 else "\r",
                      modifiers=mods)
            self._key("keyUp", code, key, vk, modifiers=mods)
            if shift:
                self._key("keyUp", "ShiftLeft", "Shift", 16)


def _point(page, spec):
    """"X,Y" in CSS pixels, or "SELECTOR@FX,FY" in fractions of its box."""
    if "@" in spec:
        sel, frac = spec.rsplit("@", 1)
        fx, fy = (float(v) for v in frac.split(","))
        r = page.rect(sel)
        return r["x"] + fx * r["width"], r["y"] + fy * r["height"]
    x, y = (float(v) for v in spec.split(",")[:2])
    return x, y


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Drive headless Chromium with real input events.")
    ap.add_argument("--chromium")
    ap.add_argument("--profile")
    ap.add_argument("--log")
    ap.add_argument("--width", type=int, default=1000)
    ap.add_argument("--height", type=int, default=700)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("url")
    ap.add_argument("actions", nargs="*")
    a = ap.parse_args(argv)
    b = Browser(a.chromium, a.profile, a.log)
    try:
        p = b.page()
        p.viewport(a.width, a.height, a.scale)
        p.navigate(a.url)
        for act in a.actions:
            verb, _, arg = act.partition(":")
            if verb == "wait":
                p.wait_for(arg, 60, arg)
            elif verb == "type":
                p.type_text(arg)
            elif verb == "key":
                p.key(arg)
            elif verb == "click":
                p.click(*_point(p, arg))
            elif verb == "wheel":
                spec, _, dy = arg.rpartition(",")
                x, y = _point(p, spec)
                p.wheel(x, y, dy=float(dy))
            elif verb == "eval":
                print(json.dumps(p.evaluate(arg)))
            elif verb == "sleep":
                time.sleep(float(arg))
            else:
                raise SystemExit("unknown action %r" % act)
    finally:
        b.close()


if __name__ == "__main__":
    main(sys.argv[1:])
