#!/usr/bin/env bash
# Install everything the test suite needs on a Debian machine: the Debian packages for
# the real-VM tests, the package with its test extra, and the tiny test guest.
# Idempotent; uses sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

DEB_PACKAGES="qemu-system-x86 busybox-static cpio kmod e2fsprogs zstd lz4"
missing=""
for pkg in $DEB_PACKAGES; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'

# the test guest (kernel + busybox initrd) for the vm tests, cached by kernel version
if [ -x scripts/build-test-guest.sh ]; then
    scripts/build-test-guest.sh
fi
