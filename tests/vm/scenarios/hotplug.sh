# vm-hotplug: the platform primitive behind ENABLE_SCANOUT/DISABLE_SCANOUT on
# unmodified QEMU. hotplug-host.sh calls Console.SetUIInfo on Console_1; the
# guest's card0-Virtual-2 must turn connected (HOTPLUG uevent, then a full
# probe shows 1920x1080) and disconnected again. Latencies are logged.
. "$LC_SRC/tests/vm/lib.sh"
conn=card0-Virtual-2
uevents="$LC_OUT/uevents.log"

uptime_ms() { local u; u="$(cut -d' ' -f1 /proc/uptime)"; echo $((${u%.*} * 1000 + 10#${u#*.} * 10)); }
probe_connected() { lc_connector_probe "$conn" && lc_sysfs_connected "$conn"; }
probe_disconnected() { lc_connector_probe "$conn" && ! lc_sysfs_connected "$conn"; }
hotplug_count() { local n; n="$(grep -c 'HOTPLUG=1' "$uevents" 2>/dev/null)"; echo "${n:-0}"; }

starts_disconnected() {
	probe_disconnected || { echo "$conn: $(cat /sys/class/drm/$conn/status)"; return 1; }
}

# Waits for host-side step $1 to be requested, then for the wanted state;
# logs the guest-side latencies: uevent after the host's call, then a probe.
turns() {
	local want="$1" step="$2" before t_sig t_ev t_ok
	before="$(hotplug_count)"
	lc_signal "ready-$step"
	lc_wait_signal "called-$step" 30 || { echo "host did not call SetUIInfo"; return 1; }
	t_sig="$(uptime_ms)"
	lc_wait_for '[ "$(hotplug_count)" -gt "$before" ]' 10 || { echo "no HOTPLUG uevent"; return 1; }
	t_ev="$(uptime_ms)"
	echo "cached sysfs status at the uevent: $(cat /sys/class/drm/$conn/status)"
	lc_wait_for "probe_$want" 10 || { echo "$conn never became $want"; return 1; }
	t_ok="$(uptime_ms)"
	lc_signal "$want-$step"
	lc_log "$step: uevent seen $((t_ev - t_sig)) ms after the guest noticed the host's call," \
		"$want $((t_ok - t_ev)) ms after the uevent"
}

becomes_connected_at_1080p() {
	turns connected on || return 1
	connected=1
	local first
	first="$(head -n1 /sys/class/drm/$conn/modes)"
	[ "$first" = 1920x1080 ] || { echo "preferred mode $first"; return 1; }
}
connected=0
becomes_disconnected() {
	[ "$connected" = 1 ] || { echo "skipped: never connected"; return 1; }
	turns disconnected off
}
others_untouched() {
	local c
	for c in $(lc_connectors card0); do
		[ "$c" = "$conn" ] && continue
		[ "$c" = card0-Virtual-1 ] && continue # connected at boot
		! lc_sysfs_connected "$c" || { echo "$c connected"; return 1; }
	done
}

udevadm monitor --kernel --property --subsystem-match=drm >"$uevents" 2>&1 &
monitor=$!
lc_wait_for "grep -q 'monitor will print' '$uevents'" 10

lc_case starts-disconnected starts_disconnected
lc_case setuiinfo-connects becomes_connected_at_1080p
lc_case others-untouched others_untouched
lc_case setuiinfo-zero-disconnects becomes_disconnected
kill "$monitor"
lc_finish
