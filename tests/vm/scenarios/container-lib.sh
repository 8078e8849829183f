# shellcheck shell=bash
# Shared helpers of the container scenarios (container-*.sh): Debian 12's
# podman 4.3 in the rig's guest, as ../shared/reference/input-and-newer-qemu.md
# records it (cgroup2, storage on tmpfs, cgroupfs, no events backend), and
# containers of the guest's own root (--rootfs /:O, no image). Source after
# lib.sh.

CDI=/run/cdi/leasecast.json
# Every podman call: state on tmpfs, cgroupfs, no journal or event log.
pm() { podman --cgroup-manager=cgroupfs --events-backend=none "$@"; }
# pm_run NAME [RUN OPTIONS...] -- CMD... : a container of the guest's root.
pm_run() {
	local name="$1" opts=()
	shift
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	# Its own /run and /tmp: the guest's root is the host's over 9p, whose
	# /run holds the host's files under the guest's own tmpfs. The tree
	# under test (in /tmp on CI's clean clone) is bound in read-only, so
	# its binaries run; the working directory is /.
	pm run --rm --name "$name" --network none --mount type=tmpfs,destination=/run \
		--mount type=tmpfs,destination=/tmp -v "$LC_OUT:$LC_OUT" \
		-v "$LC_SRC:$LC_SRC:ro" -v "$LC_BUILD:$LC_BUILD:ro" --workdir / \
		"${opts[@]}" --rootfs /:O "$@"
}

# podman-setup: cgroup2 and the storage on tmpfs; prints podman's version.
setup_podman() {
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup || return 1
	mkdir -p /tmp/containers /run/cdi
	cat >/tmp/containers/storage.conf <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "/tmp/containers/storage"
		runroot = "/tmp/containers/run"
	EOF
	export CONTAINERS_STORAGE_CONF=/tmp/containers/storage.conf
	podman --version
}

# desk_pid NAME : the pid of container NAME's first process (its /run is
# /proc/PID/root/run from the guest).
desk_pid() { pm inspect -f '{{.State.Pid}}' "$1"; }

# ---- checks of the broker's CDI spec and of what it gives a container

# cdi-spec-for-the-card: the spec is the broker's for its card: kind, the
# devices (any, Virtual-2..16; Virtual-1 reserved), the card node 0660
# root:video with its real numbers.
spec_is_the_cards() {
	python3 - "$CDI" "$(getent group video | cut -d: -f3)" <<'PY' || return 1
import json, os, sys
spec = json.load(open(sys.argv[1]))
gid = int(sys.argv[2])
st = os.stat("/dev/dri/card0")
names = [d["name"] for d in spec["devices"]]
assert spec["kind"] == "leasecast.io/display", spec["kind"]
# Virtual-1 is reserved (the VM console): not a device of the spec.
assert names == ["any"] + ["Virtual-%d" % i for i in range(2, 17)], names
node = spec["containerEdits"]["deviceNodes"][0]
assert (node["major"], node["minor"], node["gid"], node["fileMode"]) == \
    (os.major(st.st_rdev), os.minor(st.st_rdev), gid, 0o660), node
print("spec: %d devices, card %d:%d, gid %d" % (len(names), node["major"], node["minor"], gid))
PY
	stat -c '%a %U:%G %n' "$CDI"
	cp "$CDI" "$LC_OUT/leasecast.json"
}

# contrib/cdi/leasecast.json is the spec the broker writes for this card
# (the rig's 16 outputs, Virtual-1 reserved, group video), input nodes and
# all: the shipped example cannot drift from the code.
contrib_is_the_brokers() {
	python3 - "$CDI" "$LC_SRC/contrib/cdi/leasecast.json" <<'PY'
import json, sys
got, shipped = (json.load(open(p)) for p in sys.argv[1:3])
if got != shipped:
    print("the broker wrote:\n" + json.dumps(got, indent=2))
    sys.exit(1)
print("contrib/cdi/leasecast.json: the broker's spec for the rig's card")
PY
}

# What a container given the device sees, checked inside it.
container_sees() {
	local out
	# A file only the guest's /run has (the rig's guest root is the host's
	# over 9p, so what lies under the guest's /run tmpfs is the host's: not
	# the guest's, and not this check's business).
	echo guest >/run/lc-guest-only
	out="$(pm_run probe --device leasecast.io/display=any -- sh -c '
		stat -c "node %a %U:%G %t:%T" /dev/dri/card0
		echo "output=$LEASECAST_OUTPUT socket=$LEASECAST_WAYLAND_SOCKET card=$LEASECAST_CARD"
		test -S "$LEASECAST_WAYLAND_SOCKET" && echo "wayland socket there"
		test -S "$LEASECAST_HELIX_SOCKET" && echo "helix socket there"
		stat -c "input %a %t:%T %n" /dev/input/event*
		# true, not ":": a failed redirection of a special built-in would
		# end the shell. No subshell per node: forks are slow under TCG.
		for n in /dev/input/event*; do
			true 2>/dev/null <"$n" && echo "input opened: $n"
		done
		ls -A /run | tr "\n" " " | sed "s/^/run: /"; echo
		test -e /run/lc-guest-only || echo "none of the guest'"'"'s /run"
	' 2>&1)"
	echo "$out"
	grep -q '^node 660 root:video e2:0$' <<<"$out" &&
		grep -q '^output=any socket=/run/leasecast/wayland-0 card=/dev/dri/card0$' <<<"$out" &&
		grep -q '^wayland socket there$' <<<"$out" && grep -q '^helix socket there$' <<<"$out" &&
		[ "$(grep -c '^input 0 d:' <<<"$out")" -ge 30 ] && ! grep -q '^input opened' <<<"$out" &&
		grep -q "^none of the guest's /run$" <<<"$out"
}

# named-device-leases-that-output: --device leasecast.io/display=Virtual-5
# (LEASECAST_OUTPUT) leases that output; lease-launch in the container
# finds the broker's socket from the spec's variables alone.
named_output() {
	local log="$LC_OUT/ll-named.log"
	pm_run desk-b --device leasecast.io/display=Virtual-5 -- \
		"$ll_bin" --bus-policy "$LC_SRC/contrib/dbus/leasecast-logind-shim.conf" --log-level info \
		-- true >"$log" 2>&1
	grep -E 'lease granted|done: exit status' "$log"
	grep -q 'lease granted: connector=Virtual-5 ' "$log" && grep -q 'done: exit status 0' "$log" &&
		output_returns Virtual-5 30 off
}

