"""Broken and hostile host trees the robustness tests of `check` and `collect-data` share:
each breakage is what a damaged or hostile host can hand kata-cli, which must answer
with a verdict or one line, never a crash."""

from __future__ import annotations

from tests.conftest import FakeHost

BREAKAGES = (
    "empty-root",
    "empty-cpuinfo",
    "garbage-config",
    "two-hypervisors",
    "non-utf8",
    "dirs",
    "absurd-numbers",
)
CONFIG = "/etc/kata-containers/configuration.toml"


def break_host(fake_host: FakeHost, breakage: str) -> None:
    """Break `fake_host` as `breakage` says (on top of the host the test built; for
    `empty-root`, an empty root directory)."""
    if breakage == "empty-root":
        fake_host.dir("/")
    elif breakage == "empty-cpuinfo":
        fake_host.file("/proc/cpuinfo", "")
    elif breakage == "garbage-config":
        fake_host.file(CONFIG, b"\x00\xff[[ not toml\n")
    elif breakage == "two-hypervisors":
        fake_host.file(CONFIG, '[hypervisor.qemu]\npath = "/a"\n[hypervisor.clh]\npath = "/b"\n')
    elif breakage == "non-utf8":
        fake_host.file("/proc/cpuinfo", b"processor\t: 0\nvendor_id\t: Genuine\xffIntel\n")
        fake_host.file("/proc/meminfo", b"MemTotal: \xff kB\n")
        fake_host.file("/proc/version", b"Linux version \xff\xfe\n")
        fake_host.file("/etc/containerd/config.toml", b'password = "\xff-SEKRIT"\n')
    elif breakage == "dirs":
        for path in ("/proc/cpuinfo", "/proc/version", "/proc/meminfo", "/etc/os-release"):
            fake_host.remove(path)
            fake_host.dir(path)
    elif breakage == "absurd-numbers":  # int() refuses both: "²" is a digit, not a pid
        fake_host.file("/proc/meminfo", "MemTotal: " + "9" * 5000 + " kB\n")
        fake_host.file("/proc/\u00b2/cmdline", "/usr/bin/qemu-system-x86_64\0-name\0x\0")
    else:
        raise ValueError(f"no breakage {breakage!r}")
