# vm-container-podman: a desktop in a real container. The broker runs as a
# service would, with --cdi-spec /run/cdi/leasecast.json; Debian 12's
# podman 4.3 applies that spec (`--device leasecast.io/display=any`) to a
# container of the guest's own root (`--rootfs /:O`, no image), with its own
# mount namespace (so its own /run: its own private system bus, logind shim
# and session), no network, podman's default capabilities. Cases:
# - the spec is the broker's for its card, and a container given the device
#   sees the card node (0660 root:video), the broker's socket directories
#   and lease-launch's variables, the outputs' input nodes only as names
#   (mode 0000, and not even root in it can open one: device cgroup), and
#   none of the guest's /run;
# - lease-launch in the container (its socket and card from the spec's
#   variables, no options for them) runs cage with the pattern client on a
#   lease; the host hook (compositor-cage-host.sh) decodes the leased
#   scanout's stream and wants the client's patterns;
# - `podman kill` of that container gives its output back (off again);
# - `--device leasecast.io/display=Virtual-5` leases that output
#   (LEASECAST_OUTPUT).
# The container set-up is the one recorded in
# ../shared/reference/input-and-newer-qemu.md (cgroup2, storage on tmpfs,
# cgroupfs, no events backend); each `podman run` takes ~16 s under TCG.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/compositor-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
command -v podman >/dev/null || { echo "podman is not installed (scripts/install-deps.sh)"; exit 1; }
CDI=/run/cdi/leasecast.json
APP_ENV=()
ldd "$pc_bin" | grep -q libasan && APP_ENV=(env -u LD_PRELOAD)
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
		for n in /dev/input/event*; do
			[ -e "$n" ] || continue
			stat -c "input %a %t:%T %n" "$n"
			head -c1 "$n" >/dev/null 2>&1 && echo "input opened: $n"
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

# lease-launch in a container: no socket or card option, the spec's
# variables. The same signals as comp_launch, for the host hook.
cage_in_container() {
	local log="$LC_OUT/ll-cage.log" f
	lc_signal launch-cage
	lc_bg ll-cage pm_run desk-a --device leasecast.io/display=any -- \
		"$ll_bin" --user "$comp_user" --bus-policy "$LC_SRC/contrib/dbus/leasecast-logind-shim.conf" \
		--log-level debug --wlroots --authmagic-lib "$LC_BUILD/compositor-module/libleasecast-authmagic.so" \
		--size 1920x1080 -- cage -- "${APP_ENV[@]}" "$pc_bin" --first 300 --count 4 --interval-ms 700
	LL_PID=$LC_BG_PID
	lc_wait_for "grep -q 'compositor .* started\|done: exit status' '$log' || ! kill -0 $LL_PID 2>/dev/null" 180
	grep -q 'compositor .* started' "$log" || { echo "lease-launch did not start cage:"; tail -30 "$log"; return 1; }
	grep 'lease granted' "$log"
	CPID="$(pm inspect -f '{{.State.Pid}}' desk-a)" || return 1
	# The container's own /run, seen from outside through its init's root.
	f="/proc/$CPID/root/run/user/$COMP_UID/leasecast-stream"
	[ -f "$f" ] || { echo "no $f"; return 1; }
	COMP_SCANOUT=$(sed -n 's/^scanout=//p' "$f")
	COMP_KEY=$(sed -n 's/^key=//p' "$f")
	CONN=$(sed -n 's/^connector=//p' "$f")
	lc_signal leased-cage "$COMP_SCANOUT ${COMP_KEY:-none}"
	echo "container desk-a (pid $CPID): $CONN = scanout $COMP_SCANOUT"
	# Its session is its own: the guest's /run has no shim files of it.
	[ ! -e /run/systemd/sessions/c1 ] || { echo "the container's session shows in the guest's /run"; return 1; }
	lc_wait_for "grep -q '^shown' '$log' || ! kill -0 $LL_PID 2>/dev/null" 180
	grep -E '^configured|^shown' "$log" | head -3
	grep -q '^shown' "$log" && st "o['$CONN']['leased_by'] is not None"
}

kill_gives_back() {
	pm kill desk-a || return 1
	lc_wait_for "! kill -0 $LL_PID 2>/dev/null" 120
	wait "$LL_PID"
	echo "podman run exited $?"
	output_returns "$CONN" 30 off
}

named_output() {
	local log="$LC_OUT/ll-named.log"
	pm_run desk-b --device leasecast.io/display=Virtual-5 -- \
		"$ll_bin" --bus-policy "$LC_SRC/contrib/dbus/leasecast-logind-shim.conf" --log-level info \
		-- true >"$log" 2>&1
	grep -E 'lease granted|done: exit status' "$log"
	grep -q 'lease granted: connector=Virtual-5 ' "$log" && grep -q 'done: exit status 0' "$log" &&
		output_returns Virtual-5 30 off
}

lc_case user comp_setup_user nobus || { lc_finish; exit 1; }
lc_case podman-setup setup_podman || { lc_finish; exit 1; }
lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" \
	--cdi-spec "$CDI" || { lc_finish; exit 1; }
lc_case cdi-spec-for-the-card spec_is_the_cards
lc_case contrib-cdi-example-is-the-brokers contrib_is_the_brokers
lc_case container-sees-node-sockets-vars container_sees
if ! lc_case cage-in-container cage_in_container; then
	lc_signal leased-cage "fail none" 2>/dev/null
fi
lc_signal cage-up
lc_wait_signal patterns-seen-cage 400 || echo "the host did not see all of cage's patterns within 400 s"
lc_signal stop-watch-cage
lc_wait_signal host-done 120 || echo "the host hook never finished"
cat "$LC_OUT/host-results.txt" 2>/dev/null
lc_case client-pattern-in-stream comp_host_case cage-patterns
lc_case podman-kill-output-back kill_gives_back
lc_case named-device-leases-that-output named_output
lc_case broker-stops-spec-gone eval 'kill -TERM $broker_pid && lc_wait_for "! kill -0 $broker_pid 2>/dev/null" 20 && [ ! -e "$CDI" ]'
lc_finish
