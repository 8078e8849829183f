# vm-guestfwd: the rig's only network path. With --no-exporter and
# guestfwd-host.sh as the host hook, an echo server stands where the
# exporter would; several guest connections must be open at once (QEMU runs
# the guestfwd command once per connection) and each must get its own bytes.
. "$LC_SRC/tests/vm/lib.sh"
addr=10.0.2.100:15937

listener_appears() { lc_wait_for "lc_tcp_reaches $addr 0.3" 30; }

concurrent_echo() {
	local n=4 i fds=() reply rc=0
	for i in $(seq 1 "$n"); do
		exec {fd}<>"/dev/tcp/${addr%:*}/${addr#*:}" || return 1
		fds+=("$fd")
	done
	# All connections are open; now talk on each, last first.
	for i in $(seq "$n" -1 1); do
		printf 'token-%s-%s\n' "$i" "$RANDOM" >&"${fds[i - 1]}"
	done
	for i in $(seq 1 "$n"); do
		IFS= read -r -t 10 -u "${fds[i - 1]}" reply || { echo "connection $i: no reply"; rc=1; continue; }
		[[ "$reply" == token-$i-* ]] || { echo "connection $i got '$reply'"; rc=1; }
	done
	for fd in "${fds[@]}"; do exec {fd}>&-; done
	return "$rc"
}

not_reachable_elsewhere() {
	lc_tcp_unreachable 10.0.2.2:15937 3 && lc_tcp_unreachable 10.0.2.100:15938 3
}

lc_case listener-appears listener_appears
lc_case concurrent-echo concurrent_echo
lc_case not-reachable-elsewhere not_reachable_elsewhere
lc_finish
