# vm-compositor-two: Mutter 43 and sway 1.7 at the same time on two leases
# of the same card, each through its own lease-launch (sway's in a private
# mount namespace, as in its own container: own system bus, shim, session
# c1 and runtime dir), each as its own unprivileged user. The host hook
# decodes both scanouts: each shows its own compositor and its own client's
# patterns (Mutter 100..103 on scanout 1, sway 200..203 on scanout 2).
# Then input: the host types, clicks and scrolls into scanout 1's console,
# then scanout 2's; each input client gets its own session's input, and
# Mutter's, judged again after sway's input, nothing of the other's.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"
. "$LC_SRC/tests/vm/scenarios/compositor-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
command -v mutter >/dev/null && command -v sway >/dev/null || { echo "mutter and sway are needed"; exit 1; }
comp_sway_config /tmp/lc-sway.conf

# Mutter's world: user lcuser, the machine's /run.
mutter_up() {
	comp_user=lcuser
	comp_setup_user || return 1
	# --kill-grace-ms: Mutter under llvmpipe may need more than the default 5 s
	# to exit on a loaded host; both_end wants its own clean exit.
	comp_launch mutter Virtual-2 --kill-grace-ms 60000 -- mutter --wayland --display-server --no-x11 || return 1
	M_LL=$LL_PID M_UID=$COMP_UID M_RT=$COMP_RT
	comp_wait_socket mutter 150 || return 1
	M_DISPLAY=$COMP_DISPLAY
	lc_signal mutter-up
}

# sway's world: user lcuser2, its own mount namespace.
sway_up() {
	comp_user=lcuser2
	comp_setup_user nobus || return 1
	COMP_WRAP=(unshare -m --propagation private bash "$LC_SRC/tests/vm/scenarios/compositor-ns.sh")
	comp_launch sway Virtual-3 --wlroots \
		--authmagic-lib "$LC_BUILD/compositor-module/libleasecast-authmagic.so" \
		-- sway -c /tmp/lc-sway.conf || return 1
	S_LL=$LL_PID S_UID=$COMP_UID S_RT=$COMP_RT
	comp_wait_socket sway 120 || return 1
	S_DISPLAY=$COMP_DISPLAY
	grep -q 'broker: drmAuthMagic([0-9]*) ok' "$LC_OUT/ll-sway.log" || { echo "no drmAuthMagic by the broker"; return 1; }
	lc_signal sway-up
}

two_leases() {
	st "o['Virtual-2']['leased_by'] is not None and o['Virtual-3']['leased_by'] is not None and len(L) == 2"
}

clients() {
	local rc=0 mc sc
	comp_user=lcuser COMP_UID=$M_UID COMP_ENTER=()
	comp_client mutter "$M_DISPLAY" 100 3000 || rc=1
	mc=$CLIENT_PID
	comp_user=lcuser2 COMP_UID=$S_UID COMP_ENTER=(nsenter -t "$S_LL" -m)
	comp_client sway "$S_DISPLAY" 200 || rc=1
	sc=$CLIENT_PID
	CLIENT_PID=$mc comp_client_until_seen mutter 400
	CLIENT_PID=$sc comp_client_until_seen sway 120
	return $rc
}

inputs() {
	local rc=0 m_ev s_ev
	comp_user=lcuser COMP_UID=$M_UID COMP_ENTER=()
	comp_input_client mutter-input "$M_DISPLAY" || return 1
	m_ev=$COMP_INPUT_EVENTS
	comp_user=lcuser2 COMP_UID=$S_UID COMP_ENTER=(nsenter -t "$S_LL" -m)
	comp_input_client sway-input "$S_DISPLAY" || return 1
	s_ev=$COMP_INPUT_EVENTS
	COMP_INPUT_EVENTS=$m_ev COMP_SCANOUT=1 comp_input_test mutter-input || rc=1
	COMP_INPUT_EVENTS=$s_ev COMP_SCANOUT=2 comp_input_test sway-input || rc=1
	echo "Mutter's client after sway's input:"
	python3 "$input_check" verify "$m_ev" "$LC_OUT/.signal-input-sent-mutter-input" 0 || rc=1
	cp "$m_ev" "$LC_OUT/input-mutter-input.jsonl"
	return $rc
}

both_end() {
	local rc=0 m s
	kill -TERM "$M_LL" "$S_LL"
	wait "$M_LL"; m=$?
	wait "$S_LL"; s=$?
	echo "lease-launch exited: mutter's $m, sway's $s"
	[ "$m" = 0 ] && [ "$s" = 0 ] || rc=1
	output_returns Virtual-2 10 off || rc=1
	output_returns Virtual-3 10 off || rc=1
	return $rc
}

lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
lc_case mutter-on-virtual-2 mutter_up || { lc_signal mutter-up; lc_signal stop-watch-mutter; }
lc_case sway-on-virtual-3 sway_up || { lc_signal sway-up; lc_signal stop-watch-sway; }
lc_case two-leases two_leases
lc_wait_signal host-bg 300 || echo "host never checked the backgrounds"
lc_case pattern-clients clients
lc_signal stop-watch-mutter
lc_signal stop-watch-sway
lc_wait_signal host-done 150 || echo "the host hook never finished"
cat "$LC_OUT/host-results.txt" 2>/dev/null
lc_case mutter-not-black comp_host_case mutter-not-black
lc_case mutter-own-patterns comp_host_case mutter-patterns
lc_case sway-not-black comp_host_case sway-not-black
lc_case sway-own-patterns comp_host_case sway-patterns
lc_case each-client-only-its-own-input inputs
lc_case both-end-outputs-back both_end
lc_finish
