# shellcheck shell=bash
# Shared helpers of the frames-*.sh scenarios and their host hooks (the
# frame plane end to end: lc-pattern-flip in the guest, lc-subscribe-check
# on the host). Source after lib.sh.

flip_bin="$LC_BUILD/tests/clients/lc-pattern-flip"
sc_bin="$LC_BUILD/tests/host/lc-subscribe-check"

# Host side: the exporter's loopback address and the rig's control key.
sc_addr() { echo "127.0.0.1:${LC_EXPORTER_PORT:?}"; }
sc_key() { # SCANOUT [--enable WxH] : a fresh stream key, after the lease exists
	local s="$1"
	shift
	"$sc_bin" key --connect "$(sc_addr)" --control-key "${LC_TMP:?}/control-key" --scanout "$s" "$@"
}
sc_watch() { # SCANOUT KEY ARGS... : a subscriber; JSON lines on stdout
	local s="$1" k="$2"
	shift 2
	"$sc_bin" watch --connect "$(sc_addr)" --scanout "$s" --key "$k" "$@"
}
# json_get FILE FIELD : a field of the summary line of a subscriber's log.
json_get() {
	python3 - "$1" "$2" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"event":"summary"')]
print(s[-1].get(sys.argv[2], "") if s else "")
PY
}
# summary_ok FILE : the subscriber's summary says pass; prints it.
summary_ok() {
	local line
	line="$(grep '^{"event":"summary"' "$1" | tail -1)"
	echo "$(basename "$1"): ${line:-no summary}"
	[[ "$line" == *'"pass":true'* ]]
}
# Guest side: waits for lc-pattern-flip's modeset line in LOG; sets
# FLIP_SCANOUT and FLIP_CONNECTOR.
flip_wait_modeset() { # LOG PID SECS
	lc_wait_for "grep -q '^modeset \|^lease error\|^card error' '$1' || ! kill -0 $2 2>/dev/null" "$3"
	grep -q '^modeset ok' "$1" || { echo "no modeset:"; cat "$1"; return 1; }
	FLIP_SCANOUT="$(sed -n 's/^modeset ok scanout=\([0-9]*\).*/\1/p' "$1")"
	FLIP_CONNECTOR="$(sed -n 's/^modeset ok .*connector=\([^ ]*\).*/\1/p' "$1")"
}
# Host side: exporter_stats SCANOUT [FILE] : makes the exporter report
# (SIGUSR1) and writes its "stats" JSON for SCANOUT to FILE (stdout by
# default); every report starts a new period, so a first call marks the
# start of a measurement. False when no report for SCANOUT came in 5 s (the
# stream did nothing in the period).
exporter_stats() {
	local s="$1" f="${2:-/dev/stdout}" n0
	n0="$(grep -c ': stats {' "${LC_EXPORTER_LOG:?}")"
	kill -USR1 "${LC_EXPORTER_PID:?}" || return 1
	lc_wait_for "[ \"\$(grep -c ': stats {' '$LC_EXPORTER_LOG')\" -gt $n0 ]" 5 || return 1
	sleep 0.2 # the reports of all scanouts are written together
	grep ': stats {' "$LC_EXPORTER_LOG" | tail -n +"$((n0 + 1))" |
		sed -n 's/.*: stats \({"scanout":'"$s"',.*\)$/\1/p' | tail -1 | grep . >"$f"
}
