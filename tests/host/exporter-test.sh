#!/bin/bash
# Host integration test of qemu-frame-exporter against a real dbus-daemon and
# a real QEMU (-display dbus, 16-output virtio-gpu, no guest kernel: the
# control plane only needs QEMU's consoles). Usage: exporter-test.sh CASE
# with LC_EXPORTER, LC_PROBE (and optionally LC_QEMU) in the environment.
set -u

CASE=${1:?usage: exporter-test.sh CASE}
EXPORTER=${LC_EXPORTER:?LC_EXPORTER: path of qemu-frame-exporter}
PROBE=${LC_PROBE:?LC_PROBE: path of hxfr-probe}
INPUT_SEND=${LC_INPUT_SEND:-}
SUBSCRIBE_CHECK=${LC_SUBSCRIBE_CHECK:-}
QEMU=${LC_QEMU:-qemu-system-x86_64}

T=$(mktemp -d /tmp/lc-host-exporter.XXXXXX)
BUS_PID= BUS_ADDR= QEMU_PID= MON_PID= EXP_PID=
FAILED=0

log() { echo "[$CASE] $*"; }

cleanup() {
	local p
	for p in $EXP_PID $MON_PID $QEMU_PID $BUS_PID; do
		kill "$p" 2>/dev/null
	done
	for p in $EXP_PID $MON_PID $QEMU_PID; do
		wait "$p" 2>/dev/null
	done
	if [ "$FAILED" != 0 ]; then
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "---- $(basename "$f") (last 60 lines)"
			tail -n 60 "$f"
		done
	fi
	[ -n "${LC_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "[$CASE] FAIL: $*"
	FAILED=1
	exit 1
}

# Below the ephemeral range, so no outgoing connection takes it first.
free_port() { "$(dirname "${BASH_SOURCE[0]}")/../lc-free-port"; }

# Retries a command until it succeeds or SECONDS pass.
retry() {
	local secs=$1
	shift
	local end=$((SECONDS + secs))
	while :; do
		"$@" >"$T/retry.out" 2>&1 && return 0
		[ $SECONDS -ge $end ] && { cat "$T/retry.out"; return 1; }
		sleep 0.3
	done
}

start_bus() {
	rm -f "$T/bus"
	dbus-daemon --session --address="unix:path=$T/bus" --fork --print-pid=1 \
		--print-address=1 >"$T/bus.out" || fail "dbus-daemon did not start"
	BUS_ADDR=$(sed -n 1p "$T/bus.out")
	BUS_PID=$(sed -n 2p "$T/bus.out")
	[ -n "$BUS_PID" ] || fail "no dbus-daemon pid"
}

stop_bus() {
	kill "$BUS_PID"
	while kill -0 "$BUS_PID" 2>/dev/null; do sleep 0.1; done
	BUS_PID=
}

qemu_on_bus() {
	busctl --address="$BUS_ADDR" call org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus NameHasOwner s org.qemu | grep -q true
}

start_qemu() {
	# -S: the vCPU never runs; QEMU's display and its consoles exist anyway.
	DBUS_SESSION_BUS_ADDRESS="$BUS_ADDR" "$QEMU" -S -accel tcg -display dbus \
		-device virtio-gpu-pci,max_outputs=16 -nodefaults -no-user-config -m 256 \
		>>"$T/qemu.log" 2>&1 &
	QEMU_PID=$!
	retry 20 qemu_on_bus || fail "QEMU did not appear on the bus"
}

kill_qemu() {
	kill -9 "$QEMU_PID"
	wait "$QEMU_PID" 2>/dev/null
	QEMU_PID=
}

monitor_ready() { grep -q NameLost "$T/monitor.log"; }

start_monitor() {
	: >"$T/monitor.log"
	dbus-monitor --address "$BUS_ADDR" \
		"type='method_call',interface='org.qemu.Display1.Console',member='SetUIInfo'" \
		>"$T/monitor.log" 2>&1 &
	MON_PID=$!
	retry 10 monitor_ready || fail "dbus-monitor did not start"
}

# Every SetUIInfo call QEMU was sent, one per line: "Console_N wmm hmm x y w h".
ui_calls() {
	awk '/member=SetUIInfo/ { p = $0; sub(/.*path=/, "", p); sub(/;.*/, "", p);
			sub(/.*\//, "", p); line = p; n = 0; on = 1; next }
	     on && /^ +(uint16|int32|uint32) / { line = line " " $2; if (++n == 6) { print line; on = 0 } }' \
		"$T/monitor.log"
}

seen_call() { ui_calls | grep -qx "$1"; }

expect_call() {
	retry 5 seen_call "$1" || { ui_calls; fail "QEMU never got SetUIInfo '$1'"; }
	log "QEMU got SetUIInfo: $1"
}

PORT=$(free_port)
ADDR=127.0.0.1:$PORT

start_exporter() {
	READY_BEFORE=$(grep -c "QEMU display ready" "$T/exporter.log" 2>/dev/null)
	"$EXPORTER" --listen "$ADDR" --dbus-address "$BUS_ADDR" --log-level debug "$@" \
		>>"$T/exporter.log" 2>&1 &
	EXP_PID=$!
	"$PROBE" "$ADDR" wait || fail "exporter did not start"
}

display_ready() {
	[ "$(grep -c "QEMU display ready" "$T/exporter.log")" -gt "${READY_BEFORE:-0}" ]
}

# The exporter has read QEMU's consoles (after start_exporter or start_qemu).
wait_display_ready() {
	retry 20 display_ready || fail "the exporter never got QEMU's consoles"
	READY_BEFORE=$(grep -c "QEMU display ready" "$T/exporter.log")
}

# SIGTERM must end it cleanly (and, under ASan, without leaks).
stop_exporter() {
	kill -TERM "$EXP_PID"
	local rc=0
	wait "$EXP_PID" || rc=$?
	EXP_PID=
	[ "$rc" = 0 ] || fail "exporter exited with $rc after SIGTERM"
	grep -q "exiting" "$T/exporter.log" || fail "exporter did not log a clean exit"
}

alive() { kill -0 "$EXP_PID" 2>/dev/null || fail "exporter died"; }

probe() { "$PROBE" "$ADDR" "$@" || fail "probe $*"; }
probe_key() { "$PROBE" "$ADDR" --key "$T/key" "$@" || fail "probe --key $*"; }

make_keys() {
	(umask 077; head -c 32 /dev/urandom | base64 >"$T/key"; head -c 32 /dev/urandom | base64 >"$T/wrong-key")
}

# The exporter's STATUS (logged at debug level) shows all 16 listeners
# registered and showing a picture, for the Nth time (QEMU instance).
wait_listeners() {
	local n=$1
	all_listeners() {
		[ "$(grep -c "listeners: 16 registered, 16 with a picture" "$T/exporter.log")" -ge "$n" ]
	}
	retry 20 all_listeners || { grep "status:" "$T/exporter.log" | tail -n 3; fail "not every console got a listener"; }
	log "$(grep "listeners: 16 registered, 16 with a picture" "$T/exporter.log" | tail -n 1 | sed 's/.*status: //')"
}

# A keyed subscriber in the background that must be ended with ERROR 13.
bg_sub() { # NAME SCANOUT KEYFILE
	rm -f "$T/ready-$1"
	"$PROBE" "$ADDR" subscribe "$2" --stream-key "$3" --duration-ms 20000 --min-frames 1 \
		--expect-error 13 --ready-file "$T/ready-$1" >"$T/bg-$1.log" 2>&1 &
	eval "BG_$1=\$!"
	retry 10 test -e "$T/ready-$1" || { cat "$T/bg-$1.log"; fail "$1: subscriber got no frame"; }
}
wait_bg() { # NAME
	local pid
	eval "pid=\$BG_$1"
	wait "$pid" || { cat "$T/bg-$1.log"; fail "$1: the subscriber was not ended with ERROR 13"; }
	log "$1: $(grep ERROR "$T/bg-$1.log")"
}

fd_count() { ls "/proc/$EXP_PID/fd" | wc -l; }

case "$CASE" in
protocol)
	make_keys
	start_bus
	start_qemu
	# Catch sd_notify messages (READY=1, STATUS=) the way systemd would.
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(15)
with open(sys.argv[2], "a") as out:
    try:
        while True:
            out.write(s.recv(4096).decode() + "\n"); out.flush()
    except socket.timeout:
        pass
' "$T/notify" "$T/notify.log" &
	MON_PID=$!
	retry 5 test -S "$T/notify" || fail "notify listener did not start"
	NOTIFY_SOCKET="$T/notify" start_exporter --control-key "$T/key"
	probe ping-hello
	retry 5 grep -q "^READY=1" "$T/notify.log" || fail "no READY=1"
	retry 5 grep -q "STATUS=QEMU connected: 16 consoles, 16 scanouts" "$T/notify.log" ||
		{ cat "$T/notify.log"; fail "no STATUS with QEMU's consoles"; }
	log "sd_notify: $(tr '\n' ' ' <"$T/notify.log")"
	kill_qemu
	retry 5 grep -q "STATUS=waiting for QEMU" "$T/notify.log" || fail "no STATUS for QEMU gone"
	alive
	stop_exporter
	;;

control)
	make_keys
	start_bus
	start_qemu
	start_monitor
	start_exporter --control-key "$T/key"
	wait_display_ready
	probe_key enable 3 1920 1080 1
	expect_call "Console_3 508 285 0 0 1920 1080"
	probe_key disable 3 1
	expect_call "Console_3 0 0 0 0 0 0"
	probe_key enable 5 0 0 1 # Helix v1: 0x0 means 1920x1080
	expect_call "Console_5 508 285 0 0 1920 1080"
	probe_key enable 15 800 600 1
	expect_call "Console_15 211 158 0 0 800 600"

	before=$(ui_calls | wc -l)
	probe enable 4 1920 1080 0 5 # unauthenticated
	probe disable 5 0 5
	probe_key enable 0 1920 1080 0 6 # the VM console
	probe_key disable 0 0 6
	probe_key enable 99 1920 1080 0 6
	probe_key enable 16 1920 1080 0 6
	probe_key enable 2 20000 1080 0 11
	probe_key enable 2 1920 0 0 11
	probe bad-auth "$T/wrong-key"
	sleep 0.5
	after=$(ui_calls | wc -l)
	[ "$before" = "$after" ] || { ui_calls; fail "refused requests reached QEMU ($before -> $after calls)"; }
	log "refused requests: no SetUIInfo reached QEMU"
	grep -q "AUTH failed" "$T/exporter.log" || fail "failed AUTH not logged"
	stop_exporter

	# Helix v1 mode: no key, control open, said loudly.
	start_exporter --allow-unauthenticated-control
	wait_display_ready
	grep -q "allow-unauthenticated-control" "$T/exporter.log" || fail "open control not logged"
	probe enable 4 1280 720 1
	expect_call "Console_4 338 190 0 0 1280 720"
	probe disable 4 1
	expect_call "Console_4 0 0 0 0 0 0"
	stop_exporter
	;;

repeat)
	# QEMU drops a SetUIInfo identical to the console's last one, so the
	# broker's re-assert of a scanout (after the guest lost a display event)
	# must reach QEMU with different arguments: width_mm alternates.
	make_keys
	start_bus
	start_qemu
	start_monitor
	start_exporter --control-key "$T/key"
	wait_display_ready
	probe_key enable 6 1920 1080 1
	probe_key enable 6 1920 1080 1
	probe_key enable 6 1920 1080 1
	calls_on_6() { [ "$(ui_calls | grep -c '^Console_6 ')" = "$1" ]; }
	retry 5 calls_on_6 3 || { ui_calls; fail "not 3 SetUIInfo on Console_6"; }
	[ "$(ui_calls | grep '^Console_6 ' | tr '\n' '|')" = \
		"Console_6 508 285 0 0 1920 1080|Console_6 509 285 0 0 1920 1080|Console_6 508 285 0 0 1920 1080|" ] ||
		{ ui_calls; fail "repeated ENABLEs did not alternate width_mm"; }
	log "three identical ENABLEs: width_mm 508, 509, 508"
	probe_key disable 6 1
	probe_key disable 6 1
	retry 5 seen_call "Console_6 1 0 0 0 0 0" || { ui_calls; fail "repeated DISABLE not varied"; }
	log "two DISABLEs: width_mm 0, then 1"
	# A different request is sent as is.
	probe_key enable 6 1280 720 1
	expect_call "Console_6 338 190 0 0 1280 720"
	alive
	stop_exporter
	;;

malformed)
	start_bus
	start_qemu
	start_exporter
	wait_display_ready
	# A settled baseline: the readiness probe's connection is gone.
	base=$(fd_count)
	for _ in $(seq 20); do
		sleep 0.2
		now=$(fd_count)
		[ "$now" = "$base" ] && break
		base=$now
	done
	log "exporter fds at rest: $base"
	probe malformed 200
	alive
	ok=0
	for _ in $(seq 50); do
		[ "$(fd_count)" = "$base" ] && { ok=1; break; }
		sleep 0.2
	done
	[ $ok = 1 ] || { ls -l "/proc/$EXP_PID/fd"; fail "fd count $(fd_count), was $base"; }
	log "exporter fds after 200 abusive connections: $(fd_count)"
	probe ping-hello
	stop_exporter
	;;

qemu-lifecycle)
	make_keys
	start_bus
	start_exporter --control-key "$T/key"
	probe_key enable 3 1920 1080 0 7 # QEMU not there yet
	grep -q "waiting for QEMU\|org.qemu" "$T/exporter.log" || true
	start_qemu
	retry 20 "$PROBE" "$ADDR" --key "$T/key" enable 3 1920 1080 1 || fail "no success after QEMU appeared"
	log "QEMU started after the exporter: ENABLE works"

	kill_qemu
	retry 10 "$PROBE" "$ADDR" --key "$T/key" enable 3 1920 1080 0 7 || fail "no backend error with QEMU gone"
	grep -q "QEMU left the bus" "$T/exporter.log" || fail "QEMU leaving not logged"
	alive
	start_qemu
	retry 20 "$PROBE" "$ADDR" --key "$T/key" enable 3 1920 1080 1 || fail "no success after QEMU restarted"
	log "QEMU killed and restarted: ENABLE works again"

	# The bus itself goes away and comes back at the same address.
	kill_qemu
	stop_bus
	retry 10 grep -q "lost the D-Bus connection" "$T/exporter.log" || fail "bus loss not logged"
	probe_key enable 3 1920 1080 0 7
	start_bus
	start_qemu
	retry 20 "$PROBE" "$ADDR" --key "$T/key" enable 3 1920 1080 1 || fail "no success after the bus restarted"
	log "dbus-daemon restarted: the exporter reconnected"
	alive
	stop_exporter
	;;

slow-reader)
	start_bus
	start_exporter
	probe flood
	grep -q "does not read its replies" "$T/exporter.log" || fail "slow reader not logged"
	probe ping-hello
	alive
	stop_exporter
	;;

options)
	BUS_ADDR="unix:path=$T/no-bus-here"
	expect_usage() {
		local want=$1
		shift
		local rc=0
		"$EXPORTER" "$@" >"$T/out.log" 2>&1 || rc=$?
		[ "$rc" = 2 ] || { cat "$T/out.log"; fail "'$*' exited $rc, want 2"; }
		grep -q -- "$want" "$T/out.log" || { cat "$T/out.log"; fail "'$*': no message '$want'"; }
		log "refused ($*): $(head -n1 "$T/out.log")"
	}
	expect_usage "not a loopback" --listen 10.1.2.3:15937 --dbus-address "$BUS_ADDR"
	expect_usage "not a loopback" --listen "0.0.0.0:$PORT" --dbus-address "$BUS_ADDR"
	expect_usage "not a loopback" --listen "[::]:$PORT" --dbus-address "$BUS_ADDR"
	expect_usage "not HOST:PORT" --listen nonsense
	expect_usage "not HOST:PORT" --listen 127.0.0.1:70000
	expect_usage "max-clients" --max-clients 0
	expect_usage "max-clients" --max-clients abc
	expect_usage "log-level" --log-level loud
	expect_usage "not x264 or vaapi" --encoder h265
	expect_usage "render node" --encoder vaapi --vaapi-device "$T/no-such-node"
	expect_usage "x264 preset" --preset turbo
	expect_usage "bitrate" --bitrate 5
	expect_usage "idr-interval-ms" --idr-interval-ms soon
	expect_usage "max-subscribers-per-scanout" --max-subscribers-per-scanout 0
	expect_usage "unknown option" --bogus
	expect_usage "unexpected argument" stray
	expect_usage "control-key" --control-key "$T/does-not-exist" --dbus-address "$BUS_ADDR"
	head -c 32 /dev/urandom | base64 >"$T/shared-key"
	chmod 0644 "$T/shared-key"
	expect_usage "0600" --control-key "$T/shared-key" --dbus-address "$BUS_ADDR"
	printf short >"$T/short-key"
	chmod 0600 "$T/short-key"
	expect_usage "control-key" --control-key "$T/short-key" --dbus-address "$BUS_ADDR"
	rc=0
	env -u DBUS_SESSION_BUS_ADDRESS "$EXPORTER" --listen "$ADDR" >"$T/out.log" 2>&1 || rc=$?
	[ "$rc" = 2 ] && grep -q "no D-Bus address" "$T/out.log" || fail "missing bus address: rc $rc"
	"$EXPORTER" --help | grep -q -- "--listen HOST:PORT" || fail "--help"
	"$EXPORTER" --version | grep -q "qemu-frame-exporter" || fail "--version"

	# Allowed on request; runs and serves without any bus (retrying it).
	start_exporter --listen "0.0.0.0:$PORT" --allow-remote --control-key "$T/shared-key" \
		--allow-shared-key-mode --max-clients 3
	grep -q "cannot connect to D-Bus" "$T/exporter.log" || fail "missing bus not logged"
	probe limit 3
	probe ping-hello
	stop_exporter
	;;

frames-consoles)
	# Every console gets a listener: registered, and QEMU shows it a
	# picture; every scanout then streams an IDR of it (QEMU's 640x480
	# placeholder: no guest runs).
	start_bus
	start_qemu
	start_exporter --allow-unkeyed-subscribe --idr-interval-ms 500
	wait_listeners 1
	grep -q "allow-unkeyed-subscribe" "$T/exporter.log" || fail "open SUBSCRIBE not logged"
	for s in $(seq 1 15); do
		"$PROBE" "$ADDR" subscribe "$s" --frames 1 >"$T/sub.out" 2>&1 ||
			{ cat "$T/sub.out"; fail "scanout $s: no IDR"; }
		log "scanout $s: $(grep FRAME "$T/sub.out")"
	done
	probe subscribe 0 --expect-refused 6
	probe subscribe 16 --expect-refused 6
	# A static screen costs nothing: the join IDR, then silence (the
	# periodic IDR waits for a change).
	probe subscribe 2 --duration-ms 3000 --max-frames 1
	# KEYFRAME_REQ on a static screen: an IDR at once.
	probe subscribe 2 --frames 2 --keyframe-req-at 0 --duration-ms 5000
	probe subscribe 4 --frames 1 --config-bitrate 2000000 --cursor
	grep -q "scanout 4: CONFIG: 2000000 bit/s" "$T/exporter.log" || fail "CONFIG_REQ not applied"
	alive
	stop_exporter
	grep -q "encoder stopped" "$T/exporter.log" || fail "no encoder statistics"
	log "$(grep 'encoder stopped' "$T/exporter.log" | head -n 2)"
	;;

frames-keys)
	make_keys
	start_bus
	start_qemu
	start_exporter --control-key "$T/key"
	wait_listeners 1
	probe subscribe 3 --expect-refused 5 # Helix SUBSCRIBE: off by default
	probe stream-key-refused 3 5       # keys need AUTH
	probe_key stream-key-refused 0 6
	probe_key stream-key-refused 16 6
	probe_key stream-key 3 "$T/k3"
	probe subscribe 3 --stream-key "$T/k3" --frames 1
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/kbad"
	probe subscribe 3 --stream-key "$T/kbad" --expect-refused 9
	probe subscribe 4 --stream-key "$T/k3" --expect-refused 9
	probe subscribe 5 --stream-key "$T/k3" --expect-refused 9

	# Revoked: the subscriber is told (13) and closed; the key is dead.
	bg_sub revoke 3 "$T/k3"
	probe_key revoke 3
	wait_bg revoke
	probe subscribe 3 --stream-key "$T/k3" --expect-refused 9

	# Replaced: the old key's subscribers end, the new key works.
	probe_key stream-key 3 "$T/k3b"
	bg_sub replace 3 "$T/k3b"
	probe_key stream-key 3 "$T/k3c"
	wait_bg replace
	probe subscribe 3 --stream-key "$T/k3b" --expect-refused 9

	# Disabled scanout: its key dies.
	probe_key enable 3 1920 1080 1
	bg_sub disable 3 "$T/k3c"
	probe_key disable 3 1
	wait_bg disable
	probe subscribe 3 --stream-key "$T/k3c" --expect-refused 9
	grep -q "stream key revoked: the scanout was disabled" "$T/exporter.log" ||
		fail "disable did not revoke the key"
	# No key ever reaches the log.
	for k in k3 k3b k3c; do
		! grep -qi "$(cat "$T/$k")" "$T/exporter.log" || fail "a stream key is in the log"
	done
	alive
	stop_exporter
	;;

frames-refresh)
	# REFRESH_REQ (HXFR.md §4.2.1) on QEMU's static placeholder (-S: no
	# guest draws): lc-subscribe-check waits for the screen to be static,
	# sees nothing come unasked, then twice a burst of 3 REFRESH_REQs
	# answered by exactly one P-frame that decodes to the very same
	# picture with a later pts.
	[ -x "$SUBSCRIBE_CHECK" ] || fail "LC_SUBSCRIBE_CHECK: path of lc-subscribe-check"
	make_keys
	start_bus
	start_qemu
	start_exporter --control-key "$T/key"
	wait_listeners 1
	probe_key stream-key 3 "$T/k3"
	"$SUBSCRIBE_CHECK" refresh --connect "$ADDR" --scanout 3 --key-file "$T/k3" \
		--rounds 2 --burst 3 >"$T/refresh.log" 2>&1 ||
		{ cat "$T/refresh.log"; fail "REFRESH_REQ: $(sed -n 's/.*"failed":"\([^"]*\)".*/\1/p' "$T/refresh.log")"; }
	log "$(grep '"summary"' "$T/refresh.log")"
	# The exporter counted them: 3 frames (the join IDR and 2 refreshes)
	# for 6 requests, and no other IDR (the periodic one waits for a
	# change). The line comes when the subscriber has gone.
	stats_line() { grep -q "scanout 3: encoder stopped: .* 3 encoded (1 IDR, 2 refresh for 6 REFRESH_REQ)" "$T/exporter.log"; }
	retry 10 stats_line ||
		fail "the exporter's figures are not 3 encoded, 1 IDR, 2 refresh for 6 REFRESH_REQ: $(grep 'scanout 3: encoder stopped' "$T/exporter.log")"
	log "$(grep 'scanout 3: encoder stopped' "$T/exporter.log")"
	alive
	stop_exporter
	;;

input)
	# Input through the exporter into a real QEMU whose heads each have a
	# bound keyboard and tablet (the arguments --print-qemu-args gives):
	# dbus-monitor sees every Keyboard/Mouse call the exporter makes on
	# each console, in order.
	[ -x "$INPUT_SEND" ] || fail "LC_INPUT_SEND: path of lc-input-send"
	make_keys
	start_bus
	mapfile -t input_args < <("$EXPORTER" --print-qemu-args --gpu-id video0 --outputs 16) ||
		fail "--print-qemu-args failed"
	[ "${#input_args[@]}" = 64 ] || fail "--print-qemu-args gave ${#input_args[@]} arguments, want 64"
	DBUS_SESSION_BUS_ADDRESS="$BUS_ADDR" "$QEMU" -S -accel tcg -display dbus \
		-device virtio-gpu-pci,id=video0,max_outputs=16 "${input_args[@]}" \
		-nodefaults -no-user-config -m 256 >>"$T/qemu.log" 2>&1 &
	QEMU_PID=$!
	retry 20 qemu_on_bus || fail "QEMU did not appear on the bus"
	: >"$T/monitor.log"
	dbus-monitor --address "$BUS_ADDR" \
		"type='method_call',interface='org.qemu.Display1.Keyboard'" \
		"type='method_call',interface='org.qemu.Display1.Mouse'" \
		"type='method_call',interface='org.qemu.Display1.Console',member='SetUIInfo'" \
		>>"$T/monitor.log" 2>&1 &
	MON_PID=$!
	input_mon_ready() { grep -q NameLost "$T/monitor.log"; }
	retry 10 input_mon_ready || fail "dbus-monitor did not start"
	# "Console_N Iface.Member ARGS..." for every call seen.
	input_calls() {
		awk '/^method call/ { if (line != "") print line; p = $0; sub(/.*path=/, "", p);
				sub(/;.*/, "", p); sub(/.*\//, "", p); i = $0;
				sub(/.*interface=org.qemu.Display1./, "", i); sub(/;.*/, "", i);
				m = $0; sub(/.*member=/, "", m); line = p " " i "." m; next }
		     /^ +(uint16|int32|uint32) / { line = line " " $2 }
		     END { if (line != "") print line }' "$T/monitor.log" |
			grep -v " Console.SetUIInfo" || true
	}
	calls_are() { # EXPECTED-FILE
		input_calls >"$T/calls.now"
		cmp -s "$1" "$T/calls.now"
	}
	expect_calls() { # what for, then the expected lines on stdin
		cat >"$T/calls.want"
		retry 10 calls_are "$T/calls.want" ||
			{ diff "$T/calls.want" "$T/calls.now"; fail "$1: QEMU did not get exactly these calls"; }
		log "$1: $(wc -l <"$T/calls.want") calls, as expected"
	}
	send() { "$INPUT_SEND" --connect "$ADDR" "$@" >>"$T/input-send.log" 2>&1; }

	start_exporter --control-key "$T/key" --gpu-id video0
	wait_listeners 1
	grep -q "scanouts 0..15 on device .* (video0" "$T/exporter.log" ||
		fail "--gpu-id video0 did not pick the card (log: $(grep 'display ready' "$T/exporter.log"))"
	probe_key enable 3 1920 1080 1
	probe_key stream-key 3 "$T/k3"
	probe_key stream-key 4 "$T/k4"

	# Typed text in order (H is Shift+h), a click, two notches down, and a
	# key held when the connection ends: released by the exporter. (With
	# -S no guest driver activates the tablets, so QEMU answers
	# SetAbsPosition "Mouse is not absolute" here; the call is what counts.
	# vm-exporter-input checks what the guest gets.)
	send --scanout 3 --key-file "$T/k3" --expect-no-error --type "Hi" --click 300,400 \
		--wheel 2 --hold-key 30 || fail "lc-input-send (typing) failed"
	expect_calls "typing, click, wheel, held key" <<-'EOF2'
	Console_3 Keyboard.Press 42
	Console_3 Keyboard.Press 35
	Console_3 Keyboard.Release 35
	Console_3 Keyboard.Release 42
	Console_3 Keyboard.Press 23
	Console_3 Keyboard.Release 23
	Console_3 Mouse.SetAbsPosition 300 400
	Console_3 Mouse.Press 0
	Console_3 Mouse.Release 0
	Console_3 Mouse.Press 4
	Console_3 Mouse.Release 4
	Console_3 Mouse.Press 4
	Console_3 Mouse.Release 4
	Console_3 Keyboard.Press 30
	Console_3 Keyboard.Release 30
	EOF2
	: >"$T/monitor.log"

	# Refusals: no INPUT in HELLO (5); an unknown code (11); touch on QEMU
	# 7.2 (8); input without a subscription (12); a forged scanout (12,
	# then closed). None reaches QEMU.
	send --scanout 3 --key-file "$T/k3" --no-input --expect-error 5 --key 30 ||
		fail "input without INPUT in HELLO was not refused with ERROR 5"
	send --scanout 3 --key-file "$T/k3" --expect-error 11 --key 84 ||
		fail "an unknown key code was not refused with ERROR 11"
	send --scanout 3 --key-file "$T/k3" --expect-error 8 --touch 0,0,10,10 ||
		fail "touch on QEMU 7.2 was not refused with ERROR 8"
	send --scanout 3 --no-subscribe --expect-error 12 --key 30 ||
		fail "input without a subscription was not refused with ERROR 12"
	send --scanout 3 --key-file "$T/k3" --session 4 --expect-error 12 --expect-close --key 30 ||
		fail "input for another scanout was not refused with ERROR 12 and a close"
	send --scanout 4 --key-file "$T/k3" --key 30 &&
		fail "scanout 3's key subscribed to scanout 4"
	# A flood: dropped with ERROR 10 (at most once a second) once the
	# console's calls in flight or the rate hit their bound; scanout 4's
	# subscriber is not affected.
	send --scanout 3 --key-file "$T/k3" --expect-error 10 --flood 20000 ||
		fail "a flood of 20000 events was not limited with ERROR 10"
	grep -q '"error_10":1,' "$T/input-send.log" || fail "ERROR 10 more than once a second"
	: >"$T/monitor.log"
	send --scanout 4 --key-file "$T/k4" --expect-no-error --key 48 ||
		fail "scanout 4's input was refused"
	expect_calls "the other scanout, after the flood" <<-'EOF2'
	Console_4 Keyboard.Press 48
	Console_4 Keyboard.Release 48
	EOF2
	: >"$T/monitor.log"

	# The key dies while a key is held: ERROR 13, and the key comes up.
	"$INPUT_SEND" --connect "$ADDR" --scanout 4 --key-file "$T/k4" --linger-ms 0 \
		--hold-key 97 --sleep 20000 >"$T/held.log" 2>&1 &
	HELD_PID=$!
	held_down() { input_calls | grep -qx "Console_4 Keyboard.Press 157"; }
	retry 10 held_down || fail "the held key never reached QEMU"
	probe_key revoke 4
	wait "$HELD_PID"
	grep -q '"code":13' "$T/held.log" || fail "the holder was not told ERROR 13"
	expect_calls "released when the key died" <<-'EOF2'
	Console_4 Keyboard.Press 157
	Console_4 Keyboard.Release 157
	EOF2

	# RESIZE_REQ: SetUIInfo on that console (width down to a multiple of 8);
	# refused for a scanout the exporter did not enable.
	send --scanout 3 --key-file "$T/k3" --expect-no-error --resize 1283x720 ||
		fail "RESIZE_REQ was refused"
	expect_call "Console_3 338 190 0 0 1280 720"
	probe_key stream-key 5 "$T/k5"
	send --scanout 5 --key-file "$T/k5" --expect-error 8 --resize 1280x720 ||
		fail "RESIZE_REQ of a scanout that is off was not refused"
	alive
	stop_exporter
	;;

frames-qemu-restart)
	make_keys
	start_bus
	start_qemu
	start_exporter --control-key "$T/key" --allow-unkeyed-subscribe
	wait_listeners 1
	probe_key stream-key 5 "$T/k5"
	bg_sub keyed 5 "$T/k5"
	"$PROBE" "$ADDR" subscribe 6 --duration-ms 20000 --min-frames 1 --expect-error 7 \
		--ready-file "$T/ready-plain" >"$T/bg-plain.log" 2>&1 &
	PLAIN_PID=$!
	retry 10 test -e "$T/ready-plain" || fail "plain subscriber got no frame"
	kill_qemu
	wait_bg keyed
	wait "$PLAIN_PID" || { cat "$T/bg-plain.log"; fail "plain subscriber: no ERROR 7 when QEMU went away"; }
	log "QEMU gone: $(grep ERROR "$T/bg-plain.log")"
	probe subscribe 6 --expect-refused 7
	start_qemu
	wait_listeners 2
	probe subscribe 6 --frames 1
	probe subscribe 5 --stream-key "$T/k5" --expect-refused 9 # keys died with that QEMU
	alive
	stop_exporter
	;;

*)
	fail "unknown case"
	;;
esac

log "PASS"
