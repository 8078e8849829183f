#!/usr/bin/env bash
# Installs every Debian 12 package leasecast needs to build, test and run its demo.
# Idempotent: packages already present are left alone.
set -euo pipefail

pkgs=(
  # build
  build-essential cmake pkg-config clang llvm libclang-rt-14-dev
  libdrm-dev libwayland-dev wayland-protocols libsystemd-dev libudev-dev
  libdbus-1-dev libssl-dev libexpat1-dev libxkbcommon-dev
  libavcodec-dev libavutil-dev libyuv-dev libwebsockets-dev libx264-dev libjson-c-dev
  # test rig: a real kernel with a real virtio-gpu under QEMU, host root over 9p
  qemu-system-x86 linux-image-amd64 busybox-static kmod cpio zstd xz-utils
  dbus socat iproute2 procps util-linux python3 passwd
  # compositors proven on a lease in the rig (lease-launch): about 120
  # packages with their dependencies, ~1-2 min on CI (10 s with cached debs)
  mutter sway cage xwayland dbus-user-session fonts-dejavu-core
  # desktops in real containers (vm-container-two): podman applies the
  # broker's CDI spec
  podman crun conmon catatonit
  # the demo desktop's terminal, typed into from the viewer page
  foot
  # the frame bridge's viewer, proven in headless Chromium (WebCodecs H.264
  # through Debian's system FFmpeg)
  chromium
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
