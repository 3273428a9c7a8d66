#!/usr/bin/env python3
"""`kata-cli --host-root <fixture> check -n` against bare `python3 -c pass` (goal: ratio <= 6.0).

The fixture (`_fixture.intel_host` plus containerd with an imported Kata handler) is
built in a temporary directory, so the run measures the command, not this machine.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BASELINE, kata_cli, median, report
from _fixture import intel_host, write_file


def build_fixture(root: Path) -> None:
    """The shared Intel fixture host, plus what `check` looks at beyond `env`."""
    intel_host(root)
    # qemu needs /dev/vhost-vsock (a character device: root only; else the host is judged
    # not capable, which costs the same checks)
    (root / "dev").mkdir(exist_ok=True)
    try:
        os.mknod(root / "dev/vhost-vsock", stat.S_IFCHR | 0o600, os.makedev(10, 241))
    except PermissionError:
        pass
    # container-manager wiring: containerd with an imported Kata handler, the shim installed
    runtimes = 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes'
    write_file(root, "/etc/containerd/config.toml", 'version = 2\nimports = ["conf.d/*.toml"]\n')
    write_file(
        root,
        "/etc/containerd/conf.d/kata.toml",
        f'version = 2\n[{runtimes}.kata]\nruntime_type = "io.containerd.kata.v2"\n'
        f"[{runtimes}.kata.options]\n"
        'ConfigPath = "/etc/kata-containers/configuration.toml"\n',
    )
    write_file(root, "/usr/local/bin/containerd-shim-kata-v2", "#!/bin/sh\nexit 0\n", 0o755)
    write_file(root, "/proc/filesystems", "nodev\toverlay\n")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kata-cli-bench-") as tmp:
        root = Path(tmp)
        build_fixture(root)
        baseline = median(BASELINE)
        command = kata_cli("--host-root", str(root), "check", "-n")
        report("kata-cli --host-root <fixture> check -n", median(command), baseline, 6.0)
        report(
            "kata-cli --host-root <fixture> check -n --json",
            median(kata_cli("--host-root", str(root), "check", "-n", "--json")),
            baseline,
        )


if __name__ == "__main__":
    main()
