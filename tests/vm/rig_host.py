"""The host hooks' side of the rig in Python (what tests/vm/lib.sh and
frames-lib.sh give the shell hooks): the LC_* paths lc-vm-run passes, the
rendezvous signals with the guest (files $LC_OUT/.signal-NAME), the
tenant's stream key, and a leasecast-frame-bridge on loopback for a
scanout. Used by browser-input.py and bench-photon.py."""
import json
import os
import secrets
import subprocess
import sys
import time

SRC, BUILD, OUT, TMP = (os.environ[k] for k in ("LC_SRC", "LC_BUILD", "LC_OUT", "LC_TMP"))
BRIDGE = os.path.join(BUILD, "compositor-module", "leasecast-frame-bridge")
WWW = os.path.join(SRC, "compositor-module", "frame-bridge", "www")
EXPORTER = "127.0.0.1:%s" % os.environ["LC_EXPORTER_PORT"]
CHROMIUM = os.environ.get("LC_CHROMIUM", "/usr/bin/chromium")


def log(*a):
    print(*a, flush=True)


def signal(name, content=""):
    path = os.path.join(OUT, ".signal-" + name)
    with open(path + ".tmp", "w") as f:
        f.write(content + "\n")
    os.replace(path + ".tmp", path)


def signal_content(name):
    try:
        with open(os.path.join(OUT, ".signal-" + name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def wait_signal(name, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        v = signal_content(name)
        if v is not None:
            return v
        time.sleep(0.1)
    raise SystemExit("waited %.0f s for the guest's signal %s" % (secs, name))


def leased_signals():
    """(mtime, scanout, key) of every leased-* signal, oldest first."""
    out = []
    for f in os.listdir(OUT):
        if f.startswith(".signal-leased-") and ".tmp" not in f:
            v = (signal_content(f[len(".signal-"):]) or "").split()
            if len(v) == 2:
                out.append((os.stat(os.path.join(OUT, f)).st_mtime, v[0], v[1]))
    return sorted(out)


def stream_key(scanout):
    """The key lease-launch got for SCANOUT (the newest leased-* signal
    naming it: an earlier compositor's lease and key are over), else a
    fresh one from the exporter with the rig's control key."""
    key = None
    for s in leased_signals():
        if s[1] == scanout:
            key = s[2] if s[2] != "none" else None
    if key is None:
        key = subprocess.run([os.path.join(BUILD, "tests", "host", "lc-subscribe-check"), "key",
                              "--connect", EXPORTER, "--control-key",
                              os.path.join(TMP, "control-key"), "--scanout", scanout],
                             check=True, capture_output=True, text=True).stdout.strip()
    return key


def free_port():
    """A loopback port below the ephemeral range (tests/lc-free-port says
    why not port 0)."""
    return int(subprocess.run([os.path.join(SRC, "tests", "lc-free-port")], check=True,
                              capture_output=True, text=True).stdout)


def secret_file(path, value=None):
    """Writes VALUE (default: a fresh URL-safe token) to PATH, mode 0600;
    returns it."""
    value = value if value is not None else secrets.token_urlsafe(24)
    with open(path, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)
    return value


def wait_log(path, needle, secs, what):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if os.path.exists(path) and needle in open(path, errors="replace").read():
            return True
        time.sleep(0.1)
    log("waited %.0f s for %s (%r in %s)" % (secs, what, needle, path))
    return False


def start_bridge(name, scanout, key_path, *args):
    """leasecast-frame-bridge for SCANOUT on a free loopback port, with
    the key in KEY_PATH and ARGS; once it has subscribed, (process, port).
    Its log: $LC_OUT/bridge-NAME.log."""
    port = free_port()
    blog = os.path.join(OUT, "bridge-%s.log" % name)
    proc = subprocess.Popen([BRIDGE, "--exporter", EXPORTER, "--scanout", scanout, "--key-file",
                             key_path, "--listen", "127.0.0.1:%d" % port, "--www", WWW, *args],
                            stdout=open(blog, "w"), stderr=subprocess.STDOUT)
    if not wait_log(blog, "subscribed to scanout", 60, "the bridge's subscription"):
        stop(proc)
        raise SystemExit("%s: the bridge did not subscribe (%s)" % (name, blog))
    return proc, port


def stop(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# What the compositor scenarios' input tests type (browser-input.py,
# helix-input.py), and the key presses the guest's input-check.py verify
# then expects: evdev codes (input-event-codes.h), Shift (42) before
# capitals and "!".
INPUT_TEXT = "Hello, leasecast 42!"
INPUT_HELD = ("KeyQ", 16)  # the key held when the browser is killed
EVDEV = dict(zip("qwertyuiop", range(16, 26)))
EVDEV.update(zip("asdfghjkl", range(30, 39)))
EVDEV.update(zip("zxcvbnm", range(44, 51)))
EVDEV.update(zip("1234567890", range(2, 12)))
EVDEV.update({" ": 57, ",": 51, ".": 52, "-": 12, "!": 2})
SHIFT = 42


def expected_keys(text):
    keys = []
    for ch in text:
        if ch.isupper() or ch == "!":
            keys.append([SHIFT, ""])
        keys.append([EVDEV[ch.lower()], ch])
    return keys


def input_points(w, h):
    """The two console points the input tests move between: off the centre
    and off any exact fraction of the size, even (a page pixel at CSS scale
    1/2 is two console pixels)."""
    return [((w * 613 // 1920) & ~1, (h * 401 // 1080) & ~1),
            ((w * 1307 // 1920) & ~1, (h * 683 // 1080) & ~1)]


def move_until_seen(name, move, w, h, tries=60):
    """Moves the pointer with MOVE(x, y) between the two input points until
    the guest's client reports it where it was put (signals
    input-pointer-NAME / input-pointer-ok-NAME, compositor-lib.sh's
    comp_input_test). (moves it took or None, x, y of the last move)."""
    pts = input_points(w, h)
    for i in range(tries):
        x, y = pts[i % 2]
        move(x, y)
        rec = "%d %d %d %d %d" % (i, x, y, w, h)
        signal("input-pointer-" + name, rec)
        end = time.monotonic() + 4
        while time.monotonic() < end and signal_content("input-pointer-ok-" + name) != rec:
            time.sleep(0.1)
        if signal_content("input-pointer-ok-" + name) == rec:
            return i + 1, x, y
    return None, x, y


def hold_until_seen(name, code, secs=60):
    """After the caller pressed evdev CODE: tells the guest (input-held-NAME)
    and waits until its client has seen the press; True when it has."""
    signal("input-held-" + name, str(code))
    end = time.monotonic() + secs
    while time.monotonic() < end and signal_content("input-held-ok-" + name) != str(code):
        time.sleep(0.1)
    return signal_content("input-held-ok-" + name) == str(code)


def send_input_record(name, click, console, checks):
    """Tells the guest what was sent (signal input-sent-NAME, which
    input-check.py verify judges): INPUT_TEXT typed, then INPUT_HELD held
    when the browser was killed, a click at CLICK of a CONSOLE-sized
    picture, the wheel 3 notches down and 2 up; CHECKS the host's own
    verdicts (a false one fails the guest's)."""
    record = {"keys": expected_keys(INPUT_TEXT) + [[INPUT_HELD[1], "q"]],
              "text": INPUT_TEXT + "q", "click": list(click), "console": list(console),
              "down": 3, "up": 2, "host_checks": checks}
    signal("input-sent-" + name, json.dumps(record))
    return record


def run_input_driver(main):
    """Runs an input test's host side; whatever goes wrong, the guest, which
    waits for input-sent-NAME, is told (an empty record and the error)."""
    try:
        main()
    except BaseException as e:
        name = sys.argv[1] if len(sys.argv) > 1 else "?"
        if signal_content("input-sent-" + name) is None:
            signal("input-sent-" + name, json.dumps({
                "keys": [], "text": "", "click": [0, 0], "console": [1, 1], "down": 0, "up": 0,
                "host_checks": {"driver_ran": False}, "error": repr(e)}))
        raise
