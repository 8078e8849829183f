#!/usr/bin/env python3
"""Checks lc-bridge-viewer logs (one JSON line per message the bridge sent)
across a change of the stream's size, for bridge-test.sh's "resize" case:
lc-hxfr-pattern-source shows patterns at OLD (WxH) up to pattern SWITCH-1
and at NEW from SWITCH on, holding LAST at the end.

  resize-check.py has LOG WxH [K]
      exit 0 when LOG has a picture decoded at WxH (showing pattern K):
      what the test waits for.
  resize-check.py live LOG OLD NEW SWITCH LAST
      a viewer that was connected when the size changed.
  resize-check.py late LOG OLD NEW SWITCH LAST
      a viewer that connected after the change.

Each check prints "ok   ..." or "FAIL ..."; the exit status is 1 when one
failed. The truth is the picture: a frame's size is the one its decoded
picture has (the decoder is made anew at each StreamInit, so a frame that
needs what came before that StreamInit does not decode), and the pattern
it shows says whether the source encoded it before or after the change."""
import json
import sys


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def load_or_fail(c, path):
    try:
        return load(path)
    except (OSError, ValueError) as e:
        c.need(False, "a log to read (%s)" % e)
        return []


def size(s):
    w, h = s.split("x")
    return int(w), int(h)


def pic(e):
    return (e["pic_w"], e["pic_h"]) if e.get("pictures") else None


def hdr(e):
    return e["w"], e["h"]


def fmt(wh):
    return "%dx%d" % wh if wh else "none"


class Checks:
    def __init__(self, name):
        self.name = name
        self.ok = True

    def need(self, cond, what):
        print(("ok   " if cond else "FAIL ") + self.name + ": " + what)
        self.ok = self.ok and bool(cond)


def common(c, ev, new, last):
    """What holds for any viewer: every frame came after a StreamInit, decoded
    into one picture of its header's size, and the viewer ends on the last
    pattern at the new size."""
    videos = [e for e in ev if e["ev"] == "video"]
    c.need(videos, "%d video frames received" % len(videos))
    bad = [e for e in videos if e.get("err") or e.get("pictures") != 1]
    c.need(not bad, "every frame decoded into one picture, no error%s" %
           ("" if not bad else " (first bad: %s)" % json.dumps(bad[0])))
    mismatch = [e for e in videos if pic(e) and pic(e) != hdr(e)]
    c.need(not mismatch, "every frame's header size is its picture's%s" %
           ("" if not mismatch else " (first not: header %s, picture %s, pattern %s)" % (
               fmt(hdr(mismatch[0])), fmt(pic(mismatch[0])), mismatch[0].get("pattern"))))
    end = videos[-1] if videos else {}
    c.need(end and pic(end) == new and end.get("pattern") == last,
           "the last picture is pattern %d at %s (got %s at %s)" % (
               last, fmt(new), end.get("pattern"), fmt(pic(end) if end else None)))
    return videos


def check_live(log, old, new, switch, last):
    c = Checks("live viewer " + log.rsplit("/", 1)[-1])
    ev = load_or_fail(c, log)
    inits = [(i, (e["w"], e["h"])) for i, e in enumerate(ev) if e["ev"] == "init"]
    c.need([wh for _, wh in inits] == [old, new],
           "StreamInits %s, then %s (got %s)" % (fmt(old), fmt(new),
                                                  [fmt(wh) for _, wh in inits]))
    videos = common(c, ev, new, last)
    if len(inits) < 2:
        return c.ok
    at = inits[1][0]  # the new size's StreamInit, as a position in the log
    before = [e for e in ev[:at] if e["ev"] == "video"]
    after = [e for e in ev[at:] if e["ev"] == "video"]
    c.need(any(pic(e) == old for e in before),
           "frames of %s decoded before the change (%d frames)" % (fmt(old), len(before)))
    # (1) The new StreamInit before any frame of the new size.
    early = [e for e in before if hdr(e) == new or pic(e) == new or
             (e.get("pattern", -1) >= switch)]
    c.need(not early, "no frame of %s (header, picture or pattern >= %d) before its StreamInit%s" % (
        fmt(new), switch, "" if not early else " (first: %s)" % json.dumps(early[0])))
    # (2) No frame of the old size after it.
    stale = [e for e in after if hdr(e) == old or pic(e) == old or
             (0 <= e.get("pattern", -1) < switch)]
    c.need(not stale, "no frame of %s (header, picture or pattern < %d) after the %s StreamInit%s" % (
        fmt(old), switch, fmt(new), "" if not stale else " (first: %s)" % json.dumps(stale[0])))
    # (3) The first frame after it is a keyframe: flagged, an IDR with its SPS/PPS.
    first = after[0] if after else {}
    c.need(first.get("key") == 1 and first.get("idr") == 1 and first.get("sps_pps") == 1,
           "the first frame after the new StreamInit is a keyframe (key flag %s, IDR %s, "
           "SPS+PPS %s) at %s, pattern %s" % (first.get("key"), first.get("idr"),
                                             first.get("sps_pps"), fmt(pic(first) if first else None),
                                             first.get("pattern")))
    c.need(first and pic(first) == new and first.get("pattern", -1) >= switch,
           "... of the new size and picture (pattern %s >= %d)" % (first.get("pattern"), switch))
    return c.ok


def check_late(log, old, new, switch, last):
    c = Checks("late viewer " + log.rsplit("/", 1)[-1])
    ev = load_or_fail(c, log)
    inits = [(i, (e["w"], e["h"])) for i, e in enumerate(ev) if e["ev"] == "init"]
    c.need([wh for _, wh in inits] == [new],
           "only the %s StreamInit (got %s)" % (fmt(new), [fmt(wh) for _, wh in inits]))
    first_video = next((i for i, e in enumerate(ev) if e["ev"] == "video"), None)
    c.need(inits and first_video is not None and inits[0][0] < first_video,
           "the StreamInit came before the first frame")
    videos = common(c, ev, new, last)
    first = videos[0] if videos else {}
    # (4) The GOP replay starts at a keyframe of the new size: no old frame.
    c.need(first.get("replay") == 1 and first.get("key") == 1 and first.get("idr") == 1 and
           first.get("sps_pps") == 1,
           "the first frame is the GOP replay's keyframe (replay %s, key %s, IDR %s, SPS+PPS %s)" % (
               first.get("replay"), first.get("key"), first.get("idr"), first.get("sps_pps")))
    c.need(first and pic(first) == new and first.get("pattern", -1) >= switch,
           "... at %s showing a pattern of the new size (%s at %s)" % (
               fmt(new), first.get("pattern"), fmt(pic(first) if first else None)))
    stale = [e for e in videos if hdr(e) == old or pic(e) == old or
             (0 <= e.get("pattern", -1) < switch)]
    c.need(not stale, "no frame of %s replayed or sent (header, picture or pattern < %d)%s" % (
        fmt(old), switch, "" if not stale else " (first: %s)" % json.dumps(stale[0])))
    c.need(sum(e.get("replay") == 1 for e in videos) >= 1,
           "%d frames came from the GOP replay" % sum(e.get("replay") == 1 for e in videos))
    return c.ok


def main(argv):
    if len(argv) >= 3 and argv[0] == "has":
        want, k = size(argv[2]), int(argv[3]) if len(argv) > 3 else None
        try:
            ev = load(argv[1])
        except (OSError, ValueError):
            return 1  # not there yet, or a line being written
        return 0 if any(e["ev"] == "video" and pic(e) == want and
                        (k is None or e.get("pattern") == k) for e in ev) else 1
    if len(argv) == 6 and argv[0] in ("live", "late"):
        fn = check_live if argv[0] == "live" else check_late
        return 0 if fn(argv[1], size(argv[2]), size(argv[3]), int(argv[4]), int(argv[5])) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
