#!/usr/bin/env python3
"""The demo's look at its own viewer page (scripts/demo-host.sh runs it):
headless Chromium (tests/browser/cdp.py) on the page, a screenshot once it
has decoded frames; then, with --type, the demo is used from the page as a
person would: a click into the terminal on the desktop (foot, tiled under
the two floating windows) and a command typed there, which the guest sees
run; and a second screenshot with the typed text on it.

  demo_view.py URL PNG PROFILE LOG [--type TEXT --click X,Y --typed-png PNG2]

X,Y are in the desktop's pixels (the page maps them through its CSS
scale). Exits non-zero with the reason when a step fails."""
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
        p.click(r["x"] + (cx + 0.5) * r["width"] / w, r["y"] + (cy + 0.5) * r["height"] / h)
        p.type_text(opts["--type"])
        print("   typed %r into the page after a click at (%d, %d) of the desktop" % (opts["--type"], cx, cy))
        done = opts.get("--wait-file")
        if done:
            end = time.monotonic() + 120
            while not os.path.exists(done):
                if time.monotonic() > end:
                    raise SystemExit("the guest did not report the typed command within 120 s")
                time.sleep(0.2)
        time.sleep(1.0)  # the terminal's echo on the canvas: for the eye
        shot(p, opts["--typed-png"])
        return 0
    finally:
        b.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
