"""The runner: concurrency, per-command timeouts, the total deadline, failures as findings."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from kata_cli.collect.context import Context
from kata_cli.collect.model import Item, Options
from kata_cli.collect.runner import run_sections
from kata_cli.collect.section import Command, Section
from kata_cli.host import Host


def _ctx(tmp_path, **options) -> Context:
    return Context(Host(tmp_path), Options(**options))


def test_a_stuck_probe_is_abandoned_at_the_deadline(tmp_path):
    release = threading.Event()

    def stuck(ctx: Context) -> Iterator[Item]:
        yield Item("text", "before", text="partial\n")
        release.wait(120)  # set only after run_sections returned: a runner that waits hangs
        yield Item("text", "after", text="never\n")

    def quick(ctx: Context) -> Iterator[Item]:
        yield Item("text", "quick", text="done\n")

    sections = (
        Section("stuck", "Stuck", "hangs", probe=stuck),
        Section("q", "Q", "q", probe=quick),
    )
    start = time.monotonic()
    try:
        results, expired = run_sections(_ctx(tmp_path, deadline=0.5), sections)
    finally:
        release.set()
    assert time.monotonic() - start < 60, "the runner waited for the stuck probe"
    assert expired
    stuck_result, quick_result = results
    assert stuck_result.status == "deadline"
    assert [i.title for i in stuck_result.items] == ["before", "stuck"]
    assert stuck_result.items[-1].status == "deadline"
    assert "--deadline of 0.5s" in (stuck_result.items[-1].detail or "")
    assert quick_result.status == "ok" and quick_result.items[0].text == "done\n"


def test_commands_run_concurrently(tmp_path):
    """Each command waits until all four have started: run one after another, the first
    would wait until its timeout, and none would finish."""
    barrier = tmp_path / "started"
    barrier.mkdir()
    waiter = tmp_path / "waiter"
    waiter.write_text(
        "#!/bin/sh\n"
        f'touch "{barrier}/$1"\n'
        f'while [ "$(ls "{barrier}" | wc -l)" -lt 4 ]; do sleep 0.05; done\n'
        "echo all four started\n"
    )
    waiter.chmod(0o755)
    section = Section(
        "s",
        "S",
        "four commands that meet",
        commands=tuple(Command((str(waiter), str(n))) for n in range(4)),
    )
    results, expired = run_sections(_ctx(tmp_path, timeout=60, deadline=120), (section,))
    assert not expired
    assert [i.status for i in results[0].items] == ["ok"] * 4
    assert all("all four started" in (i.text or "") for i in results[0].items)


def test_a_hanging_command_ends_at_its_timeout(tmp_path):
    sleeper = tmp_path / "sleeper"
    sleeper.write_text("#!/bin/sh\nexec /bin/sleep 120\n")
    sleeper.chmod(0o755)
    section = Section("s", "S", "a hanging command", commands=(Command((str(sleeper),)),))
    results, expired = run_sections(_ctx(tmp_path, timeout=0.5, deadline=300), (section,))
    assert not expired
    (item,) = results[0].items
    assert item.status == "timed-out"
    assert 0.4 < (item.duration or 0) < 60  # killed at the timeout, not after the sleep
    assert "timed out after" in (item.detail or "")


def test_probe_errors_and_missing_programs_are_findings(tmp_path):
    def broken(ctx: Context) -> Iterator[Item]:
        raise RuntimeError("boom")
        yield  # pragma: no cover

    sections = (
        Section("broken", "Broken", "raises", probe=broken),
        Section("absent", "Absent", "not installed", requires=("no-such-program-xyz",)),
        Section("cmd", "Cmd", "missing program", commands=(Command(("no-such-program-xyz",)),)),
    )
    results, expired = run_sections(_ctx(tmp_path, search_path=str(tmp_path)), sections)
    assert not expired
    assert results[0].items[0].status == "failed"
    assert results[0].items[0].detail == "RuntimeError: boom"
    assert results[1].status == "skipped" and results[1].items == []
    assert results[2].items[0].status == "not-found"


def test_files_are_read_from_the_host_root(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "a.json").write_text("{}\n")
    (tmp_path / "etc" / "b.conf").write_text("x\n")
    section = Section("f", "F", "files", files=("/etc/*.json", "/etc/b.conf", "/etc/missing"))
    results, _ = run_sections(_ctx(tmp_path), (section,))
    assert [(i.path, i.lang) for i in results[0].items] == [
        ("/etc/a.json", "json"),
        ("/etc/b.conf", ""),
    ]


def test_sections_are_well_declared():
    from kata_cli.collect.sections import SECTIONS

    ids = [s.id for s in SECTIONS]
    assert len(ids) == len(set(ids))
    for section in SECTIONS:
        assert section.title and section.description, section.id
        assert section.files or section.commands or section.probe, section.id
        for command in section.commands:
            assert isinstance(command.argv, tuple) and command.argv, section.id


def test_read_tail_keeps_whole_last_lines(tmp_path):
    (tmp_path / "log").write_bytes(b"".join(b"line %d\n" % n for n in range(1000)))
    data, cut = _ctx(tmp_path).read_tail("/log", 30)
    assert cut
    assert data.splitlines() == [b"line 997", b"line 998", b"line 999"]
    whole, cut = _ctx(tmp_path).read_tail("/log", 1 << 20)
    assert not cut and whole.startswith(b"line 0\n")
