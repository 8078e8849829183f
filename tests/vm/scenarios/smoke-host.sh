# Host side of vm-smoke (run by lc-vm-run --host-hook): answers the guest's
# token through the out share, proving the share works both ways and that
# the hook sees what the guest writes while it runs.
. "$LC_SRC/tests/vm/lib.sh"
for v in LC_DBUS_ADDRESS LC_EXPORTER_PORT LC_QEMU_PID LC_TMP LC_OUT; do
	[ -n "${!v:-}" ] || { echo "smoke-host: $v is not set"; exit 1; }
done
kill -0 "$LC_QEMU_PID" || { echo "smoke-host: LC_QEMU_PID is not QEMU"; exit 1; }
lc_wait_signal guest-token 60 || { echo "smoke-host: the guest did not write its token"; exit 1; }
lc_signal host-ack "$(lc_signal_content guest-token)"
