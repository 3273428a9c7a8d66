#!/usr/bin/env python3
"""`kata-cli config lint` of all shipped Kata configuration files in one process
(29 files in ../shared/kata-configs) against bare `python3 -c pass` (goal: ratio <= 3).

Timing: `_common.wall_time` (a blocking wait: exact times). The command and the baseline
run alternately, so both see the same machine load (a shared,
busy machine otherwise skews the ratio by ±20%). Two settings:

* "installed": Python may cache bytecode (in a temporary PYTHONPYCACHEPREFIX, so the work
  tree stays clean), as for an installed kata-cli, whose wheel is byte-compiled by pip;
* "no bytecode cache": PYTHONDONTWRITEBYTECODE=1 (as in some CI and dev shells), where every
  run compiles every kata_cli module again.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common
from _common import BASELINE, kata_cli, report

CONFIGS = Path(__file__).resolve().parent.parent.parent / "shared" / "kata-configs"
RUNS = 21


def wall_time(argv: list[str], env: dict[str, str]) -> float:
    return _common.wall_time(argv, {**os.environ, "NO_COLOR": "1", **env})


def paired(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Median wall time of `argv` and of the baseline, measured alternately."""
    for _ in range(2):  # warm the page cache (and the bytecode cache)
        wall_time(argv, env)
        wall_time(BASELINE, env)
    command: list[float] = []
    baseline: list[float] = []
    for _ in range(RUNS):
        command.append(wall_time(argv, env))
        baseline.append(wall_time(BASELINE, env))
    return statistics.median(command), statistics.median(baseline)


def measure(label: str, files: list[str], env: dict[str, str]) -> None:
    lint = kata_cli("config", "lint", "--ignore", "KATA9", *files)
    report(f"kata-cli config lint ({len(files)} files{label})", *paired(lint, env), 3)
    sarif = kata_cli("config", "lint", "--ignore", "KATA9", "--format", "sarif", *files)
    report(f"kata-cli config lint --format sarif{label}", *paired(sarif, env))
    rules = kata_cli("config", "lint", "--list-rules")
    report(f"kata-cli config lint --list-rules{label}", *paired(rules, env))


def main() -> None:
    files = sorted(str(p) for p in CONFIGS.glob("*/*.toml"))
    if not files:
        print(f"no configuration files under {CONFIGS}; nothing to measure")
        return
    with tempfile.TemporaryDirectory(prefix="kata-lint-bench-") as cache:
        installed = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": cache}
        measure(", installed", files, installed)
    measure(", no bytecode cache", files, {"PYTHONDONTWRITEBYTECODE": "1"})


if __name__ == "__main__":
    main()
