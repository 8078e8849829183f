# Host side of vm-frames-share[-noexp] (see frames-share.sh).
#   frames-share-host.sh exporter|listener|none [HOGS]
# listener: the exporter is there (its listener gets every picture) but
# nobody subscribes, so nothing is encoded. HOGS: that many busy loops run
# on the host throughout (a controlled stand-in for a shared, loaded host).
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/frames-lib.sh"
mode="${1:?exporter|listener|none}"
hogs="${2:-0}"
runs="30:150:0 60:300:1000 0:300:2000"
hog_pids=()
for ((i = 0; i < hogs; i++)); do
	bash -c 'while :; do :; done' &
	hog_pids+=($!)
done
trap '[ ${#hog_pids[@]} -eq 0 ] || kill "${hog_pids[@]}" 2>/dev/null' EXIT

if [ "$mode" != none ]; then
	key="$(sc_key 1 --enable 1920x1080)" || { echo "no key for scanout 1"; exit 1; }
else
	busctl --address="$LC_DBUS_ADDRESS" call org.qemu /org/qemu/Display1/Console_1 \
		org.qemu.Display1.Console SetUIInfo qqiiuu 0 0 0 0 1920 1080 || exit 1
fi
lc_signal enabled
rc=0
for r in $runs; do
	IFS=: read -r fps n first <<<"$r"
	lc_wait_signal "modeset-$fps" 90 || { echo "guest never modeset for $fps"; exit 1; }
	if [ "$mode" != exporter ]; then
		lc_signal "go-$fps"
		lc_signal "host-$fps" "$mode"
		continue
	fi
	log="$LC_OUT/sub-$fps.jsonl"
	rm -f "$LC_OUT/.sub-ready-$fps"
	sc_watch 1 "$key" --expect-patterns "$n" --first-pattern "$first" --size 1920x1080 \
		--duration 40 --quiet-frames --dump-dir "$LC_OUT" --ready-file "$LC_OUT/.sub-ready-$fps" >"$log" 2>&1 &
	sub=$!
	lc_wait_for "[ -e '$LC_OUT/.sub-ready-$fps' ] || ! kill -0 $sub 2>/dev/null" 30
	lc_signal "go-$fps"
	wait "$sub"
	if summary_ok "$log"; then v=pass; else v=fail; rc=1; fi
	lc_signal "host-$fps" "exporter-$v frames=$(json_get "$log" frames) distinct=$(json_get "$log" distinct) share=$(json_get "$log" share) worst_psnr=$(json_get "$log" worst_psnr) mean_psnr=$(json_get "$log" mean_psnr) bytes_per_frame=$(json_get "$log" bytes_per_frame) order_errors=$(json_get "$log" order_errors)"
done
exit "$rc"
