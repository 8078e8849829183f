# shellcheck shell=bash
# Shared helpers of the compositor-*.sh scenarios (unmodified Mutter and
# sway on a DRM lease through lease-launch + the logind shim) and their
# host hooks. Source after lib.sh (and, in the guest, broker-lib.sh).

ll_bin="$LC_BUILD/compositor-module/lease-launch"
pc_bin="$LC_BUILD/tests/clients/lc-wl-pattern-client"
ic_bin="$LC_BUILD/tests/clients/lc-wl-input-client"
input_check="$LC_SRC/tests/vm/scenarios/input-check.py"
comp_user=lcuser
COMP_WRAP=()  # e.g. a private mount namespace for a second compositor
COMP_ENTER=() # how to enter it (nsenter) for the client

# Guest: an unprivileged user in group video (the card node is root:video;
# wlroots reopens it), its runtime dir and a session bus (Mutter wants one).
comp_setup_user() {
	local bus="${1:-bus}"
	id -u "$comp_user" >/dev/null 2>&1 || useradd -m -G video "$comp_user" || return 1
	# What Debian's udev rules do (no udevd in the rig: devtmpfs leaves
	# root:root 0600): the card nodes belong to group video.
	chgrp video /dev/dri/card* /dev/dri/renderD* && chmod 0660 /dev/dri/card* /dev/dri/renderD* || return 1
	COMP_UID=$(id -u "$comp_user")
	COMP_RT=/run/user/$COMP_UID
	mkdir -p /run/user /run/leasecast /run/helix-drm
	[ "$bus" = bus ] || { echo "user $comp_user uid=$COMP_UID"; return 0; }
	install -d -m 0700 -o "$comp_user" -g "$comp_user" "$COMP_RT"
	setpriv --reuid="$comp_user" --regid="$comp_user" --init-groups \
		dbus-daemon --session --address="unix:path=$COMP_RT/bus" --fork --print-pid=1 \
		>"$LC_OUT/session-bus.pid" || return 1
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$COMP_RT/bus"
	echo "user $comp_user uid=$COMP_UID runtime=$COMP_RT"
}

# comp_launch NAME OUTPUT [LEASE-LAUNCH OPTIONS...] -- COMPOSITOR ARGS...
# Starts lease-launch in the background (log $LC_OUT/ll-NAME.log), waits
# for its lease; sets LL_PID, COMP_SCANOUT, COMP_KEY; signals the host
# "launch-NAME" (before) and "leased-NAME" ("SCANOUT KEY") after.
comp_launch() {
	local name="$1" output="$2" log
	shift 2
	log="$LC_OUT/ll-$name.log"
	# The lease's input fds come from the broker, through lease-launch, to
	# the shim (--input-fd), whose TakeDevice hands them to the compositor.
	lc_signal "launch-$name"
	lc_bg "ll-$name" "${COMP_WRAP[@]}" \
		"$ll_bin" --output "$output" --user "$comp_user" \
		--bus-policy "$LC_SRC/contrib/dbus/leasecast-logind-shim.conf" --log-level debug "$@"
	LL_PID=$LC_BG_PID
	lc_wait_for "grep -q 'compositor .* started\|done: exit status' '$log'" 60 || true
	# In its own mount namespace (COMP_WRAP), its /run is seen through
	# /proc/PID/root.
	[ ${#COMP_WRAP[@]} -eq 0 ] || COMP_RT="/proc/$LL_PID/root/run/user/$COMP_UID"
	grep -q 'compositor .* started' "$log" || { echo "lease-launch did not start the compositor:"; cat "$log"; return 1; }
	grep 'lease granted' "$log"
	local f="$COMP_RT/leasecast-stream"
	[ -f "$f" ] || { echo "no $f"; return 1; }
	COMP_SCANOUT=$(sed -n 's/^scanout=//p' "$f")
	COMP_KEY=$(sed -n 's/^key=//p' "$f")
	lc_signal "leased-$name" "$COMP_SCANOUT ${COMP_KEY:-none}"
}

# The files lease-launch writes for the bridge: the user's, 0600, right ids.
comp_files_ok() {
	local f="$COMP_RT/leasecast-stream" s="$COMP_RT/helix-scanout-id"
	stat -c '%U %a %n' "$f" "$s"
	[ "$(stat -c '%U %a' "$f")" = "$comp_user 600" ] || return 1
	[ "$(stat -c '%U %a' "$s")" = "$comp_user 600" ] || return 1
	[ "$(cat "$s")" = "$1" ] && grep -q "^connector=$2\$" "$f"
}

# comp_wait_socket NAME SECS : the compositor's Wayland socket (the first
# wayland-N in the runtime dir); sets COMP_DISPLAY.
comp_find_socket() {
	local s
	for s in "$COMP_RT"/wayland-[0-9]; do
		[ -S "$s" ] && { COMP_DISPLAY=${s##*/}; return 0; }
	done
	return 1
}
comp_wait_socket() {
	local name="$1" t0
	t0=$(date +%s%N)
	COMP_DISPLAY=
	lc_wait_for "comp_find_socket || ! kill -0 $LL_PID 2>/dev/null" "$2"
	comp_find_socket || { echo "no Wayland socket in $COMP_RT:"; tail -40 "$LC_OUT/ll-$name.log"; return 1; }
	echo "$COMP_DISPLAY up after $(lc_ms_since "$t0") ms"
}

# comp_client NAME DISPLAY FIRST [INTERVAL_MS] : the pattern client as the
# user, showing patterns FIRST..FIRST+3 in turn until comp_client_stop.
# Mutter with llvmpipe under TCG composites a 1080p frame every few
# seconds: give it a long interval.
comp_client() {
	lc_bg "client-$1" "${COMP_ENTER[@]}" setpriv --reuid="$comp_user" --regid="$comp_user" --init-groups \
		env XDG_RUNTIME_DIR="/run/user/$COMP_UID" WAYLAND_DISPLAY="$2" \
		"$pc_bin" --first "$3" --count 4 --interval-ms "${4:-700}"
	CLIENT_PID=$LC_BG_PID
	lc_wait_for "grep -q '^shown' '$LC_OUT/client-$1.log' || ! kill -0 $CLIENT_PID 2>/dev/null" 120
	cat "$LC_OUT/client-$1.log"
	grep -q '^shown' "$LC_OUT/client-$1.log"
}

# comp_client_until_seen NAME SECS : the client NAME runs until the host
# hook has seen all its patterns in the stream (signal patterns-seen-NAME,
# see comp_host_wait_patterns), at most SECS; then it is stopped. A slow
# machine (Mutter under llvmpipe draws a frame every few seconds there)
# only takes longer.
comp_client_until_seen() {
	local name="$1" pid="$CLIENT_PID" t0
	t0=$(date +%s%N)
	if lc_wait_signal "patterns-seen-$name" "$2"; then
		echo "host saw $name's patterns $(lc_ms_since "$t0") ms after the client showed its first"
	else
		echo "the host did not see all of $name's patterns within $2 s"
	fi
	kill -TERM "$pid" 2>/dev/null
	lc_wait_for "! kill -0 $pid 2>/dev/null" 30
}

# comp_host_case NAME : the host hook's verdict.
# comp_kill9_gives_back NAME CONNECTOR : kill -9 of the compositor NAME
# (run by lease-launch, $LL_PID): lease-launch exits 137, the broker turns
# CONNECTOR off and offers it again, the stream file and the shim are gone.
comp_kill9_gives_back() {
	local name="$1" conn="$2" pid rc
	pid=$(pgrep -u "$comp_user" -x "$name") || { echo "no $name process"; return 1; }
	kill -9 "$pid"
	wait "$LL_PID"
	rc=$?
	echo "lease-launch exited $rc after kill -9 of $name ($pid)"
	tail -5 "$LC_OUT/ll-$name.log"
	[ "$rc" = 137 ] || return 1
	output_returns "$conn" 10 off || return 1
	[ ! -e "$COMP_RT/leasecast-stream" ] || { echo "stream file left behind"; return 1; }
	! pgrep -f leasecast-logind-shim >/dev/null || { echo "shim left behind"; return 1; }
}

# comp_broker_shutdown_ends NAME LOG : the broker shuts down (ending every
# lease) while lease-launch ($LL_PID, output in ll-LOG.log) runs compositor
# NAME: lease-launch sees its lease end and the compositor is gone.
# lease-launch's exit status in COMP_RC.
comp_broker_shutdown_ends() {
	local name="$1" log="$LC_OUT/ll-$2.log" t0
	t0=$(date +%s%N)
	kill -TERM "$broker_pid" # the broker ends every lease on shutdown
	lc_wait_for "! kill -0 $LL_PID 2>/dev/null" 90 || { echo "lease-launch still running"; return 1; }
	wait "$LL_PID"
	COMP_RC=$?
	echo "lease-launch exited $COMP_RC, $(lc_ms_since "$t0") ms after the broker's shutdown"
	grep -E 'lease ended|broker|ending the compositor|compositor (exited|was killed)' "$log" | tail -6
	! pgrep -u "$comp_user" -x "$name" >/dev/null || { echo "$name still running"; return 1; }
	grep -q 'lease ended' "$log"
}

comp_host_case() { grep -q "^$1 pass" "$LC_OUT/host-results.txt"; }

# Host: comp_host_wait_frame NAME SECS : the watched stream of NAME has its
# first frame (the compositor drew something).
comp_host_wait_frame() {
	lc_wait_for "grep -q '^{\"event\":\"frame\"' '$LC_OUT/sub-$1.jsonl' 2>/dev/null" "$2" ||
		echo "$1: no frame in the stream within $2 s"
}

# Host: comp_host_wait_patterns NAME FIRST SECS : waits until the watched
# stream of NAME has shown every pattern FIRST..FIRST+3 (the client's), at
# most SECS, then signals patterns-seen-NAME either way (the guest stops
# the client on it; the analysis then judges what came).
comp_host_wait_patterns() {
	local name="$1" first="$2" secs="$3" t0 re
	t0=$(date +%s%N)
	re="\"pattern\":($first|$((first + 1))|$((first + 2))|$((first + 3))),"
	comp__patterns_seen() {
		[ "$(grep -oE "$re" "$LC_OUT/sub-$name.jsonl" 2>/dev/null | sort -u | wc -l)" -ge 4 ]
	}
	if lc_wait_for comp__patterns_seen "$secs"; then
		echo "$name: all four patterns from $first in the stream after $(lc_ms_since "$t0") ms"
	else
		echo "$name: not every pattern $first..$((first + 3)) in the stream within $secs s:" \
			"$(grep -oE "$re" "$LC_OUT/sub-$name.jsonl" 2>/dev/null | sort -u | tr '\n' ' ')"
	fi
	lc_signal "patterns-seen-$name"
}

# Host: watch a scanout from before the compositor's first frame until the
# stop file appears; frames and unknown pictures (PGM) for the analysis.
# comp_host_watch NAME : waits for leased-NAME; sets WATCH_PID.
comp_host_watch() {
	local name="$1" s k
	lc_wait_signal "launch-$name" 300 || { echo "$name: the guest never launched it"; return 1; }
	date +%s%N >"$LC_OUT/t-launch-$name"
	lc_wait_signal "leased-$name" 480 || { echo "$name: no lease within 480 s of the launch"; return 1; }
	read -r s k <<<"$(lc_signal_content "leased-$name")"
	echo "$name: scanout $s, key from lease-launch: $([ "$k" = none ] && echo none || echo yes)"
	if [ "$k" = none ]; then
		# The broker gave no key: take one from the exporter directly.
		k="$("$LC_BUILD/tests/host/lc-subscribe-check" key --connect "127.0.0.1:$LC_EXPORTER_PORT" \
			--control-key "$LC_TMP/control-key" --scanout "$s")" || return 1
	fi
	mkdir -p "$LC_OUT/dump-$name"
	date +%s%N >"$LC_OUT/t-sub-$name"
	"$LC_BUILD/tests/host/lc-subscribe-check" watch --connect "127.0.0.1:$LC_EXPORTER_PORT" \
		--scanout "$s" --key "$k" --duration 900 --dump-dir "$LC_OUT/dump-$name" \
		--stop-file "$LC_OUT/.signal-stop-watch-$name" >"$LC_OUT/sub-$name.jsonl" 2>&1 &
	WATCH_PID=$!
}

# comp_host_analyze NAME FIRST : JSON verdict of the watched stream: the
# first non-black picture (ms after the launch signal) and the patterns
# FIRST..FIRST+3 found.
comp_host_analyze() {
	python3 - "$LC_OUT" "$1" "$2" <<'PY'
import glob, json, os, sys
out, name, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
t_launch = int(open(f"{out}/t-launch-{name}").read()) / 1e6
t_sub = int(open(f"{out}/t-sub-{name}").read()) / 1e6
frames = [json.loads(l) for l in open(f"{out}/sub-{name}.jsonl") if l.startswith('{"event":"frame"')]
def nonblack(n):
    p = f"{out}/dump-{name}/unknown-{n}.pgm"
    if not os.path.exists(p):
        return None
    data = open(p, "rb").read()
    # P5\nW H\n255\n then luma
    parts = data.split(b"\n", 3)
    w, h = map(int, parts[1].split())
    y = parts[3][: w * h]
    bright = sum(1 for i in range(0, len(y), 97) if y[i] > 40)
    return bright / max(1, len(range(0, len(y), 97))) > 0.5
first_nb = None
for f in frames:
    if f["pattern"] >= 0 or nonblack(f["n"]):
        first_nb = f
        break
pats = sorted({f["pattern"] for f in frames if first <= f["pattern"] < first + 4})
# Anything else identified is someone else's picture on our scanout.
other = sorted({f["pattern"] for f in frames
                if f["pattern"] >= 0 and not first <= f["pattern"] < first + 4 and f["pattern"] != 0xffff})
r = {"frames": len(frames), "patterns_found": pats, "other_patterns": other,
     "first_nonblack_frame": first_nb["n"] if first_nb else None,
     "launch_to_first_frame_ms": round(t_sub - t_launch + first_nb["t_ms"]) if first_nb else None,
     "subscribe_after_launch_ms": round(t_sub - t_launch)}
print(json.dumps(r))
PY
}

# A minimal sway config: a solid background (swaybg), no bar, no Xwayland,
# the pattern client full-screen.
comp_sway_config() {
	cat >"$1" <<'CONF'
xwayland disable
output * bg #3060a0 solid_color
default_border none
for_window [app_id="lc-wl-pattern-client"] fullscreen enable
CONF
	chmod 0644 "$1"
}

# ---- input: host -> QEMU D-Bus -> virtio-input -> shim -> libinput -> client

# comp_input_client NAME DISPLAY [CLIENT OPTIONS...] : lc-wl-input-client as
# the user, its events in COMP_INPUT_EVENTS; waits until it is shown, has a
# keyboard and a pointer and keyboard focus.
comp_input_client() {
	local name="$1" display="$2"
	shift 2
	COMP_INPUT_EVENTS=/tmp/lc-input-$name.jsonl
	rm -f "$COMP_INPUT_EVENTS"
	lc_bg "input-client-$name" "${COMP_ENTER[@]}" setpriv --reuid="$comp_user" --regid="$comp_user" --init-groups \
		env XDG_RUNTIME_DIR="/run/user/$COMP_UID" WAYLAND_DISPLAY="$display" \
		"$ic_bin" --out "$COMP_INPUT_EVENTS" "$@"
	INPUT_CLIENT_PID=$LC_BG_PID
	comp_input_ready "$name"
}

# comp_input_ready NAME : the input client (started by comp_input_client or
# as a kiosk's app, --out /tmp/lc-input-NAME.jsonl) is ready for input.
comp_input_ready() {
	COMP_INPUT_EVENTS=/tmp/lc-input-$1.jsonl
	python3 "$input_check" ready "$COMP_INPUT_EVENTS" 150 || {
		cp "$COMP_INPUT_EVENTS" "$LC_OUT/input-$1.jsonl"
		grep -E 'libinput|adding device|took device|released device' "$LC_OUT"/ll-*.log | tail -20
		return 1
	}
}

# comp_input_test NAME [--redraw] : asks the host hook to type, click and
# scroll on this scanout (comp_host_input), then judges what the client got.
comp_input_test() {
	local name="$1" rc
	shift
	grep -E 'input stand-in|input 13:|lease.s input' "$LC_OUT"/ll-*.log | tail -6
	lc_signal "input-ready-$name" "$COMP_SCANOUT"
	# The host moves the pointer (between two points) until the client
	# reports it where it was put, then clicks there: the click is judged
	# once the compositor has the window where it told the client it is
	# (Mutter under TCG puts a new window full screen seconds after its
	# first frame; events before that land at the old place).
	# Then it holds a key down and closes the viewer once the client has
	# seen the press (input-held-NAME / input-held-ok-NAME): the release
	# must come from the bridge.
	local seen="" pos t0 held held_seen=""
	t0=$(date +%s)
	while [ ! -e "$LC_OUT/.signal-input-sent-$name" ]; do
		pos=$(lc_signal_content "input-pointer-$name" 2>/dev/null)
		if [ -n "$pos" ] && [ "$pos" != "$seen" ]; then
			seen=$pos
			# shellcheck disable=SC2086
			python3 "$input_check" pointer "$COMP_INPUT_EVENTS" $pos 2 &&
				lc_signal "input-pointer-ok-$name" "$pos"
		fi
		held=$(lc_signal_content "input-held-$name" 2>/dev/null)
		if [ -n "$held" ] && [ "$held" != "$held_seen" ] &&
			python3 "$input_check" pressed "$COMP_INPUT_EVENTS" "$held" 2; then
			held_seen=$held
			lc_signal "input-held-ok-$name" "$held"
		fi
		[ $(($(date +%s) - t0)) -lt 300 ] || { echo "the host hook sent no input within 300 s"; return 1; }
		sleep 0.1
	done
	python3 "$input_check" verify "$COMP_INPUT_EVENTS" "$LC_OUT/.signal-input-sent-$name" 120 "$@"
	rc=$?
	cp "$COMP_INPUT_EVENTS" "$LC_OUT/input-$name.jsonl"
	return $rc
}

# Host: comp_host_input NAME [--other-scanout S] : once the guest's client
# is ready, types, clicks, scrolls and holds a key in the viewer page of a
# bridge for that scanout, in headless Chromium (browser-input.py, which
# says how), then signals input-sent-NAME with what it sent.
comp_host_input() {
	python3 "$LC_SRC/tests/vm/scenarios/browser-input.py" "$@"
}
