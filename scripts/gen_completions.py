#!/usr/bin/env python3
"""Write completions/kata-cli.{bash,zsh,fish}: what `kata-cli completion SHELL` prints.

Usage: python3 scripts/gen_completions.py [--check]
With --check nothing is written; the exit status is 1 when a file is stale.
The scripts are click's dynamic completion: on each Tab press they ask kata-cli.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kata_cli.commands.completion import SHELLS, script  # noqa: E402

OUT = REPO / "completions"


def render() -> dict[str, str]:
    return {f"kata-cli.{shell}": script(shell) for shell in SHELLS}


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for name, text in render().items():
        target = OUT / name
        if target.exists() and target.read_text() == text:
            continue
        stale.append(name)
        if not check:
            OUT.mkdir(exist_ok=True)
            target.write_text(text)
    if check and stale:
        print(
            "stale completions: " + ", ".join(stale) + " (run python3 scripts/gen_completions.py)"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
