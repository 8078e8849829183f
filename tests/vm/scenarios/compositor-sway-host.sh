# Host side of vm-compositor-sway (and, with two names, vm-compositor-two):
# for each NAME:FIRST argument, subscribes to the leased scanout with the
# key lease-launch got from the broker, then judges the decoded stream:
# the compositor's own picture (not black) and the client's patterns.
# Then, for each input:NAME argument, the input the guest asks for
# (comp_host_input: keys, a click, the wheel, a held key, typed in the
# viewer page in headless Chromium), and for each helix:NAME argument the
# same as Helix's web client sends it (helix-input.py: a client that behaves
# as Helix's, on the bridge's tokenless Helix endpoint).
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/compositor-lib.sh"
res="$LC_OUT/host-results.txt"
: >"$res"
declare -A watch_pid
inputs=()
helix=()
args=()
for arg in "$@"; do
	case "$arg" in
	input:*) inputs+=("${arg#input:}") ;;
	helix:*) helix+=("${arg#helix:}") ;;
	*) args+=("$arg") ;;
	esac
done
set -- "${args[@]}"
for arg in "$@"; do
	name=${arg%%:*}
	comp_host_watch "$name" || { echo "$name-watch fail" >>"$res"; continue; }
	watch_pid[$name]=$WATCH_PID
done
for arg in "$@"; do
	name=${arg%%:*}
	lc_wait_signal "$name-up" 400 || echo "$name-up fail" >>"$res"
done
for arg in "$@"; do # the compositors' own pictures, before the clients'
	name=${arg%%:*}
	[ -z "${watch_pid[$name]:-}" ] || comp_host_wait_frame "$name" 120
done
lc_signal host-bg
# The clients run until their patterns are seen (both at once in
# vm-compositor-two: the waits overlap).
for arg in "$@"; do
	name=${arg%%:*} first=${arg##*:}
	if [ -n "${watch_pid[$name]:-}" ]; then
		comp_host_wait_patterns "$name" "$first" 400
	else
		lc_signal "patterns-seen-$name"
	fi
done
for arg in "$@"; do
	name=${arg%%:*} first=${arg##*:}
	[ -n "${watch_pid[$name]:-}" ] || continue
	lc_wait_signal "stop-watch-$name" 150
	wait "${watch_pid[$name]}"
	a="$(comp_host_analyze "$name" "$first")"
	echo "$name: $a"
	echo "$a" >"$LC_OUT/analysis-$name.json"
	python3 -c 'import json,sys; a=json.loads(sys.argv[1]); sys.exit(0 if a["first_nonblack_frame"] is not None else 1)' "$a" &&
		echo "$name-not-black pass" >>"$res" || echo "$name-not-black fail" >>"$res"
	python3 -c 'import json,sys; a=json.loads(sys.argv[1]); sys.exit(0 if a["patterns_found"] and not a["other_patterns"] else 1)' "$a" &&
		echo "$name-patterns pass" >>"$res" || echo "$name-patterns fail" >>"$res"
done
lc_signal host-done
other=()
if [ ${#inputs[@]} -gt 1 ]; then other=(--other-scanout auto); fi # vm-compositor-two
for name in "${inputs[@]}"; do
	comp_host_input "$name" "${other[@]}"
done
for name in "${helix[@]}"; do
	python3 "$LC_SRC/tests/vm/scenarios/helix-input.py" "$name"
done
