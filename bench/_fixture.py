"""A small fixture host (a host root tree) for benchmarks: an Intel host with a qemu config."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG = """\
[hypervisor.qemu]
path = "/opt/kata/bin/qemu-system-x86_64"
kernel = "/opt/kata/share/kata-containers/vmlinux.container"
image = "/opt/kata/share/kata-containers/kata-containers.img"
shared_fs = "virtio-fs"
virtio_fs_daemon = "/opt/kata/libexec/virtiofsd"
enable_annotations = ["^enable_iommu$"]

[agent.kata]

[runtime]
"""
FLAGS = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov vmx lm sse4_1 sse4_2"


def write_file(root: Path, host_path: str, text: str | bytes, mode: int = 0o644) -> None:
    path = root / host_path.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text)
    else:
        path.write_bytes(text)
    os.chmod(path, mode)


def intel_host(root: Path) -> Path:
    cpu = (
        "processor\t: {n}\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)\n"
        f"flags\t\t: {FLAGS}\n"
    )
    write_file(root, "/proc/cpuinfo", "\n".join(cpu.format(n=n) for n in range(4)))
    write_file(root, "/proc/version", "Linux version 6.1.0-28-amd64 (debian) #1 SMP\n")
    write_file(
        root,
        "/proc/meminfo",
        "MemTotal: 16384000 kB\nMemFree: 8000000 kB\nMemAvailable: 12000000 kB\n",
    )
    write_file(root, "/etc/os-release", 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\n')
    for module in ("kvm", "kvm_intel", "vhost", "vhost_net", "vhost_vsock"):
        (root / "sys/module" / module).mkdir(parents=True, exist_ok=True)
    write_file(root, "/etc/kata-containers/configuration.toml", CONFIG)
    write_file(root, "/opt/kata/bin/qemu-system-x86_64", "#!/bin/sh\necho QEMU 7.2\n", 0o755)
    write_file(root, "/opt/kata/libexec/virtiofsd", "#!/bin/sh\necho virtiofsd 1.10\n", 0o755)
    write_file(root, "/opt/kata/share/kata-containers/vmlinux.container", b"\x7fELF" + bytes(64))
    write_file(root, "/opt/kata/share/kata-containers/kata-containers.img", bytes(512))
    return root
