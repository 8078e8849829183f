# Host side of vm-compositor-mutter: subscribes to the leased scanout with
# the key lease-launch got from the broker (or one from the exporter when
# the broker gives none), then judges the decoded stream.
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/compositor-lib.sh"
res="$LC_OUT/host-results.txt"
: >"$res"
finish() { lc_signal host-done; exit 0; }

comp_host_watch mutter || { echo "mutter-watch fail" >>"$res"; finish; }
lc_wait_signal mutter-up 400 || { echo "mutter-up fail" >>"$res"; lc_signal host-bg; finish; }
comp_host_wait_frame mutter 120 # Mutter's own picture, before the client's
lc_signal host-bg
comp_host_wait_patterns mutter 100 400
lc_wait_signal stop-watch-mutter 120
wait "$WATCH_PID"
a="$(comp_host_analyze mutter 100)"
echo "mutter: $a"
echo "$a" >"$LC_OUT/analysis-mutter.json"
python3 -c 'import json,sys; a=json.loads(sys.argv[1]); sys.exit(0 if a["first_nonblack_frame"] is not None else 1)' "$a" &&
	echo "mutter-not-black pass" >>"$res" || echo "mutter-not-black fail" >>"$res"
python3 -c 'import json,sys; a=json.loads(sys.argv[1]); sys.exit(0 if a["patterns_found"] and not a["other_patterns"] else 1)' "$a" &&
	echo "mutter-patterns pass" >>"$res" || echo "mutter-patterns fail" >>"$res"
grep '"event":"summary"' "$LC_OUT/sub-mutter.jsonl"
lc_signal host-done
comp_host_input mutter-input
exit 0
