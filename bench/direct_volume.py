#!/usr/bin/env python3
"""`kata-cli direct-volume add` and `list --json` on a fixture host root, as ratios of bare
`python3 -c pass` measured in the same run."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BASELINE, kata_cli, median, report

MOUNT_INFO = '{"volume-type":"block","device":"/dev/sda","fstype":"ext4"}'


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kata-bench-") as root:
        baseline = median(BASELINE)
        add = kata_cli(
            "--host-root", root, "direct-volume", "add",
            "--volume-path", "/a/b/c", "--mount-info", MOUNT_INFO,
        )  # fmt: skip
        report("kata-cli direct-volume add", median(add), baseline)
        report(
            "kata-cli direct-volume list --json",
            median(kata_cli("--host-root", root, "direct-volume", "list", "--json")),
            baseline,
        )


if __name__ == "__main__":
    main()
