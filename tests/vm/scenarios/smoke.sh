# vm-smoke: the rig itself — a 16-output virtio-gpu card, the control key,
# the out share (both ways, through smoke-host.sh), and a network whose only
# way out is the exporter's guestfwd.
. "$LC_SRC/tests/vm/lib.sh"

card_present() { [ -c /dev/dri/card0 ]; }

sixteen_virtual_connectors() {
	local want got
	want="$(for i in $(seq 1 16); do echo "card0-Virtual-$i"; done)"
	got="$(lc_connectors card0)"
	[ "$got" = "$want" ] || { echo "connectors: $(tr "\n" " " <<<"$got")"; return 1; }
}

control_key_root_only() {
	local k="$LC_CONTROL_KEY"
	[ -r "$k" ] || { echo "$k not readable"; return 1; }
	[ "$(stat -c '%a %U' "$k")" = "400 root" ] || { echo "$k: $(stat -c '%a %U' "$k")"; return 1; }
	# lc-vm-run's key: 32 random bytes as hex.
	[[ "$(cat "$k")" =~ ^[0-9a-f]{64}$ ]] || { echo "unexpected key contents"; return 1; }
}

out_share_round_trip() {
	local token
	token="$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	echo "$token" >"$LC_OUT/smoke-written" && [ "$(cat "$LC_OUT/smoke-written")" = "$token" ] || return 1
	# The host hook sees the file and answers with the same token.
	lc_signal guest-token "$token"
	lc_wait_signal host-ack 30 || { echo "no answer from the host hook"; return 1; }
	[ "$(lc_signal_content host-ack)" = "$token" ]
}

exporter_reachable() {
	if [ -n "${LC_EXPORTER_ADDR:-}" ]; then
		lc_tcp_reaches "$LC_EXPORTER_ADDR" 1
	else
		# No exporter: the guestfwd exists but leads nowhere.
		! lc_tcp_reaches 10.0.2.100:15937 1
	fi
}

nothing_else_reachable() {
	local addrs=(10.0.2.2:22 10.0.2.2:15937 10.0.2.3:53 10.0.2.100:80 1.1.1.1:443 8.8.8.8:53)
	local a pids=() rc=0 i
	for a in "${addrs[@]}"; do
		lc_tcp_unreachable "$a" 3 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { echo "${addrs[$i]} is reachable"; rc=1; }
	done
	return "$rc"
}

lc_case card0-present card_present
lc_case sixteen-virtual-connectors sixteen_virtual_connectors
lc_case control-key-root-only control_key_root_only
lc_case out-share-round-trip out_share_round_trip
lc_case exporter-reachable exporter_reachable
lc_case nothing-else-reachable nothing_else_reachable
lc_finish
