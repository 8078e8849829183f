#!/bin/bash
# STAND-IN FOR THE BROKER'S INPUT FDS (issue 9, contract C), used as
# lease-launch's --shim until lease-launch passes the fds the broker hands
# out with the lease: as root, it opens the leased output's keyboard and
# tablet (found by uniq, as the broker finds them) and runs the real shim
# with them as --input-fd 6 and 7. The leased scanout comes from
# lease-launch's own log line "lease granted: ... scanout=S", which
# precedes the shim's start. Unlike the broker, nothing revokes these
# files at lease end.
#   env: LC_INPUT_STANDIN_LOG (lease-launch's log), LC_INPUT_STANDIN_SHIM
# Builtins only: a fork costs ~0.3 s under TCG, and lease-launch waits for
# the shim's READY for a bounded time.
set -u
# lease-launch passes the broker's fds itself: nothing to stand in for.
for a in "$@"; do
	if [ "$a" = --input-fd ]; then
		echo "input stand-in: lease-launch passes input fds itself; not adding any" >&2
		exec "$LC_INPUT_STANDIN_SHIM" "$@"
	fi
done
s='' kbd='' tab=''
while IFS= read -r line; do
	[[ "$line" =~ "lease granted: connector="[^\ ]*" scanout="([0-9]+) ]] && s=${BASH_REMATCH[1]}
done <"$LC_INPUT_STANDIN_LOG"
for d in /sys/class/input/event*; do
	u=
	read -r u <"$d/device/uniq" 2>/dev/null
	case "$u" in
	"leasecast-kbd-$s") kbd=/dev/input/${d##*/} ;;
	"leasecast-tab-$s") tab=/dev/input/${d##*/} ;;
	esac
done
if [ -z "$s" ] || [ -z "$kbd" ] || [ -z "$tab" ]; then
	echo "input stand-in: no devices for scanout '${s}' (kbd '$kbd', tablet '$tab')" >&2
	exec "$LC_INPUT_STANDIN_SHIM" "$@"
fi
echo "input stand-in: scanout $s: $kbd and $tab as --input-fd 6 and 7" >&2
exec 6<>"$kbd" 7<>"$tab"
exec "$LC_INPUT_STANDIN_SHIM" "$@" --input-fd 6 --input-fd 7
