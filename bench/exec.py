#!/usr/bin/env python3
"""`kata-cli exec SB -- true` round trip against a fake shim and a fake hybrid-vsock guest
(a real `sh` on a pty), as a ratio of bare `python3 -c pass` measured in the same run."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import BASELINE, kata_cli, median, report

from tests.console.conftest import FakeHybridVsock, shell_guest
from tests.shim.conftest import FakeShim

HVSOCK = "/run/vc/vm/bench/kata.hvsock"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kata-bench-") as tmp:
        root = Path(tmp)
        shim = FakeShim(root / "run/vc/sbs/bench/shim-monitor.sock", "go").start()
        shim.reply("/agent-url", f"hvsock://{HVSOCK}:1024")
        guest = FakeHybridVsock(root / HVSOCK.lstrip("/"), shell_guest).start()
        try:
            baseline = median(BASELINE)
            argv = kata_cli("--host-root", str(root), "exec", "bench", "--", "true")
            report("kata-cli exec SB -- true (fake guest shell)", median(argv), baseline)
        finally:
            guest.stop()
            shim.stop()


if __name__ == "__main__":
    main()
