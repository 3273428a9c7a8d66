"""`check --boot` interrupted (Ctrl-C or SIGTERM) stops the VM it started before exiting."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from kata_cli.errors import Terminated
from kata_cli.host import local_host
from kata_cli.vm import bootcheck


@pytest.mark.parametrize("interrupt", [Terminated, KeyboardInterrupt])
def test_interrupted_boot_check_stops_its_vm(monkeypatch, tmp_path, interrupt):
    stopped: list[object] = []
    record = SimpleNamespace(name="bootcheck-x", directory=tmp_path)
    hv = SimpleNamespace(
        default_vcpus=1, default_maxvcpus=1, default_memory=256, default_maxmemory=0
    )
    monkeypatch.setattr(bootcheck, "choose_accel", lambda host, mode: SimpleNamespace(accel="tcg"))
    monkeypatch.setattr(bootcheck, "build_plan", lambda *a, **k: object())
    monkeypatch.setattr(bootcheck.lifecycle, "start", lambda *a, **k: tmp_path)
    monkeypatch.setattr(bootcheck.st, "judge", lambda name, directory: record)

    def wait_ready(directory, timeout, env=None):
        raise interrupt

    monkeypatch.setattr(bootcheck.lifecycle, "wait_ready", wait_ready)
    monkeypatch.setattr(bootcheck.lifecycle, "stop", lambda rec, grace: stopped.append(rec))
    with pytest.raises(interrupt):
        bootcheck.boot_check(
            local_host(),
            SimpleNamespace(hypervisor=hv),
            use_test_guest=False,
            timeout=5,  # type: ignore[arg-type]
        )
    assert stopped == [record]


def test_boot_of_another_host_roots_hypervisor_is_not_run(monkeypatch, fake_host):
    """README: a program the host's data names runs only when the host root is `/`; the
    report is 'not run', and nothing is planned or started."""
    from kata_cli.host import Host

    def never(*args, **kwargs):
        raise AssertionError("nothing may be planned or started")

    monkeypatch.setattr(bootcheck, "build_plan", never)
    monkeypatch.setattr(bootcheck.lifecycle, "start", never)
    report = bootcheck.boot_check(Host(fake_host.root), None, use_test_guest=False, timeout=5)
    assert not report.ok and report.stage == bootcheck.NOT_RUN
    assert "not run: host root is not /" in report.detail


def test_test_guest_under_another_host_root_boots_with_none_of_its_programs(
    monkeypatch, fake_host, tmp_path
):
    from kata_cli.config import load
    from kata_cli.environment import Environment
    from kata_cli.host import Host
    from kata_cli.vm.guest import GUEST_FORMAT
    from tests.conftest import MINIMAL_QEMU_CONFIG

    fake_host.config(MINIMAL_QEMU_CONFIG)
    guest = tmp_path / "guest"  # a cached test guest, named by the run's environment
    guest.mkdir()
    (guest / "guest.json").write_text(json.dumps({"format": GUEST_FORMAT, "ready_marker": "x"}))
    (guest / "vmlinux").write_bytes(b"")
    (guest / "initrd.img").write_bytes(b"")
    planned = []

    def plan(host, cfg, **kwargs):
        planned.append((cfg.hypervisor, kwargs["guest"]))
        raise Terminated()  # stop here: the plan's configuration is what we look at

    monkeypatch.setattr(bootcheck, "choose_accel", lambda host, mode: SimpleNamespace(accel="tcg"))
    monkeypatch.setattr(bootcheck, "build_plan", plan)
    host = Host(fake_host.root, Environment.fake(environ={"KATA_CLI_TEST_GUEST": str(guest)}))
    with pytest.raises(Terminated):
        bootcheck.boot_check(host, load(host), use_test_guest=True, timeout=5)
    hypervisor, planned_guest = planned[0]
    assert hypervisor.path == "" and hypervisor.virtio_fs_daemon == ""
    assert planned_guest.directory == str(guest)  # the environment's guest, not the process's
