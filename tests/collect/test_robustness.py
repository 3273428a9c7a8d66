"""collect-data on hostile hosts, the full logs in the archive, and Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import time

import pytest

from tests.collect.conftest import MARK, stub
from tests.collect.markdown_check import assert_well_formed
from tests.collect.test_command import items, quick_docker, run
from tests.conftest import PINNED_ENV, REPO
from tests.hostile import BREAKAGES, break_host
from tests.processes import process_gone, reaped, wait_for


def test_archive_keeps_the_whole_journal_the_report_cuts(cli, seeded, stubs, tmp_path):
    quick_docker(stubs)
    target = tmp_path / "bundle.tar.gz"
    result = run(cli, seeded, stubs, "--max-lines", "10", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    with tarfile.open(target) as tar:
        contents = {m.name: tar.extractfile(m).read().decode() for m in tar.getmembers()}
    journal = next(data for name, data in contents.items() if "Kata-components-journal" in name)
    assert 'msg=\\"tick 0\\"' in journal or 'msg="tick 0"' in journal  # the first line too
    assert len(journal.splitlines()) > 3000
    for name, data in contents.items():
        assert MARK not in data, name
    report = json.loads(next(d for n, d in contents.items() if n.endswith("report.json")))
    shown = items(report, "logs")[0]
    assert len(shown["text"].splitlines()) == 10
    assert "full_text" not in shown  # the JSON keeps its documented, bounded shape
    markdown = next(d for n, d in contents.items() if n.endswith("report.md"))
    assert "tick 0\\" not in markdown and 'tick 0"' not in markdown


def test_archive_keeps_the_whole_kernel_log(cli, seeded, stubs, tmp_path):
    quick_docker(stubs)
    target = tmp_path / "bundle.tar.gz"
    assert run(cli, seeded, stubs, "--output", str(target)).exit_code == 0
    with tarfile.open(target) as tar:
        kernel = next(
            tar.extractfile(m).read().decode()
            for m in tar.getmembers()
            if "/10-kernel-log/" in m.name
        )
    assert "usb 1-1: new device" in kernel  # filtered out of the report, kept here


@pytest.mark.parametrize("breakage", BREAKAGES)
def test_hostile_hosts_still_give_a_report(cli, fake_host, stubs, breakage):
    quick_docker(stubs)
    if breakage != "empty-root":
        fake_host.intel()
    break_host(fake_host, breakage)
    result = run(cli, fake_host, stubs, "--json")
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    report = result.json()
    assert report["schema"] == "kata-cli/collect-data/1"
    assert MARK not in result.stdout
    markdown = run(cli, fake_host, stubs)
    assert markdown.exit_code == 0
    assert_well_formed(markdown.stdout)


def test_ctrl_c_exits_130_and_leaves_no_child(seeded, stubs, tmp_path):
    """SIGINT while commands hang: status 130, no output file, every stub process ended."""
    pids = tmp_path / "pids"
    pids.mkdir()
    for name in ("docker", "kubectl"):
        stub(stubs, name, f"echo $$ > {pids}/{name}-$$\nexec /bin/sleep 60\n")
    target = tmp_path / "never.tar.gz"
    env = {k: v for k, v in os.environ.items() if k not in PINNED_ENV}
    env.update({"PATH": f"{stubs}:/usr/bin:/bin", "NO_COLOR": "1", "PYTHONPATH": str(REPO)})
    argv = [sys.executable, "-m", "kata_cli", "--host-root", str(seeded.root), "collect-data"]
    proc = subprocess.Popen(
        [*argv, "--timeout", "60", "--output", str(target)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    with reaped(proc):
        assert wait_for(lambda: len(list(pids.iterdir())) >= 3), "stubs never started"
        started = [int(p.name.rsplit("-", 1)[1]) for p in pids.iterdir()]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    assert not target.exists()
    assert wait_for(lambda: all(process_gone(pid) for pid in started), 5), started


@pytest.mark.parametrize("program", ["journalctl", "dmesg"])
def test_a_hanging_log_source_costs_one_timeout(cli, seeded, stubs, program):
    """The journal and kernel-log probes do not run a second query after a hang."""
    quick_docker(stubs)
    stub(stubs, program, "exec /bin/sleep 30\n")
    start = time.monotonic()
    result = run(cli, seeded, stubs, "--json", "--timeout", "1", "--deadline", "20")
    elapsed = time.monotonic() - start
    assert result.exit_code == 0, result.stderr
    assert elapsed < 1 + 2
    report = result.json()
    section = "logs" if program == "journalctl" else "kernel-log"
    statuses = [item["status"] for item in items(report, section)]
    if program == "dmesg":
        assert statuses == ["timed-out"]  # no journalctl -k fallback after a hang
    else:
        assert statuses[:2] == ["timed-out", "skipped"]


def test_env_failure_is_a_finding_not_a_crash(cli, fake_host, stubs):
    quick_docker(stubs)
    fake_host.intel()
    fake_host.remove("/proc/version")
    report = run(cli, fake_host, stubs, "--json").json()
    env = items(report, "env")
    assert [i["status"] for i in env] == ["failed"]
    assert env[0]["detail"].startswith("cannot read /proc/version: file does not exist")
    fake_host.proc_version()
    env = items(run(cli, fake_host, stubs, "--json").json(), "env")[0]
    assert env["status"] == "ok"
    assert "# warning: kernel /opt/kata/share/kata-containers/vmlinux.container" in env["text"]


def test_secrets_in_an_excerpt_are_counted_once(fake_host):
    from kata_cli.collect import redact_results
    from kata_cli.collect.model import Item, SectionResult
    from kata_cli.redaction import Redactor

    whole = "a password=one\nb password=two\n"
    item = Item("command", "journal", text="b password=two\n", full_text=whole)
    redactor = Redactor()
    redact_results([SectionResult("logs", "Logs", items=[item])], redactor)
    assert redactor.counts == {"secret-key": 2}
    assert MARK not in item.text and "two" not in item.text and "one" not in item.full_text


@pytest.mark.parametrize("where", ["directory", "missing-parent"])
def test_a_bad_output_is_refused_before_collecting(cli, seeded, stubs, tmp_path, where):
    """The hanging docker stub would cost the full --timeout if collection started."""
    target = tmp_path if where == "directory" else tmp_path / "nope" / "x.tar.gz"
    start = time.monotonic()
    result = run(cli, seeded, stubs, "--timeout", "20", "--deadline", "30", "--output", str(target))
    assert time.monotonic() - start < 5
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"cannot write {target}: ")


def test_archive_keeps_configuration_comments(cli, seeded, stubs, tmp_path):
    quick_docker(stubs)
    target = tmp_path / "bundle.tar.gz"
    result = run(cli, seeded, stubs, "--output", str(target))
    assert result.exit_code == 0, result.stderr
    with tarfile.open(target) as tar:
        contents = {m.name: tar.extractfile(m).read().decode() for m in tar.getmembers()}
    config = next(
        d for n, d in contents.items() if "/04-config/" in n and "configuration.toml" in n
    )
    assert "# a comment that only --full-configs keeps" in config
    assert MARK not in config
    markdown = next(d for n, d in contents.items() if n.endswith("report.md"))
    assert "# a comment that only --full-configs keeps" not in markdown
