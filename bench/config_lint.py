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


def main() -> None:
    files = sorted(str(p) for p in CONFIGS.glob("*/*.toml"))
    if not files:
        print(f"no configuration files under {CONFIGS}; nothing to measure")
        return
    baseline = median(BASELINE)
    argv = kata_cli("config", "lint", "--ignore", "KATA9", *files)
    report(f"kata-cli config lint ({len(files)} files)", median(argv), baseline, 3)
    report(
        f"kata-cli config lint --format sarif ({len(files)} files)",
        median(kata_cli("config", "lint", "--format", "sarif", *files)),
        baseline,
    )
    report(
        "kata-cli config lint --list-rules",
        median(kata_cli("config", "lint", "--list-rules")),
        baseline,
    )


if __name__ == "__main__":
    main()
