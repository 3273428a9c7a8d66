"""Speed: --version and --help must not import the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("rich", "requests", "yaml", "psutil")

PROBE = """
import json, sys
from kata_cli.cli import run
code = run({args!r})
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})
sys.stderr.write(json.dumps(heavy))
"""


def _modules_after(args: list[str]) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(proc.stderr.strip().splitlines()[-1])


def test_version_imports_nothing_heavy():
    assert _modules_after(["--version"]) == []


def test_help_imports_nothing_heavy():
    assert _modules_after(["--help"]) == []


def test_version_command_imports_nothing_heavy():
    assert _modules_after(["version"]) == []


# what `kata-cli --version` may import beyond a bare interpreter's start-up
VERSION_MODULES = {"kata_cli", "kata_cli.__main__", "kata_cli.main", "kata_cli.version"}
NOT_FOR_VERSION = ("click", "typing", "inspect", "dataclasses", "pathlib", *HEAVY)


def _imported(*args: str) -> set[str]:
    """Modules `python -X importtime ARGS` imports (read from the import-time report)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}


def test_version_is_answered_before_click_and_typing():
    bare = _imported("-c", "pass")
    extra = _imported("-m", "kata_cli", "--version") - bare
    assert "kata_cli.version" in extra  # the report was read
    ours = {name for name in extra if name.split(".")[0] == "kata_cli"}
    assert ours <= VERSION_MODULES
    assert sorted(name for name in extra if name.split(".")[0] in NOT_FOR_VERSION) == []


def test_short_version_flag_takes_the_same_path():
    assert _imported("-m", "kata_cli", "-v") & {"click", "kata_cli.cli"} == set()
