# Host side of vm-guestfwd: an echo server on the exporter's port.
[ -n "${LC_EXPORTER_PORT:-}" ] || { echo "guestfwd-host: LC_EXPORTER_PORT is not set"; exit 1; }
exec socat TCP-LISTEN:"$LC_EXPORTER_PORT",bind=127.0.0.1,reuseaddr,fork EXEC:cat
