#!/bin/bash
# PID 1 of the rig's guest, after the initramfs switched into the host's root
# file system: set the machine up, run the scenario, report its exit status
# on the console as LC-VM-EXIT=<rc> (lc-vm-run's only source of truth), and
# power off.
#
# Kernel command line: lc.src= lc.build= lc.scenario= lc.exporter=0|1 lc.timeout=SEC
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb
umask 022

power_off() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 10 2>/dev/null
	exit 1 # PID 1 exiting panics, and panic=-1 with -no-reboot also ends QEMU
}

finish() {
	local rc="$1"
	# A line of its own: kernel messages may share the console.
	printf '\nLC-VM-EXIT=%s\n' "$rc"
	power_off
}

lc_src="" lc_build="" lc_scenario="" lc_exporter=0 lc_timeout=600
for arg in $(</proc/cmdline); do
	case "$arg" in
	lc.src=*) lc_src="${arg#*=}" ;;
	lc.build=*) lc_build="${arg#*=}" ;;
	lc.scenario=*) lc_scenario="${arg#*=}" ;;
	lc.exporter=*) lc_exporter="${arg#*=}" ;;
	lc.timeout=*) lc_timeout="${arg#*=}" ;;
	esac
done
if [ -z "$lc_src" ] || [ -z "$lc_build" ] || [ -z "$lc_scenario" ]; then
	echo "guest-init: lc.src=, lc.build= and lc.scenario= are required on the kernel command line"
	finish 125
fi
if [ ! -r "$lc_scenario" ]; then
	echo "guest-init: scenario $lc_scenario is not readable in the guest"
	finish 125
fi

hostname lc-vm
# Keep the console for the scenario: only errors from the kernel.
echo 3 >/proc/sys/kernel/printk

ip link set lo up
netif=
for d in /sys/class/net/*; do
	[ "${d##*/}" = lo ] && continue
	netif="${d##*/}"
	break
done
if [ -n "$netif" ]; then
	# QEMU user networking: fixed addresses, no DHCP needed.
	ip addr add 10.0.2.15/24 dev "$netif"
	ip link set "$netif" up
	ip route add default via 10.0.2.2
fi

mkdir -p /run/leasecast /run/helix-drm /run/dbus /run/user
chmod 755 /run/leasecast /run/helix-drm

export LC_SRC="$lc_src" LC_BUILD="$lc_build" LC_OUT=/lc-out
export LC_CONTROL_KEY=/sys/firmware/qemu_fw_cfg/by_name/opt/leasecast/control-key/raw
if [ "$lc_exporter" = 1 ]; then
	export LC_EXPORTER_ADDR=10.0.2.100:15937
else
	unset LC_EXPORTER_ADDR
fi
export LC_VM=1

cd /tmp || finish 125
printf "\n"; echo "LC-VM-UP uptime=$(cut -d' ' -f1 /proc/uptime)"
# timeout puts the scenario in its own process group and kills all of it.
timeout --kill-after=5 "$lc_timeout" bash "$lc_scenario" </dev/null
rc=$?
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "guest-init: scenario timed out after ${lc_timeout}s"
fi
echo "LC-VM-DONE uptime=$(cut -d' ' -f1 /proc/uptime)"
finish "$rc"
