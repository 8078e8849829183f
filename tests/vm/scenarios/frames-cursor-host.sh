# Host side of vm-frames-cursor (see frames-cursor.sh). Verdicts go to
# $LC_OUT/host-results.txt ("NAME pass|fail"); subscriber logs to
# $LC_OUT/sub-*.jsonl.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"
res="$LC_OUT/host-results.txt"
: >"$res"
moves=40
finish() { lc_signal host-done; exit "$(grep -c ' fail$' "$res")"; }
verdict() { local n="$1"; shift; if "$@"; then echo "$n pass" >>"$res"; else echo "$n fail" >>"$res"; fi; }

lc_wait_signal leased-a 90 && lc_wait_signal leased-b 90 || { echo "lease fail" >>"$res"; finish; }
sa="$(lc_signal_content leased-a)" sb="$(lc_signal_content leased-b)"
[ "$sa" != "$sb" ] || { echo "same scanout twice"; echo "lease fail" >>"$res"; finish; }
ka="$(sc_key "$sa")" && kb="$(sc_key "$sb")" || { echo "key fail" >>"$res"; finish; }

# Everyone subscribes (and has its first frame) before the guest moves.
sc_watch "$sa" "$ka" --cursor --expect-cursor "$moves" --duration 120 \
	--ready-file "$LC_OUT/.ready-c" >"$LC_OUT/sub-cursor.jsonl" 2>&1 &
pc=$!
sc_watch "$sa" "$ka" --expect-no-cursor --duration 90 --stop-file "$LC_OUT/.stop" \
	--ready-file "$LC_OUT/.ready-n" >"$LC_OUT/sub-noflag.jsonl" 2>&1 &
pn=$!
sc_watch "$sb" "$kb" --cursor --expect-no-cursor --duration 90 --stop-file "$LC_OUT/.stop" \
	--ready-file "$LC_OUT/.ready-o" >"$LC_OUT/sub-other.jsonl" 2>&1 &
po=$!
lc_wait_for "[ -e '$LC_OUT/.ready-c' -a -e '$LC_OUT/.ready-n' -a -e '$LC_OUT/.ready-o' ]" 30 ||
	echo "not every subscriber got its first frame"
lc_signal go
wait "$pc"
# The others listen on for a while after the last move arrived.
sleep 1
touch "$LC_OUT/.stop"
wait "$pn"
wait "$po"
grep '"event":"cursor-' "$LC_OUT/sub-cursor.jsonl" | sed -n '1,3p;$p'
summary_ok "$LC_OUT/sub-cursor.jsonl"; verdict cursor summary_ok "$LC_OUT/sub-cursor.jsonl"
grep '"event":"cursor-summary"' "$LC_OUT/sub-noflag.jsonl" "$LC_OUT/sub-other.jsonl"
summary_ok "$LC_OUT/sub-noflag.jsonl"; verdict no-flag summary_ok "$LC_OUT/sub-noflag.jsonl"
summary_ok "$LC_OUT/sub-other.jsonl"; verdict other-scanout summary_ok "$LC_OUT/sub-other.jsonl"

# After the path: a new subscriber gets the current image and the last
# position at once (HXFR.md §5.9).
sc_watch "$sa" "$ka" --cursor --expect-cursor "$moves" --duration 60 >"$LC_OUT/sub-late.jsonl" 2>&1
grep '"event":"cursor-' "$LC_OUT/sub-late.jsonl"
summary_ok "$LC_OUT/sub-late.jsonl"; verdict late summary_ok "$LC_OUT/sub-late.jsonl"
cat "$res"
finish
