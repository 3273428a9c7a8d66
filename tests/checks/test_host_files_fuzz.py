"""Fuzzed host files (/proc, /sys, /etc) under a fixture root: `check --json` always gives
one valid document whose verdict agrees with the exit status, never `internal error`."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PINNED_ENV, Cli, FakeHost

FILES = (
    "/proc/cpuinfo",
    "/proc/meminfo",
    "/proc/modules",
    "/proc/version",
    "/proc/1/cgroup",
    "/etc/os-release",
    "/sys/module/kvm_intel/parameters/nested",
    "/sys/module/kvm/parameters/ignore_msrs",
    "/etc/kata-containers/configuration.toml",
    "/etc/containerd/config.toml",
)

# text that looks like the files (key: value lines, numbers of every size, odd bytes)
_WORDS = st.sampled_from(
    [
        "processor",
        "flags",
        "vendor_id",
        "GenuineIntel",
        "AuthenticAMD",
        "vmx",
        "svm",
        "MemTotal",
        "kvm_intel",
        "kvm",
        "vhost_vsock",
        "Live",
        ":",
        "=",
        "\t",
        " ",
        "\n",
        "\x00",
        "\u00b2",
        "\ufffd",
        "[hypervisor.qemu]",
        "9" * 5000,
        "-1",
        "0x" + "f" * 40,
        "Y",
        "N",
        '"',
        "[[",
        "1" * 25,
    ]
)
_TEXT = st.one_of(st.lists(_WORDS, max_size=40).map("".join), st.binary(max_size=300))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(path=st.sampled_from(FILES), content=_TEXT)
def test_check_json_agrees_with_its_exit_status_on_fuzzed_host_files(path, content):
    with tempfile.TemporaryDirectory() as tmp:
        fake = FakeHost(Path(tmp) / "host")
        fake.intel().installed() if _can_mknod() else fake.intel()
        fake.manager("containerd")  # so that a fuzzed config.toml is judged
        fake.file(path, content)
        cli = Cli(dict(PINNED_ENV))
        cli.environment["euid"] = 1000
        result = cli("--host-root", str(fake.root), "check", "-n", "--json")
        fake.close()
    assert result.exit_code in (0, 1), result.output[-600:]
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    assert document["capable"] is (result.exit_code == 0)


def _can_mknod() -> bool:
    import os

    return os.geteuid() == 0
