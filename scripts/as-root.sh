# shellcheck shell=bash
# Sourced at the top of the README's commands: they install packages and
# boot the rig, so they need root. A user with sudo gets the same command
# re-run through sudo (keeping the LC_* variables); root runs it as it is
# (a fresh Debian 12 root shell has no sudo).
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "$(basename "$0"): needs root, and sudo is not installed: run it as root" >&2
		exit 1
	fi
	keep=$(env | sed -n 's/^\(LC_[A-Za-z0-9_]*\)=.*/\1/p' | paste -sd, -)
	exec sudo ${keep:+--preserve-env="$keep"} bash "$0" "$@"
fi
