"""`check --boot` interrupted (Ctrl-C or SIGTERM) stops the VM it started before exiting."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kata_cli.errors import Terminated
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

    def wait_ready(directory, timeout):
        raise interrupt

    monkeypatch.setattr(bootcheck.lifecycle, "wait_ready", wait_ready)
    monkeypatch.setattr(bootcheck.lifecycle, "stop", lambda rec, grace: stopped.append(rec))
    with pytest.raises(interrupt):
        bootcheck.boot_check(
            None,
            SimpleNamespace(hypervisor=hv),
            use_test_guest=False,
            timeout=5,  # type: ignore[arg-type]
        )
    assert stopped == [record]
