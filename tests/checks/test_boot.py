"""`check --boot` / `--boot-guest` with a stand-in for kata_cli.vm.bootcheck."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field

import pytest

from tests.checks.conftest import upstream_intel


@dataclass
class FakeBootReport:
    ok: bool
    stage: str
    seconds: float | None = 1.5
    detail: str = ""
    last_output: list[str] = field(default_factory=list)


@pytest.fixture
def fake_bootcheck(monkeypatch):
    calls = []
    module = types.ModuleType("kata_cli.vm.bootcheck")
    module.answer = FakeBootReport(True, "agent")

    def boot_check(host, config, *, use_test_guest, timeout, ready_marker=""):
        calls.append((use_test_guest, timeout))
        module.markers.append(ready_marker)
        return module.answer

    module.boot_check = boot_check
    module.calls = calls
    module.markers = []
    monkeypatch.setitem(sys.modules, "kata_cli.vm.bootcheck", module)
    return module


def boot_entry(result):
    return {c["id"]: c for c in result.json()["checks"]}["boot.vm"]


def test_boot_ok(cli, fake_host, as_user, fake_bootcheck):
    upstream_intel(fake_host)
    result = cli("--host-root", str(fake_host.root), "check", "-n", "--json", "--boot")
    entry = boot_entry(result)
    assert entry["status"] == "pass"
    assert entry["detail"] == "booted the configured kernel and image in 1.5 s"
    assert entry["level"] == "installation"
    assert fake_bootcheck.calls == [(False, 60.0)]
    assert result.exit_code == 0


def test_boot_guest_failure_fails_can_create(cli, fake_host, as_user, fake_bootcheck):
    upstream_intel(fake_host)
    fake_bootcheck.answer = FakeBootReport(
        False, "kernel", 3.0, "no console output", ["", "Booting the kernel.", "panic"]
    )
    args = ["--host-root", str(fake_host.root), "check", "-n"]
    result = cli(*args, "--boot-guest", "--boot-timeout", "5")
    assert fake_bootcheck.calls == [(True, 5.0)]
    assert result.exit_code == 1
    assert result.stdout == ""  # never "capable" with exit status 1
    assert "boot.vm: boot of the test guest failed at stage kernel" in result.stderr
    assert "panic" in result.stderr
    assert (
        result.stderr.splitlines()[-1] == "ERROR: System is not capable of running Kata Containers"
    )


def test_boot_guest_result_in_the_default_output(cli, fake_host, as_user, fake_bootcheck):
    upstream_intel(fake_host)
    fake_bootcheck.answer = FakeBootReport(True, "done", 3.1)
    args = ["--host-root", str(fake_host.root), "check", "-n"]
    result = cli(*args, "--boot-guest")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "booted the test guest in 3.1 s\n"
        "System is capable of running Kata Containers\n"
        "System can currently create Kata Containers\n"
    )
    entry = boot_entry(cli(*args, "--boot-guest", "--json"))
    assert entry["level"] == "hardware"  # the test guest proves the hardware, not the install


def test_boot_failure_hint_names_the_check_option(cli, fake_host, as_user, fake_bootcheck):
    upstream_intel(fake_host)
    fake_bootcheck.answer = FakeBootReport(
        False,
        "spawn",
        None,
        "hypervisor binary /x is not an executable file (install QEMU, fix [hypervisor.qemu] "
        "path, or boot the test guest with --test-guest)",
    )
    result = cli("--host-root", str(fake_host.root), "check", "-n", "--boot")
    assert result.exit_code == 1
    assert "boot the test guest with --boot-guest" in result.stderr
    assert "--test-guest" not in result.stderr


def test_boot_unavailable(cli, fake_host, as_user, monkeypatch):
    upstream_intel(fake_host)
    monkeypatch.setitem(sys.modules, "kata_cli.vm.bootcheck", None)  # import fails
    result = cli("--host-root", str(fake_host.root), "check", "-n", "--json", "--boot")
    entry = boot_entry(result)
    assert entry["status"] == "fail"
    assert entry["detail"].startswith("boot check unavailable:")
    assert result.exit_code == 1


def test_boot_marker_reaches_the_boot_check(cli, fake_host, as_user, fake_bootcheck):
    upstream_intel(fake_host)
    args = ["--host-root", str(fake_host.root), "check", "-n", "--boot"]
    result = cli(*args, "--boot-marker", "Freeing unused kernel image")
    assert result.exit_code == 0, result.stderr
    assert fake_bootcheck.markers == ["Freeing unused kernel image"]


def test_boot_without_kata_installed_boots_nothing(cli, fake_host, as_user, fake_bootcheck):
    fake_host.intel()
    fake_host.remove("/etc/kata-containers/configuration.toml")  # the embedded default
    result = cli("--host-root", str(fake_host.root), "check", "-n", "--json", "--boot")
    entry = boot_entry(result)
    assert (entry["status"], entry["detail"]) == ("skip", "Kata is not installed")
    assert fake_bootcheck.calls == []
    guest = cli("--host-root", str(fake_host.root), "check", "-n", "--json", "--boot-guest")
    assert boot_entry(guest)["status"] == "pass"  # the test guest needs no installation
    assert fake_bootcheck.calls == [(True, 60.0)]


def test_boot_under_another_host_root_is_a_skip_not_run(cli, fake_host, as_user):
    """The real boot check (no stand-in): the host root's hypervisor is never started."""
    upstream_intel(fake_host)
    marker = fake_host.root.parent / "hypervisor-ran"
    fake_host.executable("/opt/kata/bin/qemu-system-x86_64", f"#!/bin/sh\ntouch {marker}\n")
    result = cli("--host-root", str(fake_host.root), "check", "-n", "--json", "--boot")
    entry = boot_entry(result)
    assert entry["status"] == "skip", entry
    assert "not run: host root is not /" in entry["detail"]
    assert not marker.exists()
