"""Sections declare the commands their probes run; the context fills argv from the options."""

from __future__ import annotations

import ast
from pathlib import Path

import kata_cli.collect.sections as sections_pkg
from kata_cli.collect.context import Context, fill
from kata_cli.collect.model import NOT_FOUND, Options
from kata_cli.collect.section import Command
from kata_cli.collect.sections import guest_assets, kernel_log, logs, packages, versions
from kata_cli.host import Host


def test_no_section_builds_argv_in_its_probe():
    """Every command a section runs is a declared `Command`: no probe calls ctx.run() or
    ctx.host.run()."""
    offenders = []
    for path in sorted(Path(sections_pkg.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "run"
                and "ctx" in ast.unparse(node.func.value)
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_probe_commands_are_declared_on_their_sections():
    assert logs.SECTION.uses == (logs.KATA_JOURNAL, logs.CONTAINERD_JOURNAL)
    assert logs.SECTION.reads == logs.LOG_FILES
    assert kernel_log.SECTION.uses == (kernel_log.DMESG, kernel_log.KERNEL_JOURNAL)
    assert packages.SECTION.uses == (packages.DPKG, packages.RPM)
    assert packages.SECTION.reads == (packages.DPKG_STATUS,)
    assert versions.SECTION.uses == (versions.CONFIGURED, *versions.KATA_PROGRAMS)
    assert guest_assets.SECTION.uses == (guest_assets.DEBUGFS, *guest_assets.DECOMPRESSORS.values())


def test_placeholders_come_from_the_options(tmp_path):
    ctx = Context(Host(tmp_path), Options(since="2h", max_lines=100))
    assert ctx.placeholders() == {"since": "-2h", "journal_lines": "2000"}
    ctx = Context(Host(tmp_path), Options(since="2026-01-02 03:04", max_lines=10))
    assert ctx.placeholders() == {"since": "2026-01-02 03:04", "journal_lines": "1000"}


def test_fill_replaces_known_names_once_and_leaves_other_braces():
    values = {"since": "-24h", "target": "/a/{since}"}
    assert fill("--since={since}", values) == "--since=-24h"
    assert fill("{target}", values) == "/a/{since}"  # a value is not expanded again
    dpkg = "${Package} ${Version} ${db:Status-Abbrev}\\n"
    assert fill(dpkg, values) == dpkg
    assert fill("%{NAME} {unknown}", values) == "%{NAME} {unknown}"


def test_the_context_runs_a_declared_command_with_its_placeholders(tmp_path):
    (tmp_path / "bin").mkdir()
    echo = tmp_path / "bin" / "echo-args"
    echo.write_text('#!/bin/sh\nprintf "%s|" "$@"\n')
    echo.chmod(0o755)
    ctx = Context(Host("/"), Options(since="3h", search_path=str(tmp_path / "bin")))
    command = Command(("echo-args", "--since={since}", "{target}"), title="t {target}")
    item = ctx.command(command, target="/x")
    assert item.status == "ok", item.detail
    assert item.text == "--since=-3h|/x|"
    assert item.title == "t /x"
    assert item.argv == ["echo-args", "--since=-3h", "/x"]


def test_a_missing_configured_program_is_not_run(tmp_path):
    ctx = Context(Host(tmp_path), Options())
    item = ctx.command(versions.CONFIGURED, program="/opt/kata/bin/qemu")
    assert item.status == NOT_FOUND
    assert item.title == "/opt/kata/bin/qemu --version"
    assert item.argv == ["/opt/kata/bin/qemu", "--version"]


def test_a_declared_filter_gets_its_input_and_a_missing_one_is_none(tmp_path):
    ctx = Context(Host("/"), Options(search_path=str(tmp_path)))
    assert ctx.pipe(Command(("zstd", "-dc")), b"x", max_output=10) is None  # not on that PATH
    ctx = Context(Host("/"), Options())
    result = ctx.pipe(Command(("cat",)), b"payload", max_output=100)
    assert result is not None and result.stdout == b"payload"
