"""Newcomer findings on collect-data: no journal, booleans in words, the archive's name."""

from __future__ import annotations

import re
import tarfile

from tests.collect.conftest import stub
from tests.collect.test_command import items, quick_docker, run


def silent_journal(stubs):
    # journalctl prints nothing and exits 0 both for "no journal" and "no lines"
    stub(stubs, "journalctl", "exit 0\n")


def test_no_journal_is_not_reported_as_no_problems(cli, fake_host, stubs):
    quick_docker(stubs)
    silent_journal(stubs)
    fake_host.intel()
    result = run(cli, fake_host, stubs)
    assert result.exit_code == 0, result.stderr
    assert "No journal on this host" in result.stdout
    assert "No matching journal lines" not in result.stdout
    logs = items(run(cli, fake_host, stubs, "--json").json(), "logs")
    assert logs[0]["status"] == "skipped"
    assert "systemd is not running" in logs[0]["detail"]
    # the containerd query of the same missing journal is not run at all
    assert not any("containerd unit lines" in item["title"] for item in logs)


def test_journal_files_without_matching_lines(cli, fake_host, stubs):
    quick_docker(stubs)
    silent_journal(stubs)
    fake_host.intel()
    fake_host.file("/var/log/journal/0123/system.journal", b"LPKSHHRH")
    result = run(cli, fake_host, stubs)
    assert "No matching journal lines in the period." in result.stdout
    assert "No journal on this host" not in result.stdout


def test_journalctl_saying_no_files(cli, fake_host, stubs):
    quick_docker(stubs)
    stub(stubs, "journalctl", 'echo "No journal files were found." >&2\n')
    fake_host.intel()
    fake_host.dir("/run/systemd/system")
    logs = items(run(cli, fake_host, stubs, "--json").json(), "logs")
    assert logs[0]["text"] == "No journal on this host.\n"
    assert "no journal files were found" in logs[0]["detail"]


def test_markdown_speaks_yes_and_no(cli, seeded, stubs):
    quick_docker(stubs)
    text = run(cli, seeded, stubs).stdout
    assert re.search(r"\b(True|False)\b", text) is None
    assert re.search(r"running_as_root: (yes|no)\n", text)
    assert re.search(r"capable: (yes|no), can create: (yes|no)", text)
    # the JSON keeps real booleans
    report = run(cli, seeded, stubs, "--json").json()
    meta = items(report, "meta")[0]["data"]
    assert isinstance(meta["running_as_root"], bool) and meta["chroot"] is False


def test_output_without_extension_gets_tar_gz(cli, seeded, stubs, tmp_path):
    quick_docker(stubs)
    result = run(cli, seeded, stubs, "-o", str(tmp_path / "bundle"))
    assert result.exit_code == 0, result.stderr
    written = tmp_path / "bundle.tar.gz"
    assert not (tmp_path / "bundle").exists()
    assert f"wrote {written}" in result.stderr
    with tarfile.open(written, "r:gz") as tar:
        assert any(name.endswith("/report.md") for name in tar.getnames())


def test_output_with_tgz_is_kept(cli, seeded, stubs, tmp_path):
    quick_docker(stubs)
    result = run(cli, seeded, stubs, "-o", str(tmp_path / "b.tgz"))
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "b.tgz").is_file() and not (tmp_path / "b.tgz.tar.gz").exists()
