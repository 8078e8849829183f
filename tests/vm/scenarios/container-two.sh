# vm-container-two: desktops in real containers (Debian 12's podman 4.3,
# containers of the guest's own root, container-lib.sh). The broker runs as
# a service would, with --cdi-spec; its spec is checked (the card's, and
# contrib/cdi/leasecast.json), and so is what a container given the device
# sees: the card node (0660 root:video), the broker's socket directories,
# lease-launch's variables, the outputs' input nodes only as names (mode
# 0000; not even root in it can open one: device cgroup) and none of the
# guest's /run. Then two desktops in two containers, as Helix runs its
# desktops: unmodified sway (as lcuser) in desk-sway and unmodified
# Mutter (as lcuser2, with its session bus from dbus-run-session) in
# desk-mutter, each given the display by the broker's CDI spec
# (`--device leasecast.io/display=any`), each with its own /run and so its
# own private system bus, logind shim and session. lease-launch asks for
# each lease as its user, so the broker sees two tenants. The host hook
# (compositor-sway-host.sh sway:200 mutter:100) decodes both leased
# scanouts: each compositor's own picture, then its client's patterns
# (each client started in its container with `podman exec`). Then, from
# inside the containers:
# - each sees only its own lease: its stream file, its scanout, no other
#   user's runtime directory; the broker's STATUS, asked as its user, shows
#   its own stream key and not the other's; the other's scanout cannot be
#   released from it (Helix's cmd 2: refused);
# - its system bus is its own (another socket; its shim's session is its
#   own user's), and the other's input devices cannot be opened;
# - `podman kill` of one gives its output back (off), its input devices
#   and its stream key (revoked), while the other's lease goes on; then
#   the other.
# Last, `--device leasecast.io/display=Virtual-5` leases that output, and
# the broker's exit removes its spec.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/compositor-lib.sh"
. "$LC_SRC/tests/vm/scenarios/container-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
command -v podman >/dev/null || { echo "podman is not installed (scripts/install-deps.sh)"; exit 1; }
APP_ENV=()
ldd "$pc_bin" | grep -q libasan && APP_ENV=(env -u LD_PRELOAD)
declare -A D_CTR D_USER D_UID D_LL D_PID D_RT D_SCANOUT D_KEY D_CONN D_DISPLAY D_CLIENT

# desk_use NAME : the compositor-lib globals (user, runtime dir, how to
# enter) are desk NAME's.
desk_use() {
	comp_user=${D_USER[$1]} COMP_UID=${D_UID[$1]} COMP_RT=${D_RT[$1]:-} LL_PID=${D_LL[$1]:-}
	COMP_ENTER=(pm exec "${D_CTR[$1]}")
}

# desk_start NAME CONTAINER USER [LEASE-LAUNCH OPTIONS...] -- COMPOSITOR...
# starts lease-launch in a new container; desk_ready NAME then waits for
# its lease and its compositor's socket (both desktops start at once).
desk_start() {
	local name="$1" ctr="$2" user="$3" opts=()
	shift 3
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	D_CTR[$name]=$ctr D_USER[$name]=$user D_UID[$name]=$(id -u "$user")
	lc_signal "launch-$name"
	lc_bg "ll-$name" pm_run "$ctr" --device leasecast.io/display=any -- \
		"$ll_bin" --user "$user" --bus-policy "$LC_SRC/contrib/dbus/leasecast-logind-shim.conf" \
		--log-level debug --size 1920x1080 "${opts[@]}" -- "$@"
	D_LL[$name]=$LC_BG_PID
}

desk_ready() {
	local name="$1" ctr="${D_CTR[$1]}" user="${D_USER[$1]}" log="$LC_OUT/ll-$1.log" f
	lc_wait_for "grep -q 'compositor .* started\|done: exit status' '$log' || ! kill -0 ${D_LL[$name]} 2>/dev/null" 480
	grep -q 'compositor .* started' "$log" || { echo "lease-launch did not start $name:"; tail -30 "$log"; return 1; }
	grep -E 'lease granted|the lease is' "$log"
	D_PID[$name]=$(desk_pid "$ctr") || return 1
	# The container's own /run, seen from the guest through its first process.
	D_RT[$name]="/proc/${D_PID[$name]}/root/run/user/${D_UID[$name]}"
	f="${D_RT[$name]}/leasecast-stream"
	[ -f "$f" ] || { echo "no $f"; return 1; }
	D_SCANOUT[$name]=$(sed -n 's/^scanout=//p' "$f")
	D_KEY[$name]=$(sed -n 's/^key=//p' "$f")
	D_CONN[$name]=$(sed -n 's/^connector=//p' "$f")
	lc_signal "leased-$name" "${D_SCANOUT[$name]} ${D_KEY[$name]:-none}"
	echo "$ctr (pid ${D_PID[$name]}, $user): ${D_CONN[$name]} = scanout ${D_SCANOUT[$name]}"
	desk_use "$name"
	comp_wait_socket "$name" 300 || return 1
	D_DISPLAY[$name]=$COMP_DISPLAY
	lc_signal "$name-up"
}

desk_client() { # NAME FIRST INTERVAL_MS
	desk_use "$1"
	comp_client "$1" "${D_DISPLAY[$1]}" "$2" "$3" || return 1
	D_CLIENT[$1]=$CLIENT_PID
}

desk_until_seen() { # NAME SECS
	desk_use "$1"
	CLIENT_PID=${D_CLIENT[$1]:-0}
	comp_client_until_seen "$1" "$2"
}

# In desk A, as A's user: only A's lease; STATUS as that user (stream keys
# go to their holder only), on the broker's socket as the CDI spec mounts
# it (podman exec does not get the spec's variables: the path is the same).
sees_only_its_own() { # A B
	local a="$1" b="$2" out
	[ "${D_SCANOUT[$a]}" != "${D_SCANOUT[$b]}" ] || { echo "one scanout for both"; return 1; }
	out="$(pm exec "${D_CTR[$a]}" sh -c '
		sed -n "s/^scanout=//p" "/run/user/'"${D_UID[$a]}"'/leasecast-stream"
		test -e "/run/user/'"${D_UID[$b]}"'" && echo "sees the other user'"'"'s runtime dir"
		setpriv --reuid='"${D_USER[$a]}"' --regid='"${D_USER[$a]}"' --init-groups \
			"'"$broker_bin"'" --status --helix-socket "'"$helix_sock"'"
	' 2>&1)"
	python3 - "$out" "${D_SCANOUT[$a]}" "${D_KEY[$a]}" "${D_CONN[$a]}" "${D_CONN[$b]}" <<'PY'
import json, sys
out, scanout, key, mine, other = sys.argv[1:6]
lines = out.split("\n")
assert lines[0] == scanout, "its stream file says scanout %r, not %s" % (lines[0], scanout)
assert not any("runtime dir" in l for l in lines), out
st = json.loads("\n".join(lines[1:]))
keys = {d["name"]: d["stream_key"] for l in st["leases"] for d in l.get("outputs_detail", [])}
assert keys == {mine: key}, "STATUS as its user shows keys %s" % sorted(keys)
theirs = [l for l in st["leases"] if other in l["outputs"]]
assert theirs and theirs[0]["uid"] is None, "the other's lease as it sees it: %s" % theirs
print("sees scanout %s, its key only; the other's lease: holder hidden" % scanout)
PY
}

# From desk A, as A's user, Helix's ReleaseLease (cmd 2 on a new
# connection) of B's scanout: refused, and B's lease stays.
cannot_release_other() { # A B
	local a="$1" b="$2" out
	out="$(pm exec "${D_CTR[$a]}" setpriv --reuid="${D_USER[$a]}" --regid="${D_USER[$a]}" \
		--init-groups "$hc_bin" --socket "$helix_sock" release "${D_SCANOUT[$b]}" 2>&1)"
	echo "release ${D_SCANOUT[$b]} from ${D_CTR[$a]}: $out"
	# The broker heard it and refused it (not a connection that failed).
	lc_wait_for "grep -q 'release of scanout ${D_SCANOUT[$b]} refused: another user' '$LC_OUT/broker.log'" 30 ||
		{ echo "the broker never refused it"; return 1; }
	st "o['${D_CONN[$b]}']['leased_by'] is not None"
}

# Its own system bus: a socket of its own, whose login1 is its own shim,
# with its own user's session.
own_bus() { # A B
	local a="$1" b="$2" ia ib who
	ia=$(stat -L -c %d:%i "/proc/${D_PID[$a]}/root/run/dbus/system_bus_socket") || return 1
	ib=$(stat -L -c %d:%i "/proc/${D_PID[$b]}/root/run/dbus/system_bus_socket") || return 1
	[ "$ia" != "$ib" ] || { echo "one system bus socket for both ($ia)"; return 1; }
	who="$(pm exec "${D_CTR[$a]}" dbus-send --system --print-reply --dest=org.freedesktop.login1 \
		/org/freedesktop/login1/session/c1 org.freedesktop.DBus.Properties.Get \
		string:org.freedesktop.login1.Session string:Name 2>&1)"
	echo "${D_CTR[$a]}: its bus $ia, the other's $ib; its session's user: $(grep -o '"[^"]*"' <<<"$who")"
	grep -q "\"${D_USER[$a]}\"" <<<"$who"
}

# B's keyboard and tablet (STATUS' inputs of B's output) do not open in A.
cannot_open_others_input() { # A B
	local a="$1" b="$2" nodes n out
	nodes=$("$broker_bin" --status --helix-socket "$helix_sock" | python3 -c '
import json, sys
o = {x["name"]: x for x in json.load(sys.stdin)["outputs"]}
print(" ".join(i["node"] for i in o[sys.argv[1]].get("inputs", [])))' "${D_CONN[$b]}")
	[ -n "$nodes" ] || { echo "no input devices for ${D_CONN[$b]}"; return 1; }
	out="$(pm exec "${D_CTR[$a]}" sh -c 'for n; do true 2>/dev/null <"$n" && echo "opened $n"; done; true' sh $nodes 2>&1)"
	echo "${D_CTR[$a]} tried ${D_CONN[$b]}'s $nodes: ${out:-none opened}"
	[ -z "$out" ]
}

# podman kill of desk A: its output off, its input devices revoked; B's
# lease still there and its stream still streaming.
kill_one() { # A B
	local a="$1" b="$2"
	pm kill "${D_CTR[$a]}" || return 1
	lc_wait_for "! kill -0 ${D_LL[$a]} 2>/dev/null" 120
	wait "${D_LL[$a]}"
	echo "podman run of ${D_CTR[$a]} exited $?"
	# Its output back (off, offered again) while the other's lease stays.
	local c="${D_CONN[$a]}"
	wait_st "not any('$c' in l['outputs'] for l in L) and o['$c']['leased_by'] is None and o['$c']['state'] == 'off' and o['$c']['offerable']" 30 || return 1
	# Its keyboard and tablet revoked with the lease (the next lease gets
	# fresh open files), and its stream key.
	local id
	id=$(sed -n "s/.*lease \([0-9]*\) granted: $c .*/\1/p" "$LC_OUT/broker.log" | tail -1)
	lc_wait_for "grep -q 'lease $id: 2 input devices revoked' '$LC_OUT/broker.log'" 30 ||
		{ echo "lease $id's input devices were not revoked"; return 1; }
	grep -E "lease $id: (2 input devices|lessee .*) revoked|STREAM_KEY_REVOKE scanout ${D_SCANOUT[$a]}\$" \
		"$LC_OUT/broker.log" | tail -3
	grep -q "STREAM_KEY_REVOKE scanout ${D_SCANOUT[$a]}\$" "$LC_OUT/broker.log" ||
		{ echo "its stream key was not revoked"; return 1; }
	[ -z "${b:-}" ] || st "o['${D_CONN[$b]}']['leased_by'] is not None"
}

lc_case users eval 'comp_user=lcuser; comp_setup_user nobus && comp_user=lcuser2 && comp_setup_user nobus' ||
	{ lc_finish; exit 1; }
lc_case podman-setup setup_podman || { lc_finish; exit 1; }
lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" \
	--cdi-spec "$CDI" || { lc_finish; exit 1; }
lc_case cdi-spec-for-the-card spec_is_the_cards
lc_case contrib-cdi-example-is-the-brokers contrib_is_the_brokers
lc_case container-sees-node-sockets-vars container_sees
comp_sway_config "$LC_OUT/lc-sway.conf" # where the container sees it
desk_start sway desk-sway lcuser --wlroots \
	--authmagic-lib "$LC_BUILD/compositor-module/libleasecast-authmagic.so" -- \
	"${APP_ENV[@]}" sway -c "$LC_OUT/lc-sway.conf"
desk_start mutter desk-mutter lcuser2 --kill-grace-ms 60000 -- \
	dbus-run-session -- mutter --wayland --display-server --no-x11
for d in sway mutter; do
	if ! lc_case "$d-in-container" desk_ready "$d"; then
		lc_signal "leased-$d" "fail none"; lc_signal "$d-up"
	fi
done
lc_wait_signal host-bg 400 || echo "the host never checked the compositors' pictures"
lc_case sway-client desk_client sway 200 700
lc_case mutter-client desk_client mutter 100 3000
desk_until_seen sway 400
desk_until_seen mutter 400
lc_signal stop-watch-sway
lc_signal stop-watch-mutter
lc_wait_signal host-done 150 || echo "the host hook never finished"
cat "$LC_OUT/host-results.txt" 2>/dev/null
lc_case sway-not-black comp_host_case sway-not-black
lc_case sway-patterns-in-its-stream comp_host_case sway-patterns
lc_case mutter-not-black comp_host_case mutter-not-black
lc_case mutter-patterns-in-its-stream comp_host_case mutter-patterns
lc_case two-tenants eval '[ "$(grep -c "the lease is" "$LC_OUT/ll-sway.log" "$LC_OUT/ll-mutter.log" | grep -c ":1$")" = 2 ]'
lc_case sway-sees-only-its-lease sees_only_its_own sway mutter
lc_case mutter-sees-only-its-lease sees_only_its_own mutter sway
lc_case sway-cannot-release-mutters cannot_release_other sway mutter
lc_case mutter-cannot-release-sways cannot_release_other mutter sway
lc_case sway-own-bus own_bus sway mutter
lc_case mutter-own-bus own_bus mutter sway
lc_case sway-cannot-open-mutters-input cannot_open_others_input sway mutter
lc_case mutter-cannot-open-sways-input cannot_open_others_input mutter sway
lc_case kill-sway-mutter-stays kill_one sway mutter
lc_case kill-mutter kill_one mutter
lc_case named-device-leases-that-output named_output
lc_case broker-stops-spec-gone eval 'kill -TERM $broker_pid && lc_wait_for "! kill -0 $broker_pid 2>/dev/null" 20 && [ ! -e "$CDI" ]'
lc_finish
