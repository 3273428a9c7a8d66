"""The runner: concurrency, per-command timeouts, the total deadline, failures as findings."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from kata_cli.collect.model import Command, Item, Options, Section
from kata_cli.collect.runner import Context, run_sections
from kata_cli.host import Host


def _ctx(tmp_path, **options) -> Context:
    return Context(Host(tmp_path), Options(**options))


def test_a_stuck_probe_is_abandoned_at_the_deadline(tmp_path):
    release = threading.Event()

    def stuck(ctx: Context) -> Iterator[Item]:
        yield Item("text", "before", text="partial\n")
        release.wait(30)
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
    assert time.monotonic() - start < 0.5 + 0.5
    assert expired
    stuck_result, quick_result = results
    assert stuck_result.status == "deadline"
    assert [i.title for i in stuck_result.items] == ["before", "stuck"]
    assert stuck_result.items[-1].status == "deadline"
    assert "--deadline of 0.5s" in (stuck_result.items[-1].detail or "")
    assert quick_result.status == "ok" and quick_result.items[0].text == "done\n"


def test_commands_run_concurrently_each_with_its_timeout(tmp_path):
    sleeper = tmp_path / "sleeper"
    sleeper.write_text("#!/bin/sh\nexec /bin/sleep 30\n")
    sleeper.chmod(0o755)
    section = Section(
        "s",
        "S",
        "four hanging commands",
        commands=tuple(Command((str(sleeper), str(n))) for n in range(4)),
    )
    start = time.monotonic()
    results, expired = run_sections(_ctx(tmp_path, timeout=0.5, deadline=10), (section,))
    elapsed = time.monotonic() - start
    assert elapsed < 0.5 + 1.5, "four 0.5s timeouts in parallel, not in sequence"
    assert not expired
    assert [i.status for i in results[0].items] == ["timed-out"] * 4
    assert all(0.4 < (i.duration or 0) < 1.5 for i in results[0].items)
    assert all("timed out after" in (i.detail or "") for i in results[0].items)


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
