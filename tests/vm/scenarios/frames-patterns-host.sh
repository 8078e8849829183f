# Host side of vm-frames-patterns (see frames-patterns.sh). Verdicts go to
# $LC_OUT/host-results.txt ("NAME pass|fail"); subscriber logs to
# $LC_OUT/sub-*.jsonl.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"
res="$LC_OUT/host-results.txt"
: >"$res"
verdict() { # NAME CMD... 
	local n="$1"
	shift
	if "$@"; then echo "$n pass" >>"$res"; else echo "$n fail" >>"$res"; fi
}
finish() { lc_signal host-done; exit "$(grep -c ' fail$' "$res")"; }

lc_wait_signal leased 90 || { echo "no lease in the guest"; echo "lease fail" >>"$res"; finish; }
scanout="$(lc_signal_content leased)"
key="$(sc_key "$scanout")" || { echo "no stream key"; echo "key fail" >>"$res"; finish; }

# The subscriber is ready when the first frame (the idle pattern) is in;
# then the guest flips.
sc_watch "$scanout" "$key" --expect-patterns 60 --size 1920x1080 --duration 45 \
	--ready-file "$LC_OUT/.sub-ready" >"$LC_OUT/sub-patterns.jsonl" 2>&1 &
sub=$!
lc_wait_for "[ -e '$LC_OUT/.sub-ready' ] || ! kill -0 $sub 2>/dev/null" 30
lc_signal go
# A second subscriber joins while the guest flips and stops reading after
# its first frame (its queue overflows: it loses frames), then reads again
# once the screen is static: it must hold the last pattern within 1 s, and
# what was encoded after it resumed must start with an IDR. Joining after
# the flips started keeps the periodic IDR (2 s) out of the run, so the
# resynchronisation is the server's catch-up IDR.
sleep 0.4
sc_watch "$scanout" "$key" --expect-patterns 60 --size 1920x1080 --duration 45 --stall-ms 5000 \
	--resume-within-ms 1000 >"$LC_OUT/sub-stall.jsonl" 2>&1 &
stall=$!
wait "$sub"
verdict patterns summary_ok "$LC_OUT/sub-patterns.jsonl"
wait "$stall"
grep '"event":"\(stall\|resume\|first-after-resume\)"' "$LC_OUT/sub-stall.jsonl"
verdict stall-resync summary_ok "$LC_OUT/sub-stall.jsonl"

# The guest has stopped flipping: the screen is static.
sc_watch "$scanout" "$key" --expect-no-frames-for 3 --keyframe-req --duration 10 \
	>"$LC_OUT/sub-static.jsonl" 2>&1
rc=$?
verdict static test "$(json_get "$LC_OUT/sub-static.jsonl" frames_in_static_window)" = 0 -a \
	"$(json_get "$LC_OUT/sub-static.jsonl" frames)" -ge 1
verdict late-idr test "$(json_get "$LC_OUT/sub-static.jsonl" first_is_idr)" = True
verdict keyframe-req test "$(json_get "$LC_OUT/sub-static.jsonl" keyframe_req_answered_idr)" = True -a "$rc" = 0
summary_ok "$LC_OUT/sub-static.jsonl"

wrong="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
verdict wrong-key sc_watch "$scanout" "$wrong" --expect-refused >"$LC_OUT/sub-wrongkey.jsonl" 2>&1
summary_ok "$LC_OUT/sub-wrongkey.jsonl"
verdict right-key-after sc_watch "$scanout" "$key" --duration 3 >"$LC_OUT/sub-after.jsonl" 2>&1
summary_ok "$LC_OUT/sub-after.jsonl"
cat "$res"
finish
