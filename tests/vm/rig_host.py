"""The host hooks' side of the rig in Python (what tests/vm/lib.sh and
frames-lib.sh give the shell hooks): the LC_* paths lc-vm-run passes, the
rendezvous signals with the guest (files $LC_OUT/.signal-NAME), the
tenant's stream key, and a leasecast-frame-bridge on loopback for a
scanout. Used by browser-input.py and bench-photon.py."""
import os
import secrets
import subprocess
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
