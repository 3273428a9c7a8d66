"""`--log PATH`: a log file that cannot be written, cannot be opened without blocking, or
receives hostile text never produces a traceback, a hang, or a forged record."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Cli, CliResult, FakeHost, run_subprocess

MOUNT_INFO = '{"volume-type": "block", "device": "/dev/sdz", "fstype": "ext4"}'
# bytes that are not UTF-8 (as a surrogate escape, the way Python hands argv over), an
# escape sequence, a quote and a newline that would start a forged record
HOSTILE_PATH = '/vol\udcff\x1b[31m" level=ERROR\nmsg="forged'


@pytest.fixture(autouse=True)
def _detach_log_handlers() -> Iterator[None]:
    """In-process runs add their --log handler to the `kata_cli` logger: take it off."""
    logger = logging.getLogger("kata_cli")
    before = list(logger.handlers)
    yield
    for handler in logger.handlers[:]:
        if handler not in before:
            logger.removeHandler(handler)
            handler.close()


def add_volume(cli: Cli, root: Path, log: str, *extra: str, path: str = "/vol") -> CliResult:
    return cli(
        "--host-root", str(root), "--log", log, *extra,
        "direct-volume", "add", "--volume-path", path, "--mount-info", MOUNT_INFO,
    )  # fmt: skip


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_log_file_that_cannot_be_written_is_one_line_not_a_traceback(
    cli: Cli, fake_host: FakeHost
) -> None:
    result = add_volume(cli, fake_host.root, "/dev/full")
    assert result.exit_code == 0  # the volume was added: logging is not the command
    assert "Traceback" not in result.stderr and "Logging error" not in result.stderr
    assert result.stderr == (
        "kata-cli: cannot write log file /dev/full: No space left on device"
        " (no more records go there)\n"
    )


def test_a_fifo_nobody_reads_is_an_error_not_a_hang(fake_host: FakeHost, tmp_path: Path) -> None:
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    result = run_subprocess(
        "--host-root", str(fake_host.root), "--log", str(fifo), "direct-volume", "list",
        timeout=30,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == (
        f"cannot open log file {fifo}: it is a FIFO that no process is reading"
        " (start its reader first, or name a regular file with --log)\n"
    )


def test_text_records_escape_hostile_values(cli: Cli, fake_host: FakeHost, tmp_path: Path) -> None:
    log = tmp_path / "kata.log"
    result = add_volume(cli, fake_host.root, str(log), path=HOSTILE_PATH)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    raw = log.read_bytes()
    assert b"\x1b" not in raw
    lines = raw.decode("utf-8").splitlines()
    assert len(lines) == 1, lines  # the newline in the path did not start a second record
    assert lines[0].startswith('time="') and lines[0].endswith("source=kata_cli.shim.volumes")
    assert '/vol\\udcff\\x1b[31m\\" level=ERROR\\nmsg=\\"forged' in lines[0]


def test_json_records_carry_hostile_values_intact(
    cli: Cli, fake_host: FakeHost, tmp_path: Path
) -> None:
    log = tmp_path / "kata.json"
    result = add_volume(cli, fake_host.root, str(log), "--log-format", "json", path=HOSTILE_PATH)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    (line,) = log.read_text("utf-8").splitlines()
    assert HOSTILE_PATH in json.loads(line)["msg"]
