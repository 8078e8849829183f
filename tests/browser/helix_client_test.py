#!/usr/bin/env python3
"""The frame bridge's Helix endpoint as Helix's web client sees it:
headless Chromium (cdp.py) on tests/browser/helix-client.html, a client that
behaves on the wire as Helix's does (written from the layouts), against
`leasecast-frame-bridge --helix-listen` (GET /ws/stream, no token), fed by
lc-hxfr-pattern-source holding one picture: a static screen. Run by
tests/bridge/bridge-test.sh helix, which starts the source and the bridge.

Checks, each a PASS/FAIL line:
- the handshake, byte for byte and in Helix's order: StreamInit (13 bytes:
  codec 1, the stream's size, the init's fps, no audio, touch), CursorName,
  then the text ConnectionComplete with StreamInit's size; nothing before;
- the init's size reached the exporter as RESIZE_REQ (a controlling viewer);
- frames decode and paint; on the static screen no 5-s gap between painted
  frames for --static-s seconds (Helix's render-stall watchdog), asked for by
  the bridge (KEYFRAME_REQs in the source's log), while only this viewer
  needs it;
- Pongs: 29 bytes each, every seq answered, figures consistent
  (p50 <= p99 <= max) and the encoder latency measured (not 0);
- Helix's input: an absolute pointer in 4096ths lands on the stream pixel,
  a button and a key press and release, the wheel in CSS px (y > 0 down);
- Control set_video_enabled false stops video (Pongs go on), true brings a
  keyframe first;
- a client that cannot decode H.264 gets a StreamError saying so and a close;
- once no viewer needs frames, the bridge asks for none."""
import argparse
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402
from verdicts import Verdicts, events  # noqa: E402

verdicts = Verdicts()
check = verdicts.check


def asks(path):
    """The frames asked of the exporter so far: (REFRESH_REQs, KEYFRAME_REQs)."""
    ev = events(path)
    return (len([e for e in ev if e["type"] == "refresh_req"]),
            len([e for e in ev if e["type"] == "keyframe_req"]))


def wait(fn, timeout, what):
    """fn() until truthy, at most TIMEOUT s; says what it gave up on."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            print("gave up after %.0f s waiting for %s" % (timeout, what), flush=True)
            return v
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ws", required=True, help="ws://127.0.0.1:PORT/ws/stream")
    ap.add_argument("--input-log", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--width", type=int, required=True, help="the stream's")
    ap.add_argument("--height", type=int, required=True)
    ap.add_argument("--static-s", type=float, default=30)
    a = ap.parse_args()
    page_url = "file://" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "helix-client.html")
    # The init asks for another size than the stream's: a controlling
    # viewer's wish goes up as RESIZE_REQ (the source keeps its size).
    want_w, want_h = 1280, 720
    q = urllib.parse.urlencode({"ws": a.ws, "width": want_w, "height": want_h})
    b = cdp.Browser(None, os.path.join(a.tmp, "helix-profile"), os.path.join(a.tmp, "helix-chrome.log"))
    try:
        p = b.page()
        n_log = len(events(a.input_log))
        p.navigate(page_url + "?" + q, 60)
        get = lambda expr: p.evaluate(expr)  # noqa: E731
        ok = wait(lambda: get("helix.connectionComplete !== null && helix.painted >= 1"), 60,
                  "ConnectionComplete and a painted frame")
        check(bool(ok), "handshake done and a frame painted")
        msgs = get("helix.messages.slice(0, 3)")
        kinds = [m["type"] for m in msgs]
        check(kinds == [0x30, 0x51, "text"],
              "StreamInit, CursorName, ConnectionComplete first, in that order (got %s)" % kinds)
        si = get("helix.streamInits[0]")
        head = msgs[0]["head"][:13] if msgs else []
        want_head = [0x30, 1, a.width >> 8, a.width & 0xff, a.height >> 8, a.height & 0xff, 60,
                     0, 0, 0, 0, 0, 1]
        check(msgs and msgs[0]["len"] == 13 and head == want_head,
              "StreamInit is Helix's 13 bytes %s (got %d bytes %s)" % (
                  want_head, msgs[0]["len"] if msgs else 0, head))
        names = get("helix.cursorNames")
        check(msgs[1:2] and msgs[1]["len"] == 14 + len(names[0]) and names[0] in ("default", "none"),
              "CursorName %s, %d bytes" % (names[:1], msgs[1]["len"] if msgs[1:2] else 0))
        cc = get("helix.connectionComplete")
        check(cc == {"capabilities": {"touch": True}, "width": a.width, "height": a.height},
              "ConnectionComplete %s: StreamInit's size, touch for a controlling viewer" % cc)
        check(si and si["codec"] == 1, "codec 1 (H.264) in StreamInit")
        rs = wait(lambda: [e for e in events(a.input_log)[n_log:] if e["type"] == "resize"], 20,
                  "the init's size as RESIZE_REQ")
        check(rs and (rs[0]["width"], rs[0]["height"]) == (want_w, want_h),
              "the init's %dx%d went up as RESIZE_REQ (%s)" % (want_w, want_h, rs[:1]))

        # A static screen: the source holds its one picture.
        t0 = time.monotonic()
        r0, kf0 = asks(a.input_log)
        painted0 = get("helix.painted")
        keys0 = get("helix.messages.filter(m => m.type === 1 && (m.head[2] & 1)).length")
        p.evaluate("helix.maxPaintGapMs = 0, helix.stalls = 0, true")
        time.sleep(a.static_s)
        st = get("({painted: helix.painted, gap: helix.maxPaintGapMs, stalls: helix.stalls,"
                 " errors: helix.decodeErrors, skipped: helix.skipped})")
        r1, kf1 = asks(a.input_log)
        keys = get("helix.messages.filter(m => m.type === 1 && (m.head[2] & 1)).length") - keys0
        check(st["stalls"] == 0 and st["gap"] < 5000,
              "no 5-s gap between painted frames on a static screen for %.0f s (longest %.0f ms)"
              % (time.monotonic() - t0, st["gap"]))
        check(st["painted"] - painted0 >= a.static_s / 4.5,
              "frames kept coming: %d painted in %.0f s" % (st["painted"] - painted0, a.static_s))
        check(r1 - r0 >= a.static_s / 4.5 and kf1 == kf0,
              "the bridge asked the exporter for them: %d REFRESH_REQs, %d KEYFRAME_REQs"
              % (r1 - r0, kf1 - kf0))
        check(keys <= 1, "as refreshes, not keyframes: %d keyframes among them" % keys)
        check(st["errors"] == [], "no decode error (%s)" % st["errors"][:3])

        pongs = get("helix.pongs")
        pst = get("({sent: helix.pingsSent, short: helix.shortPongs, unknown: helix.unknownSeq})")
        check(len(pongs) >= a.static_s and all(x["len"] == 29 for x in pongs),
              "%d Pongs, all 29 bytes (lengths %s)" % (len(pongs), sorted({x["len"] for x in pongs})))
        check(pst["short"] == 0 and pst["unknown"] == 0 and len(pongs) >= pst["sent"] - 4,
              "every Ping answered with its seq (%d sent, %d answered)" % (pst["sent"], len(pongs)))
        late = pongs[len(pongs) // 2:]
        check(all(x["schedP50"] <= x["schedP99"] <= x["schedMax"] for x in late),
              "scheduling p50 <= p99 <= max (%s)" % [(x["schedP50"], x["schedP99"], x["schedMax"]) for x in late[-3:]])
        check(any(x["encoderMs"] > 0 for x in late) and all(x["encoderMs"] < 10000 for x in late),
              "the encoder latency is measured: %s ms" % sorted({x["encoderMs"] for x in late})[:8])
        rtt = sorted(x["rttMs"] for x in pongs)
        print("   pongs: rtt p50 %.1f ms, max %.1f ms; encoder %s ms; scheduling p50/p99/max %s ms" % (
            rtt[len(rtt) // 2], rtt[-1], [x["encoderMs"] for x in late[-5:]],
            [(x["schedP50"], x["schedP99"], x["schedMax"]) for x in late[-3:]]), flush=True)

        # Helix's input.
        n0 = len(events(a.input_log))
        p.evaluate("helix.sendAbs(0.25, 0.5), helix.sendButton(1, true), helix.sendButton(1, false),"
                   " helix.sendKey(30, true), helix.sendKey(30, false), helix.sendWheel(0, 120), true")
        ev = wait(lambda: (lambda e: e if any(x["type"] == "wheel" for x in e) else None)(
            events(a.input_log)[n0:]), 20, "the input at the exporter")
        ev = ev or events(a.input_log)[n0:]
        absx = [(e["x"], e["y"]) for e in ev if e["type"] == "abs"]
        check(absx[:1] == [(a.width // 4, a.height // 2)],
              "the absolute pointer (1024, 2048)/4096 landed at the stream pixel (%d, %d): %s"
              % (a.width // 4, a.height // 2, absx[:2]))
        check([(e["code"], e["down"]) for e in ev if e["type"] == "button"] == [(0x110, 1), (0x110, 0)],
              "button 1 as BTN_LEFT press, release")
        check([(e["code"], e["down"]) for e in ev if e["type"] == "key"] == [(30, 1), (30, 0)],
              "KEY_A press, release")
        check([(e["x"], e["y"]) for e in ev if e["type"] == "wheel"] == [(0, 120)],
              "the wheel: 120 CSS px down is y = +120 (HXFR's down)")
        check(not [e for e in ev if e.get("bad")], "none of it refused by the source")

        # Control: video off, then on.
        p.evaluate("helix.send([0x20, ...new TextEncoder().encode('{\"set_video_enabled\":false}')]), true")
        # What was on its way arrives: until no chunk came for 1.5 s (a
        # ceiling for a slow machine). With video still on, keepalive frames
        # would come every 2 s: the window below sees them.
        last, quiet_since = get("helix.chunks"), time.monotonic()
        end = time.monotonic() + 30
        while time.monotonic() - quiet_since < 1.5 and time.monotonic() < end:
            time.sleep(0.1)
            n = get("helix.chunks")
            if n != last:
                last, quiet_since = n, time.monotonic()
        c0 = get("({chunks: helix.chunks, pongs: helix.pongs.length})")
        time.sleep(4.5)  # past two keepalive intervals
        c1 = get("({chunks: helix.chunks, pongs: helix.pongs.length})")
        check(c1["chunks"] == c0["chunks"] and c1["pongs"] > c0["pongs"],
              "set_video_enabled false: no video for 4.5 s (%d chunks), Pongs go on (%d)" % (
                  c1["chunks"] - c0["chunks"], c1["pongs"] - c0["pongs"]))
        p.evaluate("helix.firstAfterOn = helix.messages.length,"
                   " helix.send([0x20, ...new TextEncoder().encode('{\"set_video_enabled\":true}')]), true")
        first = wait(lambda: get("helix.messages.slice(helix.firstAfterOn).find(m => m.type === 1) || null"),
                     30, "a frame after set_video_enabled true")
        check(first is not None and first["head"][2] & 1 == 1,
              "set_video_enabled true: video again, a keyframe first (flags %s)" % (first and first["head"][2]))

        # A client without H.264 (the same tab: the first viewer leaves).
        q2 = urllib.parse.urlencode({"ws": a.ws, "width": a.width, "height": a.height, "formats": 0x100})
        p.navigate(page_url + "?" + q2, 60)
        closed = wait(lambda: p.evaluate("helix.closed"), 30, "the no-H.264 client's close")
        errs = p.evaluate("helix.streamErrors")
        check(closed and any("H.264" in e for e in errs) and p.evaluate("helix.streamInits.length") == 0,
              "a client without H.264: StreamError %s, closed (%s), no StreamInit" % (errs[:1], closed))
        p.navigate("about:blank", 30)
        # Nobody needs frames now: no more requests (the keepalive asks
        # every 2 s while someone does).
        time.sleep(1.5)
        k0 = sum(asks(a.input_log))
        time.sleep(6)
        k1 = sum(asks(a.input_log))
        check(k1 == k0, "no viewer: no frame asked for in 6 s (%d requests)" % (k1 - k0))
    finally:
        b.close()
    return 1 if verdicts.fails else 0


if __name__ == "__main__":
    sys.exit(main())
