"""File names that are not UTF-8 (bytes such as 0xff in a host's file name or in a
`--config` path) reach kata-cli as lone surrogates. Written out they made `config show`,
`collect-data` (Markdown and archive) and every other command fail with an internal
UnicodeEncodeError where standard output is strict UTF-8 (any UTF-8 locale but C), and
wrote invalid UTF-8 into JSON, TOML and JUnit XML elsewhere. Machine formats now carry
U+FFFD for such a byte (as Go's encoders do), human text an escape (`\\udcff`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import PINNED_ENV, FakeHost

REPO = Path(__file__).resolve().parent.parent
FOREIGN = b"c\xff.toml"  # not UTF-8


def kata(*args: str | bytes, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """kata-cli in a subprocess whose standard streams refuse anything but UTF-8, as
    with LANG=en_US.UTF-8 (the C locale would let the bytes through unchecked)."""
    env = {k: v for k, v in os.environ.items() if k not in PINNED_ENV}
    env.update(NO_COLOR="1", PYTHONIOENCODING="utf-8:strict", PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "kata_cli", *args], capture_output=True, env=env, cwd=cwd, timeout=60
    )


@pytest.fixture
def foreign_host(fake_host: FakeHost) -> FakeHost:
    """An Intel host whose configuration file and a drop-in have non-UTF-8 names."""
    fake_host.intel()
    fake_host.assets()
    directory = fake_host.local("/etc/kata-containers")
    (directory / "configuration.toml").rename(os.fsdecode(bytes(directory) + b"/" + FOREIGN))
    (directory / "configuration.toml").symlink_to(os.fsdecode(FOREIGN))
    (directory / "config.d").mkdir()
    Path(os.fsdecode(bytes(directory) + b"/config.d/d\xfe.toml")).write_text("[runtime]\n")
    return fake_host


COMMANDS = [
    ("env",),
    ("env", "--json"),
    ("check", "-n", "-v"),
    ("check", "-n", "--json"),
    ("config", "show", "--origin"),
    ("config", "show", "--format", "json"),
    ("config", "lint", "--format", "json"),
    ("config", "lint", "--format", "sarif"),
    ("collect-data",),
    ("collect-data", "--json"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_non_utf8_file_names_never_break_the_output(foreign_host, tmp_path, command):
    result = kata("--host-root", str(foreign_host.root), *command, cwd=tmp_path)
    stderr = result.stderr.decode("utf-8")  # raises on bytes that are not UTF-8
    assert result.returncode in (0, 1), stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    stdout = result.stdout.decode("utf-8")
    if "json" in command or "sarif" in command:
        text = json.dumps(json.loads(stdout), ensure_ascii=False)
        # SARIF names files by URI: the byte percent-encoded, as RFC 3986 has it
        assert ("c%FF.toml" if "sarif" in command else "c\ufffd.toml") in text
    elif command == ("env",):
        assert tomllib.loads(stdout)["Runtime"]["Config"]["Path"].endswith("/c\ufffd.toml")
    elif command[0] == "config":
        assert "/etc/kata-containers/c\\udcff.toml" in stdout


def test_non_utf8_config_path_in_json_and_junit(foreign_host, tmp_path):
    config = bytes(tmp_path) + b"/k\xff.toml"
    Path(os.fsdecode(config)).write_bytes(
        foreign_host.local("/etc/kata-containers/configuration.toml").read_bytes()
    )
    junit = tmp_path / "junit.xml"
    result = kata(
        "--host-root", str(foreign_host.root), "--config", config, "check", "-n", "--junit",
        str(junit), "--json", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    assert "k\ufffd.toml" in result.stdout.decode("utf-8")
    ET.parse(junit)  # well-formed XML: no character reference to a surrogate


def test_the_archive_is_written_whatever_the_names(foreign_host, tmp_path):
    archive = tmp_path / "bundle.tar.gz"
    result = kata(
        "--host-root", str(foreign_host.root), "collect-data", "-o", str(archive), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    with tarfile.open(archive) as tar:
        report = next(m for m in tar.getmembers() if m.name.endswith("/report.md"))
        text = tar.extractfile(report).read().decode("utf-8")  # type: ignore[union-attr]
    assert "c\ufffd.toml" in text
