"""Human renderings of `vm run`, `vm list`, `vm inspect`, `vm stop` (JSON is checked end to
end)."""

from __future__ import annotations

from textwrap import dedent

import pytest

from kata_cli.render.vm import render_inspect, render_list, render_run, render_run_end, render_stops
from kata_cli.vm.lifecycle import (
    INSPECT_SCHEMA,
    LIST_SCHEMA,
    STOP_SCHEMA,
    StopResult,
    VmInspect,
    VmList,
    VmSummary,
)
from kata_cli.vm.runner import RUN_SCHEMA, RunEnd, ShareInfo, VmRunResult
from kata_cli.vm.shares import mount_command


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


def test_an_empty_list_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    """It used to print the header row alone."""
    render_list(VmList(LIST_SCHEMA, "/run/kata-cli/vms", []), as_json=False)
    assert capsys.readouterr().out == "no VMs in /run/kata-cli/vms (kata-cli vm run starts one)\n"


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
        [
            {
                "source": "/srv/data",
                "tag": "kata-share0",
                "mode": "9p",
                "mount": "mkdir -p /mnt/kata-share0 && mount -t 9p kata-share0 /mnt/kata-share0",
            }
        ],
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
        share:     /srv/data -> tag kata-share0 (9p)
                   in the guest: mkdir -p /mnt/kata-share0 && mount -t 9p kata-share0 /mnt/kata-share0
        command line:
          qemu-system-x86_64 -append 'console=ttyS0 quiet'
        """
    )


def test_stops(capsys: pytest.CaptureFixture[str]) -> None:
    render_stops([StopResult(STOP_SCHEMA, "web", "powerdown", 0.3)], as_json=False)
    assert capsys.readouterr().out == "web: stopped (powerdown) in 0.30s\n"


def _run_result() -> VmRunResult:
    return VmRunResult(
        RUN_SCHEMA,
        "web",
        "ready",
        "tcg",
        3.14159,
        4242,
        "/run/kata-cli/vms/web",
        "/run/kata-cli/vms/web/hvsock.sock",
        "/run/kata-cli/vms/web/console.sock",
        ["disk0"],
        [],
        [
            ShareInfo(
                "/srv/data", "kata-share0", "virtio-fs", mount_command("kata-share0", "virtio-fs")
            )
        ],
    )


def test_run_shows_sockets_disks_and_how_the_guest_mounts_each_share(
    capsys: pytest.CaptureFixture[str],
) -> None:
    render_run(_run_result(), as_json=False)
    assert capsys.readouterr().out == dedent(
        """\
        web: ready in 3.14s (tcg), pid 4242
          debug console (hybrid vsock): /run/kata-cli/vms/web/hvsock.sock
          serial console: /run/kata-cli/vms/web/console.sock
          hot-plugged disk: disk0
          share /srv/data -> tag kata-share0 (virtio-fs); in the guest:
            mkdir -p /mnt/kata-share0 && mount -t virtiofs kata-share0 /mnt/kata-share0
        """
    )


def test_run_json_carries_the_shares(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    render_run(_run_result(), as_json=True)
    document = json.loads(capsys.readouterr().out)
    assert document["schema"] == "kata-cli/vm-run/1"
    assert document["shares"] == [
        {
            "source": "/srv/data",
            "tag": "kata-share0",
            "mode": "virtio-fs",
            "mount": "mkdir -p /mnt/kata-share0 && mount -t virtiofs kata-share0 /mnt/kata-share0",
        }
    ]


@pytest.mark.parametrize(
    ("how", "line"),
    [
        ("interrupted", "web: interrupted; stopped (powerdown) in 0.42s\n"),
        ("terminated", "web: terminated (SIGTERM); stopped (powerdown) in 0.42s\n"),
        ("powered-off", "web: the guest powered off; stopped (powerdown) in 0.42s\n"),
    ],
)
def test_the_end_of_a_foreground_run_is_one_line(
    capsys: pytest.CaptureFixture[str], how: str, line: str
) -> None:
    end = RunEnd("web", how, StopResult(STOP_SCHEMA, "web", "powerdown", 0.42))
    render_run_end(end, as_json=False)
    assert capsys.readouterr().out == line
    render_run_end(end, as_json=True)  # stdout keeps its one JSON document
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", line)


def test_a_guest_that_powered_off_needed_no_stop(capsys: pytest.CaptureFixture[str]) -> None:
    end = RunEnd("web", "powered-off", StopResult(STOP_SCHEMA, "web", "none", 0.01))
    render_run_end(end, as_json=False)
    assert capsys.readouterr().out == "web: the guest powered off; state removed in 0.01s\n"


def test_exit_status_of_each_ending() -> None:
    statuses = {how: RunEnd("web", how).exit_status for how in _ENDINGS}
    assert statuses == {"detached": 0, "powered-off": 0, "interrupted": 130, "terminated": 143}


_ENDINGS = ("detached", "powered-off", "interrupted", "terminated")
