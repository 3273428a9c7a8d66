#!/usr/bin/env bash
# Install everything the test suite needs on a Debian machine: the Debian packages for
# the real-VM tests, the package with its test extra, and the tiny test guest.
# Idempotent; uses sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

DEB_PACKAGES="qemu-system-x86 busybox-static cpio kmod e2fsprogs zstd lz4 containerd git prometheus prometheus-node-exporter"
missing=""
for pkg in $DEB_PACKAGES; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Debian's system Python refuses pip installs (PEP 668) outside a virtual environment; on
# a test machine we install into it anyway (with its own pip), so that the README's
# `python3 -m pytest` finds everything. Inside a venv or with another Python: plain pip.
PIP_EXTRA=""
SUDO_PIP=""
if python3 - <<'PY'
import os, sys, sysconfig
in_venv = sys.prefix != sys.base_prefix
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
sys.exit(0 if (not in_venv and os.path.exists(marker)) else 1)
PY
then
    PIP_EXTRA="--break-system-packages"
    SUDO_PIP="$SUDO"
    if ! python3 -m pip --version >/dev/null 2>&1; then
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
    fi
fi
# shellcheck disable=SC2086
$SUDO_PIP python3 -m pip install -q --disable-pip-version-check $PIP_EXTRA -e '.[test]'

# the test guest (kernel + busybox initrd) for the vm tests, cached by kernel version
if [ -x scripts/build-test-guest.sh ]; then
    scripts/build-test-guest.sh
fi
