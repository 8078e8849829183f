#!/usr/bin/env python3
"""The demo's look at its own viewer page (scripts/demo-host.sh runs it):
headless Chromium (tests/browser/cdp.py) on the page, a screenshot once it
has decoded frames; then, with --type, the demo is used from the page as a
person would: a click into the terminal on the desktop (foot, tiled under
the two floating windows) and a command typed there, which the guest sees
run; and a second screenshot with the typed text on it.

  demo_view.py URL PNG PROFILE LOG [--type TEXT --click X,Y --typed-png PNG2
               [--focus-file F --focus-want APP_ID] [--wait-file F]]

X,Y are in the desktop's pixels (the page maps them through its CSS
scale). The guest writes the focused window's app_id to the focus file and
makes the wait file once the typed command ran. Exits non-zero with the reason when a step fails."""
import base64
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "browser"))
import cdp  # noqa: E402


def shot(page, path):
    data = page.call("Page.captureScreenshot", {"format": "png"})["data"]
    with open(path, "wb") as f:
        f.write(base64.b64decode(data))


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def wait_file(path, timeout, want=None):
    """True once PATH exists (and holds WANT, if given) within TIMEOUT s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = read(path)
        if v is not None and (want is None or v == want):
            return True
        time.sleep(0.2)
    return False


def main(argv):
    url, png, profile, log = argv[:4]
    opts = dict(zip(argv[4::2], argv[5::2]))
    b = cdp.Browser(None, profile, log, args=("--hide-scrollbars", "--window-size=1600,900"))
    try:
        p = b.page()
        # Exactly the canvas's 16:9: the window less its frame would crop it.
        p.viewport(1600, 900)
        p.navigate(url, 60)
        # Frames come on every change (the bar's clock ticks each second).
        st = p.wait_for("typeof stats !== 'undefined' && stats.framesDecoded >= 3 && stats", 60,
                        "three decoded frames in the viewer")
        print("   viewer: %s frames decoded, %sx%s %s, decoder errors %s, %s" % (
            st["framesDecoded"], st["width"], st["height"], st["codec"], st["decoderErrors"],
            "control" if st["control"] else "view only"))
        time.sleep(1.5)  # the canvas shows the newest frame: for the eye, not a check
        shot(p, png)
        if "--type" not in opts:
            return 0
        if not st["control"]:
            raise SystemExit("the page may not control the desktop")
        w, h = st["width"], st["height"]
        cx, cy = (int(v) for v in opts["--click"].split(","))
        r = p.rect("#video")
        at = (r["x"] + (cx + 0.5) * r["width"] / w, r["y"] + (cy + 0.5) * r["height"] / h)
        focus, want = opts.get("--focus-file"), opts.get("--focus-want")
        # Click until the guest's compositor says the terminal has the
        # keyboard (as a person looks before typing); a slow guest may take
        # its time, a click that went elsewhere is clicked again.
        for attempt in (1, 2, 3):
            p.click(*at)
            if not focus or wait_file(focus, 60, want):
                break
            print("   click %d at (%d, %d): the terminal has no focus yet (focused: %s)" % (
                attempt, cx, cy, read(focus) or "unknown"))
        else:
            raise SystemExit("three clicks at (%d, %d) did not focus %s (focused: %s)" % (
                cx, cy, want, read(focus) or "unknown"))
        done = opts.get("--wait-file")
        text = opts["--type"]
        # A person's pace (60 ms a character), not a burst; then a second try
        # on a fresh line if the guest did not run it (a key lost in a slow
        # guest): the miss is reported, with the page's picture of it.
        for attempt in (1, 2):
            p.type_text(text if attempt == 1 else "\n" + text, gap_s=0.06)
            print("   typed %r into the page after a click at (%d, %d) of the desktop" % (text, cx, cy))
            if not done or wait_file(done, 120):
                break
            miss = opts["--typed-png"].replace(".png", "-miss.png")
            shot(p, miss)
            print("   the guest did not run it within 120 s (the page then: %s); typing it again" % miss)
        else:
            raise SystemExit("the guest did not report the typed command, typed twice, within 120 s each")
        time.sleep(1.0)  # the terminal's echo on the canvas: for the eye
        shot(p, opts["--typed-png"])
        return 0
    finally:
        b.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
