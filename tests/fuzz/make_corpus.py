#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/: a handful of valid
messages of each format, laid out by hand from HXFR.md / helix-lease.md
(not by the codec under test). Rerun after a format change."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def hxfr(msg_type, payload=b"", session=0, flags=0):
    return struct.pack("<IBBHI", 0x52465848, msg_type, flags, session, len(payload)) + payload


def fixed(s, n):
    return s.encode() + b"\0" * (n - len(s))


def frame(scanout, pts, keyframe, nals):
    body = struct.pack("<qqB3xI", pts, pts, keyframe, len(nals))
    for n in nals:
        body += struct.pack("<I", len(n)) + n
    return hxfr(0x02, body, session=scanout)


def cursor_define(scanout, w, h, hot_x, hot_y):
    pixels = b"".join(struct.pack("<I", 0xff000000 | (i * 0x010203)) for i in range(w * h))
    return hxfr(0x48, struct.pack("<iiii", w, h, hot_x, hot_y) + pixels, session=scanout)


KEY = bytes(range(0x80, 0xa0))

AU = bytes.fromhex("00000001674d0028") + bytes.fromhex("0000000168ee3c80") + \
    bytes.fromhex("0000000165888400") + bytes(range(32))

HXFR = {
    "ping": hxfr(0x10, session=3),
    "keyframe-req": hxfr(0x03, session=2),
    "enable": hxfr(0x20, struct.pack("<IIII", 3, 1920, 1080, 60)),
    "disable": hxfr(0x21, struct.pack("<I", 3)),
    "scanout-resp": hxfr(0x22, struct.pack("<II", 3, 1) + fixed("Virtual-4", 64)),
    "subscribe": hxfr(0x30, struct.pack("<I", 2), session=2),
    "subscribe-resp": hxfr(0x31, struct.pack("<II", 2, 1), session=2),
    "config-req": hxfr(0x04, struct.pack("<IIIIIBBB5x", 1920, 1080, 8000000, 60, 1, 100, 41, 1)),
    "config-resp": hxfr(0x05, struct.pack("<IIIIIBBB5x", 1920, 1080, 8000000, 60, 1, 100, 41, 1)),
    "error": hxfr(0xFF, struct.pack("<i", 5) + fixed("not authenticated", 256)),
    "hello": hxfr(0x40, b"LCST" + struct.pack("<HHII", 1, 0, 1, 0)),
    "hello-resp": hxfr(0x41, b"LCST" + struct.pack("<HHII", 1, 0, 1, 0) + bytes(range(32))),
    "auth": hxfr(0x42, bytes(range(100, 132))),
    "auth-resp": hxfr(0x43, struct.pack("<II", 1, 1)),
    "frame": frame(1, 1000000000, 1, [AU]),
    "frame-3nals": frame(1, 33333333, 0, [b"\x67\x4d", b"\x68\xee", b"\x41\x9a\x00"]),
    "stream-key-req": hxfr(0x44, struct.pack("<I", 3)),
    "stream-key": hxfr(0x45, struct.pack("<I", 3) + KEY),
    "stream-key-zero": hxfr(0x45, struct.pack("<I", 3) + bytes(32)),
    "stream-key-revoke": hxfr(0x46, struct.pack("<I", 3)),
    "subscribe-keyed": hxfr(0x47, struct.pack("<I", 3) + KEY, session=3),
    "subscribe-keyed-zero": hxfr(0x47, struct.pack("<I", 3) + bytes(32), session=3),
    "cursor-define": cursor_define(3, 4, 3, 1, 2),
    "cursor-define-1x1": cursor_define(3, 1, 1, 0, 0),
    "cursor-define-short": hxfr(0x48, struct.pack("<iiii", 2, 2, 0, 0) + bytes(12), session=3),
    "cursor-move": hxfr(0x49, struct.pack("<iiI", -3, 700, 1), session=3),
    "cursor-move-hidden": hxfr(0x49, struct.pack("<iiI", 10, 20, 0), session=3),
    # the input's start is also tried as a hex stream key
    "stream-key-hex": KEY.hex().encode(),
    # a broker: authenticate, enable, ask for a key, revoke it
    "broker-session": hxfr(0x40, b"LCST" + struct.pack("<HHII", 1, 0, 3, 0)) +
                      hxfr(0x42, bytes(32)) +
                      hxfr(0x20, struct.pack("<IIII", 3, 1920, 1080, 60)) +
                      hxfr(0x44, struct.pack("<I", 3)) + hxfr(0x46, struct.pack("<I", 3)),
    # a subscriber: HELLO with CURSOR, keyed subscribe, keyframe request;
    # then what it receives
    "subscriber-session": hxfr(0x40, b"LCST" + struct.pack("<HHII", 1, 0, 6, 0)) +
                          hxfr(0x47, struct.pack("<I", 3) + KEY, session=3) +
                          hxfr(0x03, session=3) +
                          hxfr(0x31, struct.pack("<II", 3, 1), session=3) +
                          cursor_define(3, 2, 2, 0, 0) +
                          hxfr(0x49, struct.pack("<iiI", 5, 6, 1), session=3) +
                          frame(3, 0, 1, [AU]),
    # a session as a client would send it, with an unknown type in between
    "session": hxfr(0x40, b"LCST" + struct.pack("<HHII", 1, 0, 1, 0)) +
               hxfr(0x42, bytes(32)) + hxfr(0x55, b"xyz") +
               hxfr(0x20, struct.pack("<IIII", 1, 1280, 720, 60)) + hxfr(0x10),
}

LEASE = {
    "lease": struct.pack("<BII", 1, 1280, 720),
    "lease-default": struct.pack("<BII", 1, 0, 0),
    "release": struct.pack("<BII", 2, 3, 0),
    "status": struct.pack("<BII", 3, 0, 0),
    "requests": struct.pack("<BII", 1, 0, 0) + struct.pack("<BII", 2, 1, 0) +
                struct.pack("<BII", 3, 0, 0),
    "resp-ok": struct.pack("<BI", 0, 3) + fixed("Virtual-4", 64),
    "resp-error": struct.pack("<BI", 1, 0) + fixed("no free output", 64),
    "ext-status": struct.pack("<BI", 0, 27) + b'{"outputs":[],"leases":[]}\n',
}


def write(name, seeds):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for k, v in seeds.items():
        with open(os.path.join(d, k), "wb") as f:
            f.write(v)


write("hxfr", HXFR)
write("helix-lease", LEASE)
