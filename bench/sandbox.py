#!/usr/bin/env python3
"""`kata-cli sandbox list` over 20 fixture sandboxes (both layouts, no live shims), as
ratios of bare `python3 -c pass` measured in the same run."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BASELINE, kata_cli, median, report


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kata-bench-") as tmp:
        root = Path(tmp)
        for index in range(10):
            go = root / f"run/vc/sbs/go{index:02}"
            go.mkdir(parents=True)
            (go / "persist.json").write_text('{"State":{"State":"running"}}')
            rs = root / f"run/kata/rs{index:02}"
            rs.mkdir(parents=True)
            (rs / "state.json").write_text("{}")
        baseline = median(BASELINE)
        report(
            "kata-cli sandbox list --json (20 sandboxes)",
            median(kata_cli("--host-root", tmp, "sandbox", "list", "--json")),
            baseline,
        )
        report(
            "kata-cli ps (20 sandboxes, rich table)",
            median(kata_cli("--host-root", tmp, "ps")),
            baseline,
        )


if __name__ == "__main__":
    main()
