# The demo, inside the throwaway VM (run by scripts/demo.sh through the rig).
# Shows, step by step, what leasecast does today: the broker becomes the
# card's only DRM master, an output that is off is turned on through the
# exporter on the host, leased to a client that drives it, and taken back.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"

say() { printf '\n== %s\n' "$*"; }
mkdir -p /run/helix-drm /run/leasecast

say "the guest's virtio-gpu: $(ls /sys/class/drm | grep -c '^card0-Virtual-') outputs, connected at boot:" \
	"$(grep -l '^connected' /sys/class/drm/card0-Virtual-*/status 2>/dev/null | sed 's,.*/card0-,,;s,/status,,' | tr '\n' ' ')"

say "starting drm-lease-broker (exporter ${LC_EXPORTER_ADDR:-none}; log: $LC_OUT/broker.log)"
start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" --log-level info || exit 1
"$broker_bin" --status --helix-socket "$helix_sock" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for o in d["outputs"]:
    print("   %-11s connector %-3d crtc %-3d scanout %-2d %-4s %s" % (o["name"], o["connector_id"], o["crtc_id"],
          o["scanout_id"], o["state"], "reserved" if o["reserved"] else ("offered" if o["offerable"] else "")))'

say "a container asks for a 1920x1080 desktop over the Helix socket; the output is off, so the broker asks the exporter to turn it on"
t0=$(date +%s%N)
holder_start demo-holder --size 1920x1080 --flip 60 --hold-ms 600000 || exit 1
lc_wait_for "grep -q '^kms ' '$LC_OUT/demo-holder.log'" 60
sed 's/^/   client: /' "$LC_OUT/demo-holder.log"
echo "   (lease + modeset + 60 page flips took $(lc_ms_since "$t0") ms)"
echo "   guest kernel now reports $HOLDER_CONN: $(sysfs_status "$HOLDER_CONN")"

say "the broker's view while the lease is held"
"$broker_bin" --status --helix-socket "$helix_sock" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for l in d["leases"]:
    print("   lease %d: %s via %s, holder pid %s uid %s, kernel lessee %s, %s" % (l["id"], ",".join(l["outputs"]), l["via"],
          l["pid"], l["uid"], l["lessee_id"], l["state"]))'

say "the container goes away (kill -9); the broker revokes the lease, turns the output off and offers it again"
t0=$(date +%s%N)
kill -9 "$HOLDER_PID"; wait "$HOLDER_PID" 2>/dev/null
output_returns "$HOLDER_CONN" 10 off || exit 1
echo "   $HOLDER_CONN given back in $(lc_ms_since "$t0") ms; the guest kernel reports it $(sysfs_status "$HOLDER_CONN")"

say "broker log"
sed 's/^/   /' "$LC_OUT/broker.log" | tail -15
kill -TERM "$broker_pid"; wait "$broker_pid" 2>/dev/null
echo
echo "demo done: full logs in the --out directory"
lc_case demo-complete true
lc_finish
