#!/bin/bash
# compositor-ns.sh CMD... : runs CMD (lease-launch) as a container would see
# the machine: under `unshare -m`, private tmpfs on the /run directories a
# session owns (the system bus, the sd-login and udev files, the user's
# runtime dir), the broker's sockets still shared. Two compositors on two
# leases thus each get their own bus, shim and session c1.
set -e
for d in /run/dbus /run/systemd /run/udev /run/user; do
	mkdir -p "$d"
	mount -t tmpfs -o mode=0755 tmpfs "$d"
done
exec "$@"
