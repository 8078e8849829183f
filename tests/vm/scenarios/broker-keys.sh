# broker-keys: frames keyed by lease and DRM magic authentication
# for lease holders, against the real exporter. A Wayland holder
# (uid 1002) leases Virtual-3 and gets its stream key through
# leasecast_lease_v1; a Helix holder (uid 1000, group video) leases the next
# free output and reads its key from STATUS. The host hook
# (broker-keys-host.sh) subscribes with each key (and with wrong and
# swapped keys), then lets the guest end the leases and checks the keys
# died. Both holders check authenticate_magic / AUTH_MAGIC on a second fd
# of the card (GEM_FLINK refused before, working after; EPERM without an
# active lease; EINVAL for magic 0).
. "$LC_SRC/tests/vm/lib.sh"
. "$LC_SRC/tests/vm/scenarios/broker-lib.sh"

[ -n "${LC_EXPORTER_ADDR:-}" ] || { echo "needs the exporter"; exit 1; }
mkdir -p /run/helix-drm /run/leasecast /run/lc-keys
chmod 1777 /run/lc-keys
# What udev does on a desktop (the rig has no udev): the card is root:video 0660.
chgrp video /dev/dri/card0 && chmod 0660 /dev/dri/card0
wl_bin="$LC_BUILD/tests/clients/lc-wl-lease-client"
video_gid="$(getent group video | cut -d: -f3)"
as_user() { # UID CMD... : another uid, in group video (reaches the socket and the card)
	local uid="$1"
	shift
	setpriv --reuid "$uid" --regid "$video_gid" --clear-groups "$@"
}

wl_lease() {
	lc_bg wl-info as_user 1002 "$wl_bin" --socket "$wl_sock" lease-info Virtual-3 --key-out /run/lc-keys/wl \
		--hold-file /run/lc-keys/hold-wl
	wl_pid=$LC_BG_PID
	lc_wait_for "[ -e /run/lc-keys/wl ] || ! kill -0 $wl_pid 2>/dev/null" 60
	cat "$LC_OUT/wl-info.log"
	[ -e /run/lc-keys/wl ] || return 1
	cp /run/lc-keys/wl "$LC_OUT/key-wl"
	lc_signal wl-key 2
}

helix_lease() {
	lc_bg helix-keys as_user 1000 "$hc_bin" --socket "$helix_sock" keys \
		--status-out /run/lc-keys/status-helix.json --hold-file /run/lc-keys/hold-helix
	helix_pid=$LC_BG_PID
	lc_wait_for "grep -q 'auth-magic authenticated\|keys error' '$LC_OUT/helix-keys.log' || ! kill -0 $helix_pid 2>/dev/null" 60
	cat "$LC_OUT/helix-keys.log"
	grep -q 'auth-magic authenticated' "$LC_OUT/helix-keys.log" || return 1
	# Its own STATUS: the key of its own lease only (the Wayland one is uid 1002's).
	python3 - /run/lc-keys/status-helix.json "$LC_OUT/key-helix" <<'PY' || return 1
import json, re, sys
d = json.load(open(sys.argv[1]))
mine = [l for l in d["leases"] if "outputs_detail" in l]
others = [l for l in d["leases"] if "outputs_detail" not in l]
print("leases with keys: %d, without: %d" % (len(mine), len(others)))
assert len(mine) == 1 and mine[0]["via"] == "helix" and mine[0]["uid"] == 1000, mine
assert len(others) == 1 and others[0]["via"] == "wayland" and others[0]["uid"] is None, others
det = mine[0]["outputs_detail"]
assert len(det) == 1 and det[0]["name"] == mine[0]["outputs"][0], det
n = int(det[0]["name"].split("-")[1])
assert det[0]["scanout_id"] == n - 1, det
assert re.fullmatch("[0-9a-f]{64}", det[0]["stream_key"]), "not a key"
open(sys.argv[2], "w").write(det[0]["stream_key"] + "\n")
open(sys.argv[2] + ".scanout", "w").write("%d\n" % det[0]["scanout_id"])
print("helix lease on", det[0]["name"], "scanout", det[0]["scanout_id"])
PY
	lc_signal helix-key "$(cat "$LC_OUT/key-helix.scanout")"
}

# Another uid sees the leases but no key and no holder details.
others_see_no_keys() {
	as_user 1001 "$hc_bin" --socket "$helix_sock" status >/run/lc-keys/status-1001.json || return 1
	python3 - /run/lc-keys/status-1001.json <<'PY'
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text)
print("uid 1001 sees %d leases" % len(d["leases"]))
assert len(d["leases"]) == 2
assert all("outputs_detail" not in l and l["uid"] is None for l in d["leases"])
assert "stream_key" not in text
PY
}
# Root sees both leases' keys, and they differ.
root_sees_keys() {
	st "len(L) == 2 and all(len(l['outputs_detail'][0]['stream_key']) == 64 for l in L) and L[0]['outputs_detail'][0]['stream_key'] != L[1]['outputs_detail'][0]['stream_key']"
}
never_logged() {
	local k
	for k in "$(cat "$LC_OUT/key-wl")" "$(cat "$LC_OUT/key-helix")"; do
		[ -n "$k" ] || return 1
		if grep -qi "$k" "$LC_OUT/broker.log"; then echo "a key is in the broker's log"; return 1; fi
	done
}
holders_done() {
	lc_wait_for "! kill -0 $wl_pid 2>/dev/null && ! kill -0 $helix_pid 2>/dev/null" 60
	cat "$LC_OUT/wl-info.log" "$LC_OUT/helix-keys.log"
	grep -q '^PASS lease-info' "$LC_OUT/wl-info.log" && grep -q '^keys pass' "$LC_OUT/helix-keys.log" &&
		wait_st "len(L) == 0" 20
}
host_case() { grep -q "^$1 pass" "$LC_OUT/host-results.txt"; }

lc_case broker-starts start_broker --exporter "$LC_EXPORTER_ADDR" --control-key "$LC_CONTROL_KEY" || { lc_finish; exit 1; }
lc_case wayland-lease-key wl_lease || { lc_finish; exit 1; }
lc_case helix-lease-key helix_lease || { lc_finish; exit 1; }
lc_case others-see-no-keys others_see_no_keys
lc_case root-sees-both-keys root_sees_keys
lc_case keys-never-logged never_logged
lc_wait_signal host-keys-checked 120 || echo "the host hook never checked the live keys"
touch /run/lc-keys/hold-wl
touch /run/lc-keys/hold-helix
lc_case holders-done holders_done
lc_signal leases-ended
lc_wait_signal host-done 120 || echo "the host hook never finished"
cat "$LC_OUT/host-results.txt" 2>/dev/null
lc_case wl-key-subscribes host_case wl-subscribe
lc_case helix-key-subscribes host_case helix-subscribe
lc_case wrong-key-refused host_case wrong-key
lc_case keys-only-for-own-scanout host_case swapped
lc_case dead-keys-refused host_case dead-keys
lc_finish
