#!/bin/bash
# Install what building, booting and testing need (Debian 12, as root).
set -euo pipefail
pkgs="linux-source-6.12 build-essential flex bison bc libelf-dev libssl-dev
cpio kmod rsync xz-utils ccache qemu-system-x86 busybox-static forkstat
sparse python3 gcc-multilib python3-sphinx python3-docutils python3-ply python3-git"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
[ "$(id -u)" = 0 ] || { echo "run as root, or install:$missing" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
