#!/usr/bin/env python3
"""The viewer page's side of vm-compositor-resize: headless Chromium
(tests/browser/cdp.py) on the frame bridge's page, a control viewer.

    resize-page.py URL OUT NAME FROM TO follows|keeps
        e.g. ... 1920x1080 1280x720 follows

Waits until the page decodes the stream at the first size (viewport that
size), then sets the viewport to the second size and ticks "fit to window",
whose debounced Resize goes to the bridge (-> RESIZE_REQ); signals
resize-sent-NAME (OUT/.signal-resize-sent-NAME, as lib.sh's lc_signal).

follows: waits, at most 240 s, until the page has a StreamInit of the new
size, its decoder reconfigured for it and frames decoded since (or the
guest signals guest-resized-NAME with anything but "followed": its
compositor did not follow). Then judges, after a few more frames: a new
StreamInit, the decoder and canvas at the new size, no decoder error, no
frame of a size other than the configured one, and every chunk given to the
decoder since its reconfigure decoded (at most a couple still in flight):
verdicts NAME-page-new-stream-init and NAME-page-clean-after-resize.

keeps (a compositor that keeps its size: cage): waits for the guest's
guest-resized-NAME "kept" (its connector has the new preferred mode), then
for frames decoded after it; judges: no new StreamInit, the decoder never
reconfigured, still the first size, no decoder error, no wrong-size frame:
verdicts NAME-page-keeps-stream and NAME-page-clean-after-resize.

Prints PASS/FAIL lines and writes the verdicts to OUT/host-results.txt;
the final stats to OUT/page-NAME.json."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.environ["LC_SRC"], "tests", "browser"))
import cdp  # noqa: E402

url, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
(w0, h0), (w1, h1) = [tuple(map(int, a.split("x"))) for a in sys.argv[4:6]]
expect = sys.argv[6]
assert expect in ("follows", "keeps"), "expect follows or keeps, not " + expect
MIN_FRAMES = 10
results = open(os.path.join(out, "host-results.txt"), "a")


def verdict(what, ok, detail):
    print(("PASS " if ok else "FAIL ") + "%s: %s" % (what, detail), flush=True)
    results.write("%s-%s %s\n" % (name, what, "pass" if ok else "fail"))
    results.flush()


def guest_signal(sig):
    """The content of the guest's signal sig, or None while it is not there."""
    try:
        with open(os.path.join(out, ".signal-" + sig)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def signal(sig):
    p = os.path.join(out, ".signal-" + sig)
    with open(p + ".tmp", "w") as f:
        f.write("\n")
    os.replace(p + ".tmp", p)


b = cdp.Browser(profile=os.path.join(os.environ.get("LC_TMP", "/tmp"), "resize-profile-" + name),
                log=os.path.join(out, "chrome-%s.log" % name))
stats = {}
try:
    p = b.page()
    p.viewport(w0, h0)
    p.navigate(url)
    p.wait_for("stats.control === true", 60, "the bridge's Rights (control)")
    p.wait_for("stats.width === %d && stats.height === %d && stats.framesDecoded >= 2" % (w0, h0),
               240, "frames decoded at %dx%d" % (w0, h0))
    before = p.evaluate("JSON.stringify(stats)")
    print("before: " + before, flush=True)
    before = json.loads(before)
    t0 = time.monotonic()
    p.viewport(w1, h1)
    p.evaluate("document.getElementById('fit').click(), document.getElementById('fit').checked")
    p.wait_for("stats.inputSent > %d" % before["inputSent"], 30, "the page's Resize sent")
    signal("resize-sent-" + name)
    guest = None
    if expect == "follows":
        cond = ("stats.streamInits > %d && stats.width === %d && stats.height === %d && "
                "stats.configures > %d && stats.framesSinceConfigure >= %d"
                % (before["streamInits"], w1, h1, before["configures"], MIN_FRAMES))
        # Polled here rather than in the page: the guest's verdict ends the
        # wait early when its compositor did not follow.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if p.evaluate("!!(%s)" % cond):
                print("the page decodes %dx%d %.1f s after the resize" % (w1, h1, time.monotonic() - t0),
                      flush=True)
                time.sleep(3)  # a few more frames through the reconfigured decoder
                break
            guest = guest_signal("guest-resized-" + name)
            if guest not in (None, "followed"):
                print("the guest says %s: not waiting for %dx%d" % (guest, w1, h1), flush=True)
                break
            time.sleep(0.25)
        else:
            print("no StreamInit of %dx%d with %d frames decoded after it within 240 s" % (w1, h1, MIN_FRAMES),
                  flush=True)
    else:
        deadline = time.monotonic() + 300
        while guest_signal("guest-resized-" + name) is None and time.monotonic() < deadline:
            time.sleep(0.25)
        guest = guest_signal("guest-resized-" + name)
        print("the guest says %s %.1f s after the resize" % (guest, time.monotonic() - t0), flush=True)
        if guest == "kept":
            mid = json.loads(p.evaluate("JSON.stringify(stats)"))
            try:
                p.wait_for("stats.framesDecoded >= %d" % (mid["framesDecoded"] + MIN_FRAMES), 240,
                           "%d frames decoded after the guest's mode changed" % MIN_FRAMES)
            except cdp.CDPError as e:
                print(e, flush=True)
    stats = json.loads(p.evaluate(
        "JSON.stringify(Object.assign({canvas: [document.getElementById('video').width,"
        " document.getElementById('video').height]}, stats))"))
finally:
    b.close()
with open(os.path.join(out, "page-%s.json" % name), "w") as f:
    json.dump(stats, f)
print("after: " + json.dumps(stats), flush=True)
s = stats
if expect == "keeps":
    verdict("page-keeps-stream",
            guest == "kept" and s.get("streamInits") == before["streamInits"]
            and s.get("configures") == before["configures"] and s.get("width") == w0
            and s.get("height") == h0 and s.get("canvas") == [w0, h0],
            "guest %s, StreamInits %s -> %s, size %sx%s, decoder configures %s -> %s, canvas %s"
            % (guest, before["streamInits"], s.get("streamInits"), s.get("width"), s.get("height"),
               before["configures"], s.get("configures"), s.get("canvas")))
    verdict("page-clean-after-resize",
            s.get("decoderErrors", 1) == 0 and s.get("wrongSizeFrames", 1) == 0
            and s.get("framesDecoded", 0) >= before["framesDecoded"] + MIN_FRAMES
            and s.get("skippedChunks", 1) == before["skippedChunks"],
            "frames decoded %s -> %s, decoder errors %s %s, wrong-size frames %s, skipped chunks %s -> %s"
            % (before["framesDecoded"], s.get("framesDecoded"), s.get("decoderErrors"), s.get("errors"),
               s.get("wrongSizeFrames"), before["skippedChunks"], s.get("skippedChunks")))
    sys.exit(0)
verdict("page-new-stream-init",
        s.get("streamInits", 0) > before["streamInits"] and s.get("width") == w1 and s.get("height") == h1
        and s.get("configures", 0) > before["configures"] and s.get("canvas") == [w1, h1],
        "StreamInits %s -> %s, size %sx%s, decoder configures %s -> %s, canvas %s"
        % (before["streamInits"], s.get("streamInits"), s.get("width"), s.get("height"),
           before["configures"], s.get("configures"), s.get("canvas")))
inflight = s.get("chunksSinceConfigure", 0) - s.get("framesSinceConfigure", 0)
verdict("page-clean-after-resize",
        s.get("configures", 0) > before["configures"] and s.get("width") == w1
        and s.get("decoderErrors", 1) == 0 and s.get("wrongSizeFrames", 1) == 0
        and s.get("framesSinceConfigure", 0) >= MIN_FRAMES and 0 <= inflight <= 2
        and s.get("skippedChunks", 1) == before["skippedChunks"],
        "reconfigured for %sx%s: %s, decoder errors %s %s, wrong-size frames %s, %s of %s chunks since the reconfigure decoded,"
        " skipped chunks %s -> %s"
        % (s.get("width"), s.get("height"), s.get("configures", 0) > before["configures"],
           s.get("decoderErrors"), s.get("errors"), s.get("wrongSizeFrames"), s.get("framesSinceConfigure"),
           s.get("chunksSinceConfigure"), before["skippedChunks"], s.get("skippedChunks")))
