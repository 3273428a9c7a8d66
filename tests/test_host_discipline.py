"""Host discipline: only host.py (and the allow-listed modules) touch the host directly."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "kata_cli"

# module (relative to kata_cli/) -> why it may touch the local machine directly
ALLOWED: dict[str, str] = {
    "host.py": "the one module that touches the host",
    "version.py": "reads the package's own .git to report the build commit",
    "logsetup.py": "opens the --log file the user named",
}
# directories whose modules are all allowed, with the reason
ALLOWED_DIRS: dict[str, str] = {
    "vm": "spawns and supervises QEMU as a direct child, owns its run directory",
}

PATTERNS = [
    re.compile(r"(?<![\w.])open\("),
    re.compile(r"os\.path\.exists"),
    re.compile(r"glob\.glob"),
    re.compile(r"^\s*(import subprocess|from subprocess import)", re.M),
    re.compile(r"subprocess\."),
    re.compile(r"""Path\(\s*["']/(proc|sys|dev|etc|run|var)"""),
]


def _allowed(rel: str) -> bool:
    return rel in ALLOWED or rel.split("/")[0] in ALLOWED_DIRS


def test_no_direct_host_access_outside_host_module():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if _allowed(rel):
            continue
        text = path.read_text()
        for pattern in PATTERNS:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{rel}:{line}: {match.group(0).strip()}")
    assert offenders == [], "use kata_cli.host.Host instead:\n" + "\n".join(offenders)


def test_allow_list_entries_exist():
    for rel in ALLOWED:
        assert (PACKAGE / rel).exists(), rel
