# broker-input: the broker owns every output's virtio keyboard and tablet
# (the rig binds one of each to heads 1..15, uniq leasecast-kbd-S /
# leasecast-tab-S) and hands a lease's holder exactly its output's devices.
#   - nodes: 0600 root:root once the broker runs (one is loosened to 0666
#     before it starts), a non-holder (uid 1001, groups video and input)
#     cannot open any of them, STATUS lists them per output
#   - a Wayland holder (uid 1002, leasecast_lease_v1 v2) of Virtual-3 and a
#     Helix holder (uid 1000, cmd 5) of the next free output each get two
#     fds, keyboard then tablet, whose EVIOCGUNIQ is their output's; a v1
#     binder gets none
#   - the host hook (broker-input-host.sh) presses keys, moves the absolute
#     pointer and clicks on one output's console over QEMU's D-Bus display:
#     that holder reads exactly those events, the other holder nothing; then
#     the other way round
#   - every end of a lease revokes the fds (read and EVIOCGNAME: ENODEV):
#     Wayland destroy and disconnect, Helix RELEASE, hang-up, lease fd
#     closed (lessee gone), broker shutdown; the next holder of Virtual-3
#     gets working input
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
# The host hook waits for rounds until this, however the scenario ends.
trap 'lc_signal guest-done' EXIT
mkdir -p /run/helix-drm /run/leasecast /run/lc-input
chmod 1777 /run/lc-input
# What udev does on a desktop (the rig has no udev): the card is root:video 0660.
chgrp video /dev/dri/card0 && chmod 0660 /dev/dri/card0
wl_bin="$LC_BUILD/tests/clients/lc-wl-lease-client"
video_gid="$(getent group video | cut -d: -f3)"
input_gid="$(getent group input | cut -d: -f3)"
as_user() { # UID CMD... : another uid in group video (the socket, the card)
	local uid="$1"
	shift
	setpriv --reuid "$uid" --regid "$video_gid" --clear-groups "$@"
}

# "NODE UNIQ" of every evdev device with a uniq, in one process (forks are
# slow under TCG).
uniqs() {
	grep -H . /sys/class/input/event*/device/uniq 2>/dev/null |
		sed -n 's|^/sys/class/input/\(event[0-9]*\)/device/uniq:\(.*\)$|/dev/input/\1 \2|p'
}
# The evdev node whose uniq is $1.
node_of() { uniqs | awk -v u="$1" '$2 == u { print $1 }'; }
leasecast_nodes() { uniqs | awk '$2 ~ /^leasecast-(kbd|tab)-[0-9]+$/ { print $1 }'; }

devices_present() {
	lc_wait_for '[ "$(leasecast_nodes | wc -l)" = 30 ]' 30 ||
		{ echo "the rig has $(leasecast_nodes | wc -l) of 30 leasecast input devices"; return 1; }
	# A node that udev (or an admin) left open to everyone.
	loose="$(node_of leasecast-kbd-2)"
	chmod 0666 "$loose" && chgrp "$input_gid" "$loose"
}

nodes_root_only() {
	local bad=0 wrong
	wrong="$(stat -c '%n %a %u %g' $(leasecast_nodes) | grep -v ' 600 0 0$')"
	[ -z "$wrong" ] || { echo "not 0600 root:root: $wrong"; bad=1; }
	grep -q "input: $loose (leasecast-kbd-2) was mode 0666 uid 0 gid $input_gid: now 0600 root:root" \
		"$LC_OUT/broker.log" || { echo "no tightening of $loose in the log"; bad=1; }
	return "$bad"
}

status_lists_inputs() {
	st "all([(x['kind'], x['uniq']) for x in o['Virtual-%d' % (s + 1)]['inputs']] == [('keyboard', 'leasecast-kbd-%d' % s), ('tablet', 'leasecast-tab-%d' % s)] for s in range(1, 16)) and o['Virtual-1']['inputs'] == [] and o['Virtual-3']['inputs'][0]['node'] == '$(node_of leasecast-kbd-2)' and 'input_devices' in d['extensions']"
}

# Neither a plain user in groups video and input nor anyone but root.
non_holder_cannot_open() {
	setpriv --reuid 1001 --regid "$video_gid" --groups "$video_gid,$input_gid" \
		python3 - $(leasecast_nodes) <<'PY'
import os, sys
opened = []
for n in sys.argv[1:]:
    for flags in (os.O_RDONLY, os.O_RDWR):
        try:
            os.close(os.open(n, flags | os.O_NONBLOCK))
            opened.append(n)
        except PermissionError:
            pass
print("uid %d opened %d of %d nodes" % (os.getuid(), len(opened), len(sys.argv) - 1))
sys.exit(1 if opened or len(sys.argv) < 31 else 0)
PY
}

# holder NAME UID ARGS... : a test client in the background, its log in
# $LC_OUT/NAME.log, until it printed "inputs ready" (or died).
holder() {
	local name="$1" uid="$2"
	shift 2
	lc_bg "$name" as_user "$uid" "$@"
	HOLDER_PID=$LC_BG_PID
	lc_wait_for "grep -q '^inputs ready' '$LC_OUT/$name.log' || ! kill -0 $HOLDER_PID 2>/dev/null" 60
	grep -q '^inputs ready' "$LC_OUT/$name.log" || { cat "$LC_OUT/$name.log"; return 1; }
	grep '^input\|^inputs\|^ok' "$LC_OUT/$name.log"
}

wl_holds() {
	holder wl "1002" "$wl_bin" --socket "$wl_sock" input Virtual-3 --expect-inputs 2 \
		--hold-file /run/lc-input/hold-wl --end destroy || return 1
	wl_pid=$HOLDER_PID
	grep -q '^inputs n=2 version=2 connector=Virtual-3' "$LC_OUT/wl.log"
}
helix_holds() {
	holder hx 1000 "$hc_bin" --socket "$helix_sock" input --expect-inputs 2 \
		--hold-file /run/lc-input/hold-hx --end release || return 1
	hx_pid=$HOLDER_PID
	hx_scanout="$(sed -n 's/^inputs n=2 connector=Virtual-[0-9]* scanout=\([0-9]*\)$/\1/p' "$LC_OUT/hx.log")"
	[ -n "$hx_scanout" ] && [ "$hx_scanout" != 2 ] && grep -q '^input ok without-lease=EPERM' "$LC_OUT/hx.log"
}
# A client that binds leasecast_lease_manager_v1 version 1 gets no fd.
v1_gets_none() {
	as_user 1001 "$wl_bin" --socket "$wl_sock" input Virtual-5 --leasecast-version 1 --expect-inputs 0 \
		>"$LC_OUT/wl-v1.log" 2>&1
	local rc=$?
	cat "$LC_OUT/wl-v1.log"
	[ "$rc" = 0 ] && grep -q '^inputs n=0 version=1 ' "$LC_OUT/wl-v1.log"
}

# events LOG UNIQ : "type code value" of each event of UNIQ in LOG, key
# repeats (value 2: the guest's autorepeat under a slow vCPU) left out.
events() {
	sed -n "s/^event uniq=$2 type=\([0-9]*\) code=\([0-9]*\) value=\([0-9-]*\)$/\1 \2 \3/p" "$1" | grep -v '^1 [0-9]* 2$'
}
# What the host hook sends to a console (broker-input-host.sh): KEY_A and
# KEY_B pressed and released, the pointer to a point of the console (the
# hook says which ABS_X and ABS_Y that is), left button pressed and
# released.
want_kbd=$'1 30 1\n1 30 0\n1 48 1\n1 48 0'
got_all() { # LOG SCANOUT
	[ "$(events "$1" "leasecast-kbd-$2")" = "$want_kbd" ] &&
		[ "$(events "$1" "leasecast-tab-$2")" = "$want_tab" ]
}
no_events() { ! grep -q '^event ' "$1"; }

# inject NAME LOG SCANOUT OTHER_LOG : the host types on SCANOUT's console;
# LOG's holder reads all of it, OTHER_LOG's nothing.
inject() {
	local name="$1" log="$2" s="$3" other="$4" before
	before="$(grep -c '^event ' "$other")"
	lc_signal "inject-$name" "$s"
	lc_wait_signal "injected-$name" 60 || { echo "the host never injected $name"; return 1; }
	local abs
	read -ra abs <<<"$(lc_signal_content "injected-$name")"
	want_tab="3 0 ${abs[0]}"$'\n'"3 1 ${abs[1]}"$'\n1 272 1\n1 272 0'
	lc_wait_for "got_all '$log' $s" 30
	echo "kbd: $(events "$log" "leasecast-kbd-$s" | tr '\n' ',') tab: $(events "$log" "leasecast-tab-$s" | tr '\n' ',')"
	got_all "$log" "$s" || { echo "the holder of scanout $s did not read exactly the injected events"; return 1; }
	[ "$(grep -c '^event ' "$other")" = "$before" ] || { echo "the other holder read events:"; grep '^event ' "$other"; return 1; }
}
wl_reads_own() { inject a "$LC_OUT/wl.log" 2 "$LC_OUT/hx.log"; }
hx_reads_own() { inject b "$LC_OUT/hx.log" "$hx_scanout" "$LC_OUT/wl.log"; }

# The first two leases end: Wayland destroy, Helix RELEASE.
leases_end_revoked() {
	touch /run/lc-input/hold-wl /run/lc-input/hold-hx
	lc_wait_for "! kill -0 $wl_pid 2>/dev/null && ! kill -0 $hx_pid 2>/dev/null" 60
	grep '^revoked\|^PASS\|^input ok\|^input pass\|error\|FAIL' "$LC_OUT/wl.log" "$LC_OUT/hx.log"
	[ "$(grep -c '^revoked .* read=ENODEV ioctl=ENODEV' "$LC_OUT/wl.log")" = 2 ] &&
		[ "$(grep -c '^revoked .* read=ENODEV ioctl=ENODEV' "$LC_OUT/hx.log")" = 2 ] &&
		grep -q '^PASS input' "$LC_OUT/wl.log" && grep -q '^input pass' "$LC_OUT/hx.log" &&
		grep -q '^input ok after-lease=EPERM' "$LC_OUT/hx.log" &&
		[ "$(grep -c 'lease [0-9]*: 2 input devices revoked' "$LC_OUT/broker.log")" -ge 2 ] &&
		wait_st "len(L) == 0" 20
}

# The next holder of Virtual-3 types; it ends by disconnecting.
next_holder_works() {
	holder wl2 1001 "$wl_bin" --socket "$wl_sock" input Virtual-3 --expect-inputs 2 \
		--hold-file /run/lc-input/hold-wl2 --end disconnect || return 1
	local pid=$HOLDER_PID rc=0
	: >"$LC_OUT/empty.log"
	inject c "$LC_OUT/wl2.log" 2 "$LC_OUT/empty.log" || rc=1
	touch /run/lc-input/hold-wl2
	lc_wait_for "! kill -0 $pid 2>/dev/null" 30
	grep '^revoked\|^PASS\|^ok disc\|FAIL' "$LC_OUT/wl2.log"
	[ "$(grep -c '^revoked .* read=ENODEV ioctl=ENODEV' "$LC_OUT/wl2.log")" = 2 ] &&
		grep -q '^PASS input' "$LC_OUT/wl2.log" && [ "$rc" = 0 ]
}

# hx_end HOW : a Helix lease ended by HOW (hangup, close-fd).
hx_end() {
	as_user 1000 "$hc_bin" --socket "$helix_sock" input --expect-inputs 2 --end "$1" \
		>"$LC_OUT/hx-$1.log" 2>&1
	local rc=$?
	grep '^revoked\|^input ok\|pass\|error' "$LC_OUT/hx-$1.log"
	[ "$rc" = 0 ] && [ "$(grep -c '^revoked .* read=ENODEV ioctl=ENODEV' "$LC_OUT/hx-$1.log")" = 2 ]
}

fds_back() {
	wait_st "len(L) == 0" 20 || return 1
	echo "broker fds: $fds0 -> $(broker_fds)"
	[ "$(broker_fds)" -le "$fds0" ]
}

# A holder that keeps its lease while the broker shuts down.
shutdown_revokes() {
	holder hx-shutdown 1000 "$hc_bin" --socket "$helix_sock" input --expect-inputs 2 --end wait || return 1
	local pid=$HOLDER_PID
	kill -TERM "$broker_pid"
	lc_wait_for "! kill -0 $pid 2>/dev/null && ! kill -0 $broker_pid 2>/dev/null" 30
	grep '^revoked\|pass\|error' "$LC_OUT/hx-shutdown.log"
	[ "$(grep -c '^revoked .* read=ENODEV ioctl=ENODEV' "$LC_OUT/hx-shutdown.log")" = 2 ] &&
		grep -q '^input pass' "$LC_OUT/hx-shutdown.log"
}

lc_case devices-present devices_present || { lc_finish; exit 1; }
lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
fds0=$(broker_fds)
lc_case nodes-root-only nodes_root_only
lc_case status-lists-inputs status_lists_inputs
lc_case non-holder-cannot-open non_holder_cannot_open
lc_case wayland-holder-fds wl_holds || { lc_finish; exit 1; }
lc_case helix-holder-fds helix_holds || { lc_finish; exit 1; }
lc_case non-holder-cannot-open-while-leased non_holder_cannot_open
lc_case v1-binder-gets-none v1_gets_none
lc_case wayland-reads-only-its-own wl_reads_own
lc_case helix-reads-only-its-own hx_reads_own
lc_case destroy-release-revoke leases_end_revoked
lc_case next-holder-gets-input next_holder_works
lc_case hangup-revokes hx_end hangup
lc_case lessee-gone-revokes hx_end close-fd
lc_case broker-fds-back fds_back
lc_case shutdown-revokes shutdown_revokes
lc_finish
