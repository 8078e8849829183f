# The demo, inside the throwaway VM (run by scripts/demo.sh through the rig,
# with scripts/demo-host.sh as the host hook). Shows, step by step, what
# leasecast does: the broker becomes the card's only DRM master; an
# unprivileged user's unmodified sway is started on a leased output that
# the broker turns on through the exporter on the host, with the output's
# keyboard and tablet; a terminal (foot) and two Wayland clients are on that
# desktop; the host streams it into a browser page, from which a command is
# typed into the terminal and runs here. When the
# host says so (after its screenshot, or when the person watching is done)
# sway is stopped and the output is given back and turned off.
#
# Rendezvous with the host hook (files in $LC_OUT, lib.sh lc_signal):
#   guest -> host  desktop-up      "SCANOUT KEY" once the clients are shown
#   host -> guest  demo-verdict    "pass" when the browser showed the desktop
#   host -> guest  demo-release    time to take the desktop down
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/compositor-lib.sh"

say() { printf '\n== %s\n' "$*"; }
# step CMD... : runs CMD in this shell (it sets variables, starts
# background jobs), its output indented.
step() {
	local rc
	"$@" >/tmp/lc-demo-step.out 2>&1
	rc=$?
	sed 's/^/   /' /tmp/lc-demo-step.out
	return $rc
}
fail() {
	echo "demo: $*"
	lc_signal demo-failed "$*" # the host hook stops waiting
	lc_case demo-complete false
	lc_finish
	exit 1
}
[ -n "${LC_EXPORTER_ADDR:-}" ] || fail "needs the exporter"
command -v sway >/dev/null || fail "sway is not installed (scripts/install-deps.sh)"

say "the guest's virtio-gpu: $(ls /sys/class/drm | grep -c '^card0-Virtual-') outputs, connected at boot:" \
	"$(grep -l '^connected' /sys/class/drm/card0-Virtual-*/status 2>/dev/null | sed 's,.*/card0-,,;s,/status,,' | tr '\n' ' ')"

say "an unprivileged user for the desktop (group video owns the card nodes)"
step comp_setup_user || fail "cannot set up the user"

say "starting drm-lease-broker (exporter $LC_EXPORTER_ADDR; log: $LC_OUT/broker.log)"
start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" --log-level info || fail "the broker did not start"
"$broker_bin" --status --helix-socket "$helix_sock" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for o in d["outputs"]:
    print("   %-11s connector %-3d crtc %-3d scanout %-2d %-4s %s" % (o["name"], o["connector_id"], o["crtc_id"],
          o["scanout_id"], o["state"], "reserved" if o["reserved"] else ("offered" if o["offerable"] else "")))'

# A desktop that looks like one: a bar with a clock, gaps over a solid
# background, titled windows. The pattern client asks for full screen,
# which is refused: it floats, at a size whose buffers it can map (its
# second buffer's offset in its pool must be page-aligned: w*h*4 % 4096).
conf=/tmp/lc-demo-sway.conf
cat >"$conf" <<'CONF'
xwayland disable
font pango:DejaVu Sans 14
output * bg #3060a0 solid_color
default_border normal 3
gaps inner 24
for_window [app_id="lc-wl-pattern-client"] fullscreen disable, floating enable, resize set 896 512, move position center
bar {
	position top
	font pango:DejaVu Sans Mono 18
	status_command sh /tmp/lc-demo-status.sh
	colors {
		background #202020
		statusline #ffffff
	}
}
CONF
# sway's config language would split a shell loop at its semicolons.
cat >/tmp/lc-demo-status.sh <<'SH'
while :; do printf 'leasecast demo: unmodified sway on a DRM lease   %s\n' "$(date +%T)"; sleep 1; done
SH
chmod 0644 "$conf" /tmp/lc-demo-status.sh

say "lease-launch --wlroots -- sway, as $comp_user: the broker picks an output that is off, asks the exporter to turn it on (1920x1080) and leases it"
t0=$(date +%s%N)
# "Fit to window" in the page: lease-launch tells sway the new preferred
# mode through its IPC (doc/lease-launch.1, TESTED COMPOSITORS).
sway_follow='SWAYSOCK="$XDG_RUNTIME_DIR/sway-ipc.$(id -u).$LEASECAST_COMPOSITOR_PID.sock" swaymsg -- output "$LEASECAST_CONNECTOR" mode --custom "$LEASECAST_MODE"'
step comp_launch sway any --helix-socket "$helix_sock" --size 1920x1080 --wlroots \
	--authmagic-lib "$LC_BUILD/compositor-module/libleasecast-authmagic.so" \
	--on-preferred-mode "$sway_follow" \
	-- sway -c "$conf" || fail "lease-launch did not start sway (log: $LC_OUT/ll-sway.log)"
SWAY_CONN=$(sed -n 's/^connector=//p' "$COMP_RT/leasecast-stream")
echo "   leased $SWAY_CONN = QEMU scanout $COMP_SCANOUT; stream key from the broker: $([ -n "$COMP_KEY" ] && echo yes || echo no)"
step comp_wait_socket sway 120 || fail "sway did not come up (log: $LC_OUT/ll-sway.log)"
echo "   sway is up on $COMP_DISPLAY, $(lc_ms_since "$t0") ms after the launch; the guest kernel reports $SWAY_CONN $(sysfs_status "$SWAY_CONN")"

swaymsg_user() {
	setpriv --reuid="$comp_user" --regid="$comp_user" --init-groups env XDG_RUNTIME_DIR="$COMP_RT" \
		SWAYSOCK="$(ls "$COMP_RT"/sway-ipc.*.sock 2>/dev/null | head -1)" swaymsg "$@"
}
say "a terminal on the desktop (foot, as $comp_user), to be typed into from the browser page"
mkdir -p /tmp/lc-demo-home && chown "$comp_user" /tmp/lc-demo-home
rm -f /tmp/lc-demo-typed
lc_bg foot setpriv --reuid="$comp_user" --regid="$comp_user" --init-groups env XDG_RUNTIME_DIR="/run/user/$COMP_UID" \
	WAYLAND_DISPLAY="$COMP_DISPLAY" HOME=/tmp/lc-demo-home SHELL=/bin/bash PS1='demo$ ' \
	foot --app-id leasecast-terminal --font 'DejaVu Sans Mono:size=14' bash --norc -i
FOOT_PID=$LC_BG_PID
lc_wait_for "swaymsg_user -t get_tree 2>/dev/null | grep -q leasecast-terminal || ! kill -0 $FOOT_PID 2>/dev/null" 60 &&
	kill -0 "$FOOT_PID" 2>/dev/null || fail "foot did not show a window (log: $LC_OUT/foot.log)"
echo "   foot is up (tiled, under the two windows below)"
# What is typed in the page runs here: the host waits for this signal.
( lc_wait_for "[ -e /tmp/lc-demo-typed ]" 86400 && lc_signal demo-typed "/tmp/lc-demo-typed made by $(stat -c %U /tmp/lc-demo-typed)" ) &
# Which window has the keyboard, as sway says on each change (signal
# demo-focus: its app_id): the page types only once its click has focused
# the terminal, as a person looks before typing. sway's window events, not
# polling: one process for the whole run.
swaymsg_user -m -r -t subscribe '["window"]' 2>/dev/null | python3 -c '
import json, os, sys
out = os.environ["LC_OUT"] + "/.signal-demo-focus"
dec, buf = json.JSONDecoder(), ""
for line in sys.stdin:
    buf += line
    while buf.strip():
        try:
            ev, end = dec.raw_decode(buf.lstrip())
        except ValueError:
            break
        buf = buf.lstrip()[end:]
        if ev.get("change") == "focus":
            c = ev.get("container") or {}
            with open(out + ".tmp", "w") as f:
                f.write("%s\n" % (c.get("app_id") or c.get("name") or ""))
            os.rename(out + ".tmp", out)
' &

say "two Wayland clients on the desktop (tests/clients/wl-pattern-client, as $comp_user), placed with swaymsg"
for c in a:4660:96:150 b:22136:940:480; do
	IFS=: read -r n k x y <<<"$c"
	step comp_client "demo-$n" "$COMP_DISPLAY" "$k" 2000 ||
		fail "client $n did not show anything (log: $LC_OUT/client-demo-$n.log)"
	lc_wait_for "grep -q '^shown .* size=896x512' '$LC_OUT/client-demo-$n.log'" 20 ||
		fail "client $n did not float at 896x512 (log: $LC_OUT/client-demo-$n.log)"
	swaymsg_user -q "move position $x $y" && echo "   client $n at $x,$y"
done

say "sway's windows (swaymsg -t get_tree)"
sway_tree() {
	swaymsg_user -r -t get_tree | python3 -c '
import json, sys
def walk(n, d=0):
    r = n["rect"]
    print("%s%s %s %dx%d+%d+%d%s" % ("  " * d, n["type"], n.get("app_id") or n.get("name") or "", r["width"], r["height"],
          r["x"], r["y"], " fullscreen" if n.get("fullscreen_mode") and n["type"].endswith("con") else ""))
    for c in n.get("nodes", []) + n.get("floating_nodes", []):
        walk(c, d + 1)
walk(json.load(sys.stdin))'
}
step sway_tree

say "the broker's view while the desktop runs"
"$broker_bin" --status --helix-socket "$helix_sock" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for l in d["leases"]:
    print("   lease %d: %s via %s, holder pid %s uid %s, kernel lessee %s, %s" % (l["id"], ",".join(l["outputs"]), l["via"],
          l["pid"], l["uid"], l["lessee_id"], l["state"]))'

say "telling the host: scanout $COMP_SCANOUT and its stream key (in $LC_OUT)"
lc_signal desktop-up "$COMP_SCANOUT ${COMP_KEY:-none}"
# The run's own timeout bounds this wait (long when a person is watching).
lc_wait_for "[ -e '$LC_OUT/.signal-demo-release' ] || ! kill -0 $LL_PID 2>/dev/null" 86400
kill -0 "$LL_PID" 2>/dev/null || fail "sway exited while the host was watching (log: $LC_OUT/ll-sway.log)"
verdict=$(lc_signal_content demo-verdict 2>/dev/null)
echo "   the host is done (browser verdict: ${verdict:-none})"

say "stopping sway (SIGTERM to lease-launch); the broker revokes the lease, turns the output off and offers it again"
t0=$(date +%s%N)
kill -TERM "$LL_PID"
wait "$LL_PID" 2>/dev/null || lc_wait_for "! kill -0 $LL_PID 2>/dev/null" 30
output_returns "$SWAY_CONN" 10 off || fail "$SWAY_CONN was not given back"
echo "   $SWAY_CONN given back in $(lc_ms_since "$t0") ms; the guest kernel reports it $(sysfs_status "$SWAY_CONN")"

say "broker log (last lines)"
sed 's/^/   /' "$LC_OUT/broker.log" | tail -12
kill -TERM "$broker_pid"
wait "$broker_pid" 2>/dev/null
echo
lc_case desktop-shown-in-browser test "$verdict" = pass
if [ ! -e /tmp/lc-demo-typed ]; then
	echo "   /tmp has no lc-demo-typed; what it has of lc-demo*: $(ls -d /tmp/lc-demo* 2>/dev/null | tr '\n' ' ')"
	echo "   focused window (sway): $(lc_signal_content demo-focus 2>/dev/null || echo unknown)"
fi
lc_case typed-in-browser-ran-in-terminal test -e /tmp/lc-demo-typed
lc_case demo-complete true
lc_finish
