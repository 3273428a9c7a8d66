#!/usr/bin/env python3
"""`kata-cli --host-root <fixture> check -n` against bare `python3 -c pass` (goal: ratio <= 6.0).

The fixture is a capable Intel host (cpuinfo, modules, a qemu configuration and its assets,
containerd with an imported Kata handler) built in a temporary directory, so the run measures the command, not this machine.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BASELINE, kata_cli, median, report

CONFIG = """\
[hypervisor.qemu]
path = "/opt/kata/bin/qemu-system-x86_64"
kernel = "/opt/kata/share/kata-containers/vmlinux.container"
image = "/opt/kata/share/kata-containers/kata-containers.img"
shared_fs = "virtio-fs"
virtio_fs_daemon = "/opt/kata/libexec/virtiofsd"
default_memory = 2048

[agent.kata]

[runtime]
"""


def build_fixture(root: Path) -> None:
    def write(path: str, text: str, mode: int = 0o644) -> None:
        local = root / path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(text)
        local.chmod(mode)

    flags = "fpu vme de pse tsc msr pae mce cx8 apic sep vmx lm sse4_1 sse4_2 popcnt"
    block = f"processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Bench\nflags\t\t: {flags}\n"
    write("/proc/cpuinfo", block + "\n" + block.replace(": 0", ": 1"))
    write(
        "/proc/meminfo", "MemTotal: 16384000 kB\nMemFree: 8000000 kB\nMemAvailable: 12000000 kB\n"
    )
    for module in ("kvm", "kvm_intel", "vhost", "vhost_net", "vhost_vsock"):
        (root / "sys/module" / module).mkdir(parents=True, exist_ok=True)
    # qemu needs /dev/vhost-vsock (a character device: root only; else the host is judged
    # not capable, which costs the same checks)
    (root / "dev").mkdir(exist_ok=True)
    try:
        os.mknod(root / "dev/vhost-vsock", stat.S_IFCHR | 0o600, os.makedev(10, 241))
    except PermissionError:
        pass
    write("/etc/kata-containers/configuration.toml", CONFIG)
    write("/opt/kata/bin/qemu-system-x86_64", "#!/bin/sh\nexit 0\n", 0o755)
    write("/opt/kata/libexec/virtiofsd", "#!/bin/sh\necho virtiofsd 1.0\n", 0o755)
    write("/opt/kata/share/kata-containers/vmlinux.container", "kernel")
    write("/opt/kata/share/kata-containers/kata-containers.img", "image")
    # container-manager wiring: containerd with an imported Kata handler, the shim installed
    runtimes = 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes'
    write("/etc/containerd/config.toml", 'version = 2\nimports = ["conf.d/*.toml"]\n')
    write(
        "/etc/containerd/conf.d/kata.toml",
        f'version = 2\n[{runtimes}.kata]\nruntime_type = "io.containerd.kata.v2"\n'
        f"[{runtimes}.kata.options]\n"
        'ConfigPath = "/etc/kata-containers/configuration.toml"\n',
    )
    write("/usr/local/bin/containerd-shim-kata-v2", "#!/bin/sh\nexit 0\n", 0o755)
    write("/proc/filesystems", "nodev\toverlay\n")


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
