# shellcheck shell=bash
# Helpers for rig scenarios (tests/vm/scenarios/*.sh); source it with
#   . "$LC_SRC/tests/vm/lib.sh"
# A scenario is a list of cases and ends with `lc_finish` (its status is the
# scenario's). Output goes to the serial console, which lc-vm-run streams and
# keeps in OUT/console.log. Also usable on the host (a --host-hook), where
# LC_OUT is the same directory as the guest's /lc-out.

lc_cases_passed=0
lc_cases_failed=0
lc_bg_pids=()

lc_log() { echo "LC-LOG $*"; }

# lc_case NAME CMD... : runs CMD in the scenario's shell (so it may be a
# function, and may set variables) and records PASS or FAIL by its status.
lc_case() {
	local name="$1" rc
	shift
	"$@"
	rc=$?
	if [ "$rc" = 0 ]; then
		echo "LC-CASE $name PASS"
		lc_cases_passed=$((lc_cases_passed + 1))
	else
		echo "LC-CASE $name FAIL (rc=$rc)"
		lc_cases_failed=$((lc_cases_failed + 1))
	fi
	return "$rc"
}

# lc_finish: summary; non-zero if a case failed or none ran (a scenario that
# asserted nothing has not passed). Stops what lc_bg started.
lc_finish() {
	lc_bg_stop_all
	echo "$lc_cases_passed passed, $lc_cases_failed failed"
	if [ "$lc_cases_failed" -ne 0 ] || [ "$lc_cases_passed" -eq 0 ]; then
		return 1
	fi
	return 0
}

# lc_wait_for COND TIMEOUT_S : polls COND (a command string, eval'ed) every
# 50 ms until it succeeds (0) or TIMEOUT_S seconds pass (1). For waiting on
# things to happen, never as a fixed sleep.
lc_wait_for() {
	local cond="$1" timeout_s="${2:?lc_wait_for COND TIMEOUT_S}"
	local deadline
	deadline=$(($(date +%s%N) + timeout_s * 1000000000))
	until eval "$cond"; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# lc_ms_since T0 : milliseconds since T0 (a `date +%s%N` value).
lc_ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# DRM connectors as sysfs names them: card0-Virtual-1 ... Accepts
# "Virtual-2" (card0 implied) or "card1-Virtual-1".
lc__connector_dir() {
	case "$1" in
	card[0-9]*-*) echo "/sys/class/drm/$1" ;;
	*) echo "/sys/class/drm/card0-$1" ;;
	esac
}

# lc_connectors [CARD] : connector names of CARD (default card0), in the
# kernel's natural order (Virtual-1, Virtual-2, ..., Virtual-16).
lc_connectors() {
	local card="${1:-card0}" d
	for d in /sys/class/drm/"$card"-*; do
		[ -e "$d/status" ] && echo "${d##*/}"
	done | sort -V
}

# lc_sysfs_connected NAME : the connector's cached status is "connected".
# The cache is refreshed only by a probe (a DRM client's GetConnector, or
# lc_connector_probe); with fbdev emulation off nothing probes on its own.
lc_sysfs_connected() {
	local d
	d="$(lc__connector_dir "$1")"
	[ "$(cat "$d/status" 2>/dev/null)" = connected ]
}

# lc_connector_probe NAME : makes the kernel re-probe the connector (as a
# DRM client's full probe would) so that its sysfs status is current.
lc_connector_probe() {
	local d
	d="$(lc__connector_dir "$1")"
	echo detect >"$d/status"
}

# lc_tcp_reaches HOST:PORT [SECS] : a TCP connection to HOST:PORT opens and
# stays open (or answers) for SECS (default 1). Through the rig's guestfwd the
# guest's connect always succeeds; when nothing listens on the host side the
# connection is closed at once, which this tells apart.
lc_tcp_reaches() {
	local host="${1%:*}" port="${1##*:}" secs="${2:-1}" fd rc byte
	exec {fd}<>"/dev/tcp/$host/$port" || return 1
	IFS= read -r -n 1 -t "$secs" -u "$fd" byte
	rc=$?
	exec {fd}>&-
	# > 128: timed out with the connection open; 0: data arrived.
	[ "$rc" -gt 128 ] || [ "$rc" = 0 ]
}

# lc_tcp_unreachable HOST:PORT [SECS] : no TCP connection to HOST:PORT opens
# within SECS (default 3): refused, reset, or dropped (restrict=on drops).
lc_tcp_unreachable() {
	local host="${1%:*}" port="${1##*:}" secs="${2:-3}"
	! timeout "$secs" bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
}

# lc_bg NAME CMD... : starts CMD in the background with its output in
# $LC_OUT/NAME.log; lc_finish stops it. Sets LC_BG_PID.
lc_bg() {
	local name="$1"
	shift
	"$@" >"${LC_OUT:-/tmp}/$name.log" 2>&1 </dev/null &
	LC_BG_PID=$!
	lc_bg_pids+=("$LC_BG_PID")
}

lc_bg_stop_all() {
	local pid
	for pid in "${lc_bg_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${lc_bg_pids[@]}"; do
		wait "$pid" 2>/dev/null
	done
	lc_bg_pids=()
}

# Guest <-> host-hook rendezvous through the out share (one file per event):
# lc_signal NAME [CONTENT] on one side, lc_wait_signal NAME TIMEOUT_S on the
# other. Files appear atomically (written, then renamed).
lc_signal() {
	local f="${LC_OUT:?LC_OUT is not set}/.signal-$1"
	printf '%s\n' "${2:-}" >"$f.tmp.$$" && mv -f "$f.tmp.$$" "$f"
}
lc_wait_signal() {
	lc_wait_for "[ -e '${LC_OUT:?LC_OUT is not set}/.signal-$1' ]" "${2:?lc_wait_signal NAME TIMEOUT_S}"
}
lc_signal_content() { cat "${LC_OUT:?LC_OUT is not set}/.signal-$1"; }
