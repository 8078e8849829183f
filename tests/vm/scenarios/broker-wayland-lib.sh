# shellcheck shell=bash
# Shared by the broker-wayland*.sh scenarios: the broker with its Wayland
# socket, the conformance client, and a clean stop. Source after lib.sh.

broker="$LC_BUILD/lease-broker/drm-lease-broker"
client="$LC_BUILD/tests/clients/lc-wl-lease-client"
wl_sock=/run/leasecast/wayland-0
helix_sock=/run/helix-drm/drm.sock

wl() { "$client" --socket "$wl_sock" --timeout-ms 30000 "$@"; }

# start_wl_broker ARGS... : the broker on the test sockets (plus ARGS),
# logging to $LC_OUT/broker.log; waits until it listens.
start_wl_broker() {
	mkdir -p /run/leasecast /run/helix-drm
	lc_bg broker "$broker" --wayland-socket "$wl_sock" --helix-socket "$helix_sock" \
		--log-level debug "$@"
	broker_pid=$LC_BG_PID
	lc_wait_for "[ -S '$wl_sock' ] || ! kill -0 $broker_pid 2>/dev/null" 30 &&
		kill -0 "$broker_pid" 2>/dev/null || { tail -20 "$LC_OUT/broker.log"; return 1; }
}

broker_alive() { kill -0 "$broker_pid" 2>/dev/null; }

# SIGTERM with clients still connected: exit 0, and (in -DLC_SANITIZE=ON
# builds) no sanitizer report about the teardown of Wayland objects.
stop_broker_clean() {
	local rc out="$LC_OUT/held-at-stop.log"
	wl lease Virtual-2 --hold-ms 60000 >"$out" 2>&1 &
	lc_wait_for "grep -q '^ok lease drives' '$out'" 30 || { cat "$out"; return 1; }
	kill -TERM "$broker_pid"
	wait "$broker_pid"
	rc=$?
	wait
	[ "$rc" = 0 ] || { echo "broker exit status $rc"; tail -20 "$LC_OUT/broker.log"; return 1; }
	! grep -E "Sanitizer|runtime error" "$LC_OUT/broker.log"
}
