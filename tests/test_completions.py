"""Completions are generated from the click tree and must not be stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_completions_are_up_to_date():
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_completions.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_bash_completion_offers_commands():
    bash = (REPO / "completions" / "kata-cli.bash").read_text()
    assert "complete -o default -F _kata_cli kata-cli" in bash
    assert "version" in bash
    proc = subprocess.run(
        [
            "bash",
            "-c",
            f"source {REPO / 'completions' / 'kata-cli.bash'}; "
            "COMP_WORDS=(kata-cli ver); COMP_CWORD=1; _kata_cli; echo ${COMPREPLY[@]}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.stdout.split() == ["version"]
