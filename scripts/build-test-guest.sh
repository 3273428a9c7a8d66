#!/usr/bin/env bash
# Build (or find in the cache) the tiny test guest used by the `vm` tests, `bench/vm.py`
# and `kata-cli check --boot-guest`: a thin call of `kata-cli vm guest build`, which ships
# in the package (kata_cli/vm/guest_build.py). Prints the cache directory.
# Needs: apt-get, dpkg-deb, kmod (depmod, modprobe), busybox-static, and kata-cli's
# dependencies (scripts/test-setup.sh installs them first).
set -euo pipefail
cd "$(dirname "$0")/.."
# this checkout's kata_cli, whether or not it is the installed one
exec env PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" python3 -m kata_cli vm guest build "$@"
