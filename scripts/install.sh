#!/usr/bin/env bash
# Install kata-cli from this checkout, the way the README's quick start promises:
#   - inside a virtual environment, or with a Python that allows it: `pip install .`;
#   - with Debian's system Python (PEP 668 "externally managed"): a private virtual
#     environment (/opt/kata-cli as root, ~/.local/share/kata-cli otherwise), with
#     `kata-cli` and `kata-collect-data` linked into /usr/local/bin or ~/.local/bin.
# Idempotent; uses sudo for apt-get when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

externally_managed() {
    "$PYTHON" - <<'PY'
import os, sys, sysconfig
in_venv = sys.prefix != sys.base_prefix
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
sys.exit(0 if (not in_venv and os.path.exists(marker)) else 1)
PY
}

if ! externally_managed; then
    "$PYTHON" -m pip install -q --disable-pip-version-check .
    exit 0
fi

if [ "$(id -u)" = 0 ]; then
    VENV=/opt/kata-cli
    BIN=/usr/local/bin
else
    VENV="${XDG_DATA_HOME:-$HOME/.local/share}/kata-cli"
    BIN="$HOME/.local/bin"
fi
if ! "$PYTHON" -m venv --help >/dev/null 2>&1 || ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check .
mkdir -p "$BIN"
for name in kata-cli kata-collect-data; do
    ln -sf "$VENV/bin/$name" "$BIN/$name"
done
case ":$PATH:" in
    *":$BIN:"*) ;;
    *) echo "note: add $BIN to PATH to run kata-cli" >&2 ;;
esac
