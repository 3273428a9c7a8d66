#!/usr/bin/env python3
"""`kata-cli config lint` of all shipped Kata configuration files in one process
(29 files in ../shared/kata-configs) against bare `python3 -c pass` (goal: ratio <= 3).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BASELINE, kata_cli, median, report

CONFIGS = Path(__file__).resolve().parent.parent.parent / "shared" / "kata-configs"


def measure(label: str, files: list[str], env: dict[str, str] | None) -> None:
    baseline = median(BASELINE, env=env)
    argv = kata_cli("config", "lint", "--ignore", "KATA9", *files)
    report(f"kata-cli config lint ({len(files)} files{label})", median(argv, env=env), baseline, 3)
    sarif = kata_cli("config", "lint", "--ignore", "KATA9", "--format", "sarif", *files)
    report(f"kata-cli config lint --format sarif{label}", median(sarif, env=env), baseline)
    rules = kata_cli("config", "lint", "--list-rules")
    report(f"kata-cli config lint --list-rules{label}", median(rules, env=env), baseline)


def main() -> None:
    files = sorted(str(p) for p in CONFIGS.glob("*/*.toml"))
    if not files:
        print(f"no configuration files under {CONFIGS}; nothing to measure")
        return
    measure("", files, None)


if __name__ == "__main__":
    main()
