#!/usr/bin/env python3
"""Startup cost: `kata-cli --version` against bare `python3 -c pass` (goal: ratio <= 3.0)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BASELINE, kata_cli, median, report


def main() -> None:
    baseline = median(BASELINE)
    report("kata-cli --version (python -m kata_cli)", median(kata_cli("--version")), baseline, 3.0)
    # the script installed with this interpreter (a virtual environment's bin/), else PATH's
    beside = Path(sys.executable).parent / "kata-cli"
    entry = str(beside) if beside.is_file() else shutil.which("kata-cli")
    if entry:
        report("kata-cli --version (console script)", median([entry, "--version"]), baseline, 3.0)
    report("kata-cli --help", median(kata_cli("--help")), baseline)


if __name__ == "__main__":
    main()
