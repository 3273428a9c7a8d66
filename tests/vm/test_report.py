"""Human renderings of `vm list`, `vm inspect`, `vm stop` (JSON is checked end to end)."""

from __future__ import annotations

from textwrap import dedent

import pytest

from kata_cli.vm.lifecycle import (
    INSPECT_SCHEMA,
    LIST_SCHEMA,
    STOP_SCHEMA,
    StopResult,
    VmInspect,
    VmList,
    VmSummary,
)
from kata_cli.vm.report import render_inspect, render_list, render_stops


def test_list_table(capsys: pytest.CaptureFixture[str]) -> None:
    listing = VmList(
        LIST_SCHEMA,
        "/run/kata-cli/vms",
        [
            VmSummary("web", "running", "running", 4242, 2, 2048, 61.4, "kvm"),
            VmSummary("old", "dead", "-", None, 1, 256, None, "tcg"),
        ],
    )
    render_list(listing, as_json=False)
    assert capsys.readouterr().out == dedent(
        """\
        NAME  STATE    QMP      PID   VCPUS  MEMORY  UPTIME  ACCEL
        web   running  running  4242  2      2048M   61s     kvm
        old   dead     -        -     1      256M    -       tcg
        """
    )


def test_inspect_text(capsys: pytest.CaptureFixture[str]) -> None:
    info = VmInspect(
        INSPECT_SCHEMA,
        "web",
        "running",
        "/run/kata-cli/vms/web",
        4242,
        300 * 1024 * 1024,
        {"status": "running", "running": True},
        [{"cpu-index": 0}, {"cpu-index": 1}],
        {"base-memory": 2048 * 1024 * 1024},
        [{"device": "", "qdev": "disk0", "file": "/tmp/d.img", "read_only": True}],
        {"qmp": "/run/kata-cli/vms/web/qmp.sock"},
        {"argv": ["qemu-system-x86_64", "-append", "console=ttyS0 quiet"]},
        {},
    )
    render_inspect(info, as_json=False)
    assert capsys.readouterr().out == dedent(
        """\
        name:      web
        state:     running (QMP: running)
        pid:       4242
        rss:       300 MiB
        vCPUs:     2
        memory:    2048 MiB
        disk:      disk0: /tmp/d.img (read-only)
        socket:    qmp /run/kata-cli/vms/web/qmp.sock
        command line:
          qemu-system-x86_64 -append 'console=ttyS0 quiet'
        """
    )


def test_stops(capsys: pytest.CaptureFixture[str]) -> None:
    render_stops([StopResult(STOP_SCHEMA, "web", "powerdown", 0.3)], as_json=False)
    assert capsys.readouterr().out == "web: stopped (powerdown) in 0.30s\n"
