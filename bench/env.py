#!/usr/bin/env python3
"""`kata-cli env` on a fixture host against bare `python3 -c pass` (goal: ratio <= 6.0)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BASELINE, kata_cli, median, report
from _fixture import intel_host


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = str(intel_host(Path(tmp)))
        baseline = median(BASELINE)
        report("kata-cli env", median(kata_cli("--host-root", root, "env")), baseline, 6.0)
        report(
            "kata-cli env --json",
            median(kata_cli("--host-root", root, "env", "--json")),
            baseline,
            6.0,
        )


if __name__ == "__main__":
    main()
