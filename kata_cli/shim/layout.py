"""Where the two runtimes keep sandbox state on the host (host paths)."""

from __future__ import annotations

import re

from kata_cli.errors import KataError

GO_SANDBOXES = "/run/vc/sbs"
RS_SANDBOXES = "/run/kata"
MONITOR_SOCKET = "shim-monitor.sock"
GO_STATE_FILE = "persist.json"
RS_STATE_FILE = "state.json"
# Directories under /run/kata that are not sandboxes.
RS_NON_SANDBOX_DIRS = frozenset({"firecracker"})

ID_PATTERN = "^[a-zA-Z0-9][a-zA-Z0-9_.-]+$"
_ID_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")
MAX_ID_LENGTH = 255  # NAME_MAX: the id is a directory name


def validate_id(sandbox_id: str | None) -> str:
    """Upstream's id rule (also keeps ids from naming paths outside the state dirs)."""
    if not sandbox_id:
        raise KataError("ID cannot be blank")
    if not _ID_RE.fullmatch(sandbox_id):
        raise KataError(f'invalid container/sandbox ID (should match "{ID_PATTERN}")')
    if len(sandbox_id) > MAX_ID_LENGTH:
        # No directory can have such a name; stat() would fail with ENAMETOOLONG.
        raise KataError(
            f"invalid container/sandbox ID (longer than {MAX_ID_LENGTH} characters)",
            hint=f"it starts with {sandbox_id[:16]}",
        )
    return sandbox_id


def state_dir(flavour: str, sandbox_id: str) -> str:
    return f"{GO_SANDBOXES if flavour == 'go' else RS_SANDBOXES}/{sandbox_id}"


def socket_path(flavour: str, sandbox_id: str) -> str:
    return f"{state_dir(flavour, sandbox_id)}/{MONITOR_SOCKET}"


def state_file(flavour: str, sandbox_id: str) -> str:
    name = GO_STATE_FILE if flavour == "go" else RS_STATE_FILE
    return f"{state_dir(flavour, sandbox_id)}/{name}"
