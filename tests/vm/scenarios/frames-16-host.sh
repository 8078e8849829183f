# Host side of vm-frames-16 (see frames-16.sh).
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"
res="$LC_OUT/host-results.txt"
: >"$res"
pids=()
for s in $(seq 1 15); do
	k="$(sc_key "$s" --enable 640x480)" || { echo "scanout-$s fail" >>"$res"; continue; }
	sc_watch "$s" "$k" --expect-patterns 3 --first-pattern $((100 * s)) --size 640x480 --duration 80 \
		--quiet-frames >"$LC_OUT/sub-$s.jsonl" 2>&1 &
	pids[s]=$!
done
lc_signal enabled
lc_wait_signal flipped 120
for s in $(seq 1 15); do
	[ -n "${pids[s]:-}" ] || continue
	# The guest is done: give each subscriber a few seconds for its last frames.
	lc_wait_for "! kill -0 ${pids[s]} 2>/dev/null" 10 || kill -TERM "${pids[s]}"
	wait "${pids[s]}"
	if summary_ok "$LC_OUT/sub-$s.jsonl"; then echo "scanout-$s pass" >>"$res"; else echo "scanout-$s fail" >>"$res"; fi
done
cat "$res"
lc_signal host-done
[ "$(grep -c ' fail$' "$res")" = 0 ]
