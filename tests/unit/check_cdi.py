#!/usr/bin/env python3
"""Reads a CDI spec written by test_cdi (lease-broker/cdi.c) as JSON and
checks what a container runtime applies from it. Usage: check_cdi.py FILE
GID two-dirs|one-dir|no-wayland. Exit 1 with the reason on a mismatch."""
import json
import sys

path, gid, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
spec = json.load(open(path))


def need(cond, what):
    if not cond:
        print("check_cdi: %s: %s\n%s" % (case, what, json.dumps(spec, indent=1)))
        sys.exit(1)


need(spec["cdiVersion"] == "0.5.0" and spec["kind"] == "leasecast.io/display", "version and kind")
devs = {d["name"]: d["containerEdits"] for d in spec["devices"]}
need(list(devs) == ["any", "Virtual-2", "Virtual-3", 'Odd"\\name'], "devices: any, then the leasable outputs in order")
for name, edits in devs.items():
    need(edits == {"env": ["LEASECAST_OUTPUT=" + name]}, "device %s sets only LEASECAST_OUTPUT" % name)
edits = spec["containerEdits"]
need(set(edits) == {"env", "deviceNodes", "mounts"}, "common edits: env, deviceNodes, mounts only")
nodes = edits["deviceNodes"]
need(nodes[0] == {"path": "/dev/dri/card0", "type": "c", "major": 226, "minor": 0, "fileMode": 0o660,
                  "permissions": "rw", "uid": 0, "gid": gid}, "the card node first, 0660 root:%d" % gid)
inputs = nodes[1:]
need([(n["path"], n["major"], n["minor"]) for n in inputs] ==
     [("/dev/input/event1", 13, 65), ("/dev/input/event2", 13, 66)], "the input nodes, in order")
# Names only: a container must never open a lease's input device itself
# (it would outlive the lease's revoke).
need(all(n["permissions"] == "m" and n["fileMode"] == 0 and n["type"] == "c" and n["uid"] == 0
         and n["gid"] == 0 for n in inputs), "input nodes: cgroup access m only, mode 0000, root's")
env = dict(e.split("=", 1) for e in edits["env"])
helix = "/run/leasecast/drm.sock" if case != "two-dirs" else "/run/helix-drm/drm.sock"
want = {"LEASECAST_HELIX_SOCKET": helix, "DRM_SOCKET": helix, "LEASECAST_CARD": "/dev/dri/card0"}
if case != "no-wayland":
    want["LEASECAST_WAYLAND_SOCKET"] = "/run/leasecast/wayland-0"
need(env == want, "variables %s" % want)
dirs = [m["hostPath"] for m in edits["mounts"]]
need(all(m["containerPath"] == m["hostPath"] and m["options"] == ["bind", "rw"] for m in edits["mounts"]),
     "bind mounts at the same path")
need(dirs == (["/run/helix-drm", "/run/leasecast"] if case == "two-dirs" else ["/run/leasecast"]),
     "the sockets' directories, once each")
