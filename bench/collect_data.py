#!/usr/bin/env python3
"""collect-data: a full report on a fixture host with stub programs, against bare python.

Prints two figures measured in the same run:
  1. median wall time of a full report / bare `python3 -c pass` (goal: well under a second);
  2. wall time with one hanging command / the configured --timeout (goal: at most
     timeout + 2 s, i.e. a ratio <= (timeout + 2) / timeout).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BASELINE, kata_cli, median, report, wall_times

TIMEOUT = 2.0
CONFIG = """\
[hypervisor.qemu]
path = "/opt/kata/bin/qemu-system-x86_64"
kernel = "/opt/kata/share/kata-containers/vmlinux.container"
image = "/opt/kata/share/kata-containers/kata-containers.img"
virtio_fs_daemon = "/opt/kata/libexec/virtiofsd"
[agent.kata]
[runtime]
"""
STUBS = {
    "docker": 'echo "Docker version 27.0.0"',
    "kubectl": 'echo "refused" >&2; exit 1',
    "containerd": 'echo "containerd v1.7.20"',
    "journalctl": 'i=0; while [ $i -lt 2000 ]; do echo "2026-01-01T00:00:00+0000 n kata[1]: '
    'time=x level=info msg=$i"; i=$((i+1)); done',
    "systemctl": 'echo "Id=$2"',
    "dmesg": 'echo "[1.0] kvm: ok"',
    "dpkg-query": 'echo "kata-containers 3.2.0 ii "',
}


def fixture(root: Path) -> Path:
    def write(path: str, text: str, mode: int = 0o644) -> None:
        target = root / "host" / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(mode)

    flags = "fpu vme de pse tsc msr pae mce cx8 apic sep vmx lm sse4_1 sse4_2 popcnt"
    write("/proc/cpuinfo", f"processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: {flags}\n")
    write(
        "/proc/meminfo", "MemTotal: 16384000 kB\nMemFree: 8000000 kB\nMemAvailable: 12000000 kB\n"
    )
    write("/proc/version", "Linux version 6.1.0 (x) #1 SMP\n")
    write("/etc/os-release", 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\n')
    write("/etc/kata-containers/configuration.toml", CONFIG)
    write("/etc/containerd/config.toml", "version = 2\n[plugins.x.containerd.runtimes.kata]\n")
    for module in ("kvm", "kvm_intel", "vhost", "vhost_net", "vhost_vsock"):
        (root / "host" / "sys" / "module" / module).mkdir(parents=True, exist_ok=True)
    (root / "host" / "run" / "systemd" / "system").mkdir(parents=True, exist_ok=True)
    bin_dir = root / "bin"
    bin_dir.mkdir()
    for name, body in STUBS.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return bin_dir


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bin_dir = fixture(root)
        env = {"PATH": str(bin_dir), "KATA_HOST_ROOT": str(root / "host")}
        argv = kata_cli("collect-data", "--timeout", str(TIMEOUT))
        baseline = median(BASELINE)
        full = median(argv, runs=11, env=env)
        report("collect-data, full report (fixture host, stub commands)", full, baseline)
        print(f"  absolute: {full:.3f} s (goal: well under 1 s)")
        (bin_dir / "docker").write_text("#!/bin/sh\nexec /bin/sleep 60\n")
        hanging = statistics.median(wall_times(argv, 3, env))
        goal = (TIMEOUT + 2) / TIMEOUT
        ratio = hanging / TIMEOUT
        print(
            f"collect-data, one hanging command: {hanging:.3f} s, --timeout {TIMEOUT:g} s, "
            f"ratio {ratio:.2f} (goal <= {goal:.2f}: {'met' if ratio <= goal else 'MISSED'})"
        )


if __name__ == "__main__":
    main()
