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
    # REFRESH_REQ (HXFR.md 4.2.1): no payload; with one it is a size error
    "refresh-req": hxfr(0x52, session=2),
    "refresh-req-sized": hxfr(0x52, b"\x01\x02", session=2),
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
    # input and size (HXFR.md 5.10), scanout 3
    "input-key": hxfr(0x4a, struct.pack("<HBB", 30, 1, 0), session=3),
    "input-button": hxfr(0x4b, struct.pack("<HBB", 0x110, 0, 0), session=3),
    "input-abs": hxfr(0x4c, struct.pack("<ii", 300, 400), session=3),
    "input-rel": hxfr(0x4d, struct.pack("<ii", -3, 7), session=3),
    "input-wheel": hxfr(0x4e, struct.pack("<ii", 0, -120), session=3),
    "input-touch": hxfr(0x4f, struct.pack("<B3xIii", 1, 2, 10, 20), session=3),
    "input-release-all": hxfr(0x50, session=3),
    "resize-req": hxfr(0x51, struct.pack("<II", 1280, 720), session=3),
    "input-bad-code": hxfr(0x4a, struct.pack("<HBB", 0, 1, 0), session=3),
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
                          hxfr(0x03, session=3) + hxfr(0x52, session=3) +
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
    "input-devices-req": struct.pack("<BII", 5, 0, 0),
    # INPUT_DEVICES bodies (and a STATUS body with its "extensions" list)
    "inputs-body": b'{"input_devices":[{"connector":"Virtual-4","kind":"keyboard",'
                   b'"uniq":"leasecast-kbd-3"},{"connector":"Virtual-4","kind":"tablet",'
                   b'"uniq":"leasecast-tab-3"}]}',
    "inputs-empty": b'{"input_devices":[]}',
    "inputs-loose": b' {"v":[1,-2.5e3,true,null,{}],"input_devices":[{"uniq":"u\\u0031",'
                    b'"kind":"touch","connector":"V-1","x":"\\ud83d\\ude00"}]}\n',
    "status-extensions": b'{"outputs":[],"leases":[],"extensions":["status","auth_magic",'
                         b'"input_devices"]}\n',
}


def u24(v):
    return struct.pack("<I", v)[:3]


# fuzz_exporter_listener: one opcode per listener call, then its arguments
# little-endian (see the target's switch); a format selector byte below 224
# means the exporter's own 32-bit xRGB.
def scanout(w, h, stride=None, data=None):
    stride = stride if stride is not None else w * 4
    data = data if data is not None else bytes(range(256)) * (stride * h // 256 + 1)
    data = data[:stride * h]
    return struct.pack("<BHHIB", 0, w, h, stride, 0) + u24(len(data)) + data


def update(x, y, w, h):
    data = bytes([0x40]) * (w * h * 4)
    return struct.pack("<BiiiiIB", 1, x, y, w, h, w * 4, 0) + u24(len(data)) + data


def scanout_map(shm, offset, w, h, stride):
    return struct.pack("<B", 2) + u24(shm) + u24(offset) + struct.pack("<HHIB", w, h, stride, 0)


def rect(op, x, y, w, h):
    return struct.pack("<Biiii", op, x, y, w, h)


def scanout_dmabuf(shm, w, h, stride, y0_top):
    return struct.pack("<B", 5) + u24(shm) + struct.pack("<HHIBB", w, h, stride, 0, y0_top)


def listener_cursor(w, h, hx, hy):
    data = bytes([0xff, 0, 0, 0x80]) * (w * h)
    return struct.pack("<BHHii", 6, w, h, hx, hy) + u24(len(data)) + data


LISTENER = {
    "scanout": scanout(16, 8),
    "scanout-update": scanout(16, 8) + update(2, 2, 4, 4) + update(-2, 6, 8, 4),
    "scanout-short": scanout(16, 8, data=bytes(100)),
    "scanout-padded-stride": scanout(10, 4, stride=48),
    "map-update": scanout_map(64 * 16, 0, 16, 16, 64) + rect(3, 0, 0, 16, 16) +
                  rect(3, 8, 8, 100, 100),
    "map-offset": scanout_map(4096 + 32 * 8, 4096, 8, 8, 32) + rect(3, 1, 1, 2, 2),
    "dmabuf-bottom-up": scanout_dmabuf(32 * 8, 8, 8, 32, 0) + rect(4, 0, 0, 8, 2),
    "dmabuf-top-down": scanout_dmabuf(32 * 8, 8, 8, 32, 1) + rect(4, 4, 4, 4, 4),
    "cursor": listener_cursor(4, 4, 1, 1) + struct.pack("<BiiB", 7, 100, 200, 1),
    "cursor-bad-hotspot": listener_cursor(2, 2, 5, 5),
    "mouse-hide": struct.pack("<BiiB", 7, -5, -5, 0),
    "disable-then-update": scanout(8, 8) + struct.pack("<B", 8) + update(0, 0, 8, 8),
}

# fuzz_exporter_client: an options byte (1: control key, 2: open control,
# 4: plain SUBSCRIBE allowed), then what the client sends.
CLIENT = {
    "ping": b"\x00" + HXFR["ping"],
    "hello-auth": b"\x01" + HXFR["hello"] + HXFR["auth"] + HXFR["ping"],
    "auth-without-hello": b"\x01" + HXFR["auth"],
    "broker": b"\x03" + HXFR["broker-session"],
    "subscriber": b"\x04" + HXFR["hello"] + HXFR["subscribe"] + HXFR["keyframe-req"] +
                  HXFR["config-req"],
    "subscriber-keyed": b"\x00" + HXFR["subscribe-keyed"],
    # refresh before and after a subscription (ERROR 12, then a request),
    # a burst, and one with a payload (ERROR 3)
    "subscriber-refresh": b"\x04" + hxfr(0x40, b"LCST" + struct.pack("<HHII", 1, 0, 0x10, 0)) +
                          HXFR["refresh-req"] + HXFR["subscribe"] + HXFR["refresh-req"] +
                          HXFR["refresh-req"] + HXFR["refresh-req-sized"] + HXFR["ping"],
    "control-open": b"\x02" + HXFR["enable"] + HXFR["disable"] + HXFR["stream-key-req"] +
                    HXFR["stream-key-revoke"],
    "skippable-then-ping": b"\x00" + HXFR["session"],
    # a controlling subscriber: HELLO with INPUT, keyed subscribe, then input,
    # one event for another scanout (closes) last
    "subscriber-input": b"\x00" + hxfr(0x40, b"LCST" + struct.pack("<HHII", 1, 0, 0xe, 0)) +
                        HXFR["subscribe-keyed"] + HXFR["input-key"] + HXFR["input-abs"] +
                        HXFR["input-button"] + HXFR["input-wheel"] + HXFR["input-touch"] +
                        HXFR["input-release-all"] + HXFR["resize-req"] +
                        hxfr(0x4a, struct.pack("<HBB", 31, 1, 0), session=4),
    "server-messages": b"\x00" + HXFR["hello-resp"] + HXFR["frame"] + HXFR["error"],
    "bad-magic": b"\x00" + b"XXXX" + bytes(8) + HXFR["ping"],
    "truncated": b"\x00" + HXFR["hello"][:10],
}

# fuzz_hxfr_client: an options byte (1: HELLO, 2: with a key, 4: the 4096-byte
# payload limit, 8: a 40-byte send queue, 0x10: the HELLO timeout at once),
# HELLO's features, a byte that seeds how the rest is cut into reads, then
# what the server sends.
def client_seed(opts, features, cut, *msgs):
    return bytes([opts, features, cut]) + b"".join(msgs)


HELLO_RESP_ALL = hxfr(0x41, b"LCST" + struct.pack("<HHII", 1, 0, 0x1f, 0) + bytes(range(32)))
HXFR_CLIENT = {
    "subscriber": client_seed(0x01, 6, 7, HELLO_RESP_ALL, HXFR["subscribe-resp"],
                              cursor_define(2, 2, 2, 1, 1),
                              hxfr(0x49, struct.pack("<iiI", 5, 6, 1), session=2),
                              frame(2, 0, 1, [AU]),
                              hxfr(0xFF, struct.pack("<i", 13) + fixed("stream key revoked", 256),
                                   session=2)),
    "broker": client_seed(0x07, 3, 5, HELLO_RESP_ALL, hxfr(0x43, struct.pack("<II", 1, 3)),
                          HXFR["scanout-resp"], HXFR["stream-key"], HXFR["stream-key-zero"],
                          hxfr(0xFF, struct.pack("<i", 6) + fixed("no such scanout", 256))),
    "auth-refused": client_seed(0x03, 1, 3, HXFR["hello-resp"],
                                hxfr(0xFF, struct.pack("<i", 9) + fixed("wrong mac", 256))),
    "auth-resp-zero": client_seed(0x03, 1, 2, HXFR["hello-resp"],
                                  hxfr(0x43, struct.pack("<II", 0, 0))),
    "v1-error": client_seed(0x01, 1, 4, hxfr(0xFF, struct.pack("<i", 2) +
                                             fixed("unknown type", 256)),
                            HXFR["scanout-resp"]),
    "v1-timeout": client_seed(0x11, 1, 1, HXFR["scanout-resp"], hxfr(0x11, session=4)),
    "no-hello": client_seed(0x00, 0, 9, hxfr(0x11, session=3), HXFR["frame-3nals"],
                            hxfr(0x55, b"xyz"), HXFR["config-resp"]),
    "hello-resp-unasked": client_seed(0x00, 0, 1, HXFR["hello-resp"]),
    "oversize": client_seed(0x04, 0, 1, struct.pack("<IBBHI", 0x52465848, 0x02, 0, 1, 4097)),
    "bad-magic": client_seed(0x01, 0, 1, HXFR["hello-resp"], b"XXXX" + bytes(8)),
    "small-queue": client_seed(0x0b, 1, 2, HXFR["hello-resp"], HXFR["auth-resp"]),
    "skippable": client_seed(0x01, 4, 3, HXFR["hello-resp"], hxfr(0x77, b"abc"),
                             hxfr(0x11, b"x"), HXFR["hello"], hxfr(0x11, session=9)),
    "truncated": client_seed(0x01, 0, 2, HXFR["hello-resp"][:30]),
}


# fuzz_exporter_input: byte 0 size and touch slots, byte 1 how often the
# sink is full, then HXFR input messages (session_id's low bit: scanout).
INPUT = {
    "type-and-click": b"\x28\x00" + HXFR["input-key"] + hxfr(0x4a, struct.pack("<HBB", 30, 0, 0), session=3) +
                      HXFR["input-abs"] + HXFR["input-button"] +
                      hxfr(0x4b, struct.pack("<HBB", 0x110, 1, 0), session=3),
    "held-then-move": b"\x00\x03" + HXFR["input-key"] + hxfr(0x4a, struct.pack("<HBB", 48, 1, 0), session=4) +
                      HXFR["input-wheel"] + hxfr(0x4e, struct.pack("<ii", 60, 12000), session=3),
    "touch": b"\x29\x00" + hxfr(0x4f, struct.pack("<B3xIii", 0, 2, 10, 20), session=3) +
             HXFR["input-touch"] + HXFR["input-release-all"] + HXFR["input-rel"],
}


def write(name, seeds):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for k, v in seeds.items():
        with open(os.path.join(d, k), "wb") as f:
            f.write(v)


write("hxfr", HXFR)
write("helix-lease", LEASE)
write("exporter-listener", LISTENER)
write("exporter-client", CLIENT)
write("exporter-input", INPUT)
write("hxfr-client", HXFR_CLIENT)
