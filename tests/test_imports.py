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
