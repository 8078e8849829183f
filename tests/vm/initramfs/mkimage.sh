#!/usr/bin/env bash
# Prepares the rig's boot images in CACHE_DIR: an uncompressed vmlinux (boots
# faster under TCG than bzImage) and a small uncompressed initramfs with
# busybox, the modules the rig needs and ./init.
#
# Usage: mkimage.sh CACHE_DIR
# Rebuilds only when an input changed (kernel, modules, busybox, init, this
# script); concurrent callers serialise on CACHE_DIR/.lock, and the images are
# replaced by rename so a running QEMU never sees a half-written file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${1:?usage: mkimage.sh CACHE_DIR}"
mkdir -p "$cache"

# Modules to load, in the order given; their dependencies are resolved with
# modprobe so the list stays right across kernel updates.
modules=(
	virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p
	overlay
	drm drm_kms_helper drm_shmem_helper virtio_dma_buf virtio-gpu
	qemu_fw_cfg
	virtio_net
	virtio_input evdev
)
# The fbdev console would probe and light up outputs on its own (and on
# hotplug); the tests want outputs to stay as the test leaves them.
declare -A params=([drm_kms_helper]="fbdev_emulation=0")

die() { echo "lc-vm mkimage: $*" >&2; exit 1; }

pick_kernel() {
	local img kver best=
	for img in /boot/vmlinuz-6.*; do
		[ -e "$img" ] || continue
		kver="${img#/boot/vmlinuz-}"
		[ -d "/lib/modules/$kver" ] || continue
		best="$kver"$'\n'"$best"
	done
	[ -n "$best" ] || die "no /boot/vmlinuz-6.* with a matching /lib/modules dir (install linux-image-amd64)"
	printf '%s' "$best" | sed '/^$/d' | sort -V | tail -n1
}

kver="$(pick_kernel)"
vmlinuz="/boot/vmlinuz-$kver"
busybox="$(command -v busybox || true)"
[ -n "$busybox" ] || die "busybox not found (install busybox-static)"
file_is_static() { ! LC_ALL=C ldd "$1" >/dev/null 2>&1; }
file_is_static "$busybox" || die "$busybox is dynamically linked (install busybox-static)"

# Resolve "insmod PATH [params]" lines; duplicates keep their first position.
resolve_modules() {
	local m line path
	declare -A seen=()
	for m in "${modules[@]}"; do
		while read -r line; do
			case "$line" in
			insmod\ *) path="$(awk '{print $2}' <<<"$line")" ;;
			builtin\ *) continue ;;
			*) continue ;;
			esac
			[ -z "${seen[$path]:-}" ] || continue
			seen[$path]=1
			echo "$path"
		done < <(modprobe --show-depends -S "$kver" "$m" 2>/dev/null || die "module $m not found for $kver")
	done
}
mapfile -t kos < <(resolve_modules)
[ "${#kos[@]}" -gt 0 ] || die "no modules resolved for $kver"

key="$( {
	echo "kver=$kver"
	stat -Lc '%n %s %Y' "$vmlinuz" "$busybox" "${kos[@]}"
	sha256sum "$here/init" "${BASH_SOURCE[0]}"
} | sha256sum | cut -d' ' -f1)"

exec 9>"$cache/.lock"
flock 9
if [ -f "$cache/key" ] && [ "$(cat "$cache/key")" = "$key" ] &&
	[ -f "$cache/vmlinux" ] && [ -f "$cache/initramfs.cpio" ]; then
	exit 0
fi

echo "lc-vm mkimage: preparing kernel $kver and initramfs in $cache" >&2
work="$(mktemp -d "$cache/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The extract-vmlinux method: find a compressed stream's magic in the bzImage
# and decompress from there until the result is an ELF file.
extract_vmlinux() {
	local img="$1" out="$2" magic tool off
	for pair in 'FD377A585A00:xz -dc' '1F8B08:gzip -dc' '28B52FFD:zstd -dcq' '894C5A:lzop -dc' '425A68:bzip2 -dc'; do
		magic="${pair%%:*}"
		tool="${pair#*:}"
		command -v "${tool%% *}" >/dev/null || continue
		local pat
		pat="$(sed 's/../\\x&/g' <<<"$magic")"
		for off in $(LC_ALL=C grep -obUaP "$pat" "$img" | cut -d: -f1); do
			tail -c "+$((off + 1))" "$img" | $tool >"$out" 2>/dev/null || true
			if [ "$(head -c4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
				return 0
			fi
		done
	done
	return 1
}
extract_vmlinux "$vmlinuz" "$work/vmlinux" || die "cannot extract vmlinux from $vmlinuz"

root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,lib/modules}
cp "$busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod 755 "$root/init" "$root/bin/busybox"
: >"$root/modules.list"
for ko in "${kos[@]}"; do
	name="$(basename "$ko")"
	case "$name" in
	*.ko.xz) xz -dc "$ko" >"$root/lib/modules/${name%.xz}"; name="${name%.xz}" ;;
	*.ko.zst) zstd -dcq "$ko" >"$root/lib/modules/${name%.zst}"; name="${name%.zst}" ;;
	*.ko.gz) gzip -dc "$ko" >"$root/lib/modules/${name%.gz}"; name="${name%.gz}" ;;
	*.ko) cp "$ko" "$root/lib/modules/$name" ;;
	*) die "unexpected module file $ko" ;;
	esac
	base="${name%.ko}"
	echo "$name ${params[$base]:-${params[${base//-/_}]:-}}" >>"$root/modules.list"
done
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --quiet) >"$work/initramfs.cpio"

mv -f "$work/vmlinux" "$cache/vmlinux"
mv -f "$work/initramfs.cpio" "$cache/initramfs.cpio"
echo "$kver" >"$cache/kver"
echo "$key" >"$cache/key"
