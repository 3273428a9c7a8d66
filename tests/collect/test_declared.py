"""Sections declare the commands their probes run and the files they gather; the context
fills argv from the options and refuses what a section did not declare."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import kata_cli.collect.sections as sections
from kata_cli.collect import collect
from kata_cli.collect.context import Context, UndeclaredAccess, fill, path_matches
from kata_cli.collect.model import FAILED, NOT_FOUND, Options
from kata_cli.collect.runner import run_sections
from kata_cli.collect.section import Command, Section
from kata_cli.host import Host
from tests.collect.conftest import SANDBOX_ID
from tests.collect.test_command import quick_docker
from tests.conftest import MINIMAL_QEMU_CONFIG


def _calls_in_sections(name: str, on: Callable[[str], bool] | None = None) -> list[str]:
    """`file:line` of every call of `name` in the section modules (a method of a receiver
    that `on` accepts, or a plain function when `on` is None)."""
    found = []
    for path in sorted(Path(sections.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if on is None:
                hit = isinstance(func, ast.Name) and func.id == name
            else:
                hit = isinstance(func, ast.Attribute) and func.attr.startswith(name)
                hit = hit and on(ast.unparse(func.value))
            if hit:
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_section_builds_argv_in_its_probe():
    """Every command a section runs is a declared `Command`: no probe calls ctx.run() or
    ctx.host.run()."""
    assert _calls_in_sections("run", lambda receiver: "ctx" in receiver) == []


def test_probe_commands_are_declared_on_their_sections():
    assert sections.logs.SECTION.uses == (
        sections.logs.KATA_JOURNAL,
        sections.logs.CONTAINERD_JOURNAL,
    )
    assert sections.logs.SECTION.reads == sections.logs.LOG_FILES
    assert sections.kernel_log.SECTION.uses == (
        sections.kernel_log.DMESG,
        sections.kernel_log.KERNEL_JOURNAL,
    )
    assert sections.packages.SECTION.uses == (sections.packages.DPKG, sections.packages.RPM)
    assert sections.packages.SECTION.reads == (sections.packages.DPKG_STATUS,)
    assert sections.versions.SECTION.uses == (
        sections.versions.CONFIGURED,
        *sections.versions.KATA_PROGRAMS,
    )
    assert sections.guest_assets.SECTION.uses == (
        sections.guest_assets.DEBUGFS,
        *sections.guest_assets.DECOMPRESSORS.values(),
    )
    assert (
        sections.container_managers.CONTAINERD.reads
        == sections.container_managers.CONTAINERD_CONFIGS
    )
    assert sections.sandboxes.SECTION.reads == ("/proc/*/cmdline", *sections.sandboxes.STATE_FILES)
    assert sections.security.SECTION.reads == (
        sections.security.SELINUX_ENFORCE,
        sections.security.APPARMOR_ENABLED,
        sections.security.APPARMOR_PROFILES,
    )
    assert sections.meta.SECTION.reads == sections.meta.MACHINE_ID_FILES
    assert sections.modules.SECTION.reads == ("/sys/module/*/parameters/*",)
    assert sections.guest_assets.SECTION.reads == ("{image}", "{initrd}")
    assert sections.config_files.SECTION.reads == sections.config_files.CONFIG_FILES


def test_no_section_reads_host_files_behind_its_context():
    """A probe reads file contents through the context, which checks its declarations;
    `ctx.host` is for looking at host state (exists, listdir, kind) only."""
    for method in ("read", "open"):
        assert _calls_in_sections(method, lambda receiver: receiver.endswith("host")) == []


def test_no_section_builds_a_context_of_its_own():
    """A probe sees the scoped context the runner hands it; a new `Context(...)` would
    escape its declarations (`ctx.on_host()` keeps them)."""
    assert _calls_in_sections("Context") == []


def test_a_scoped_context_refuses_undeclared_files_and_commands(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "declared.conf").write_text("declared\n")
    (tmp_path / "etc" / "other.conf").write_text("other\n")
    true = Command(("true",))
    ctx = Context(Host(tmp_path), Options()).for_section("demo", ("/etc/declared.conf",), (true,))
    assert ctx.read_file("/etc/declared.conf").text == "declared\n"
    assert ctx.expand(["/etc/declared.conf"]) == ["/etc/declared.conf"]
    with pytest.raises(
        UndeclaredAccess, match=re.escape("section demo reads /etc/other.conf, which")
    ):
        ctx.read_file("/etc/other.conf")
    with pytest.raises(UndeclaredAccess, match=re.escape("/etc/other.conf")):
        ctx.read_tail("/etc/other.conf", 100)
    with pytest.raises(UndeclaredAccess, match=re.escape("/etc/other.conf")):
        ctx.read_text_or("/etc/other.conf")
    with pytest.raises(UndeclaredAccess, match=re.escape("/etc/other.conf")):
        ctx.read_head("/etc/other.conf", 10)
    assert ctx.read_text_or("/etc/declared.conf") == "declared\n"
    assert ctx.read_head("/etc/declared.conf", 3) == b"dec"
    with pytest.raises(UndeclaredAccess, match=re.escape("reads /etc/*.conf")):
        ctx.expand(["/etc/*.conf"])
    with pytest.raises(UndeclaredAccess, match="section demo runs false, which"):
        ctx.command(Command(("false",)))
    with pytest.raises(UndeclaredAccess, match="runs cat"):
        ctx.pipe(Command(("cat",)), b"x", max_output=10)
    # the unscoped context (the runner's, tests') reads what it is asked to
    assert Context(Host(tmp_path), Options()).read_file("/etc/other.conf").text == "other\n"


def test_the_runner_hands_each_probe_its_own_section_scope(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "a.conf").write_text("a\n")

    def probe(ctx):
        yield ctx.read_file("/etc/a.conf")

    loose = Section("loose", "Loose", "reads a file it does not declare", probe=probe)
    declared = Section("declared", "Declared", "declares it", probe=probe, reads=("/etc/*.conf",))
    results, _ = run_sections(Context(Host(tmp_path), Options()), [loose, declared])
    [refused], [read] = results[0].items, results[1].items
    assert refused.status == FAILED
    assert refused.detail == (
        "UndeclaredAccess: section loose reads /etc/a.conf, which it does not declare"
    )
    assert (read.status, read.text) == ("ok", "a\n")


def test_declared_paths_match_component_by_component():
    assert path_matches("/run/vc/sbs/abc/persist.json", "/run/vc/sbs/*/*.json")
    assert not path_matches("/run/vc/sbs/abc/sub/persist.json", "/run/vc/sbs/*/*.json")
    assert not path_matches("/run/vc/sbs/abc", "/run/vc/sbs/*/*.json")
    assert path_matches("/etc/crio/crio.conf", "/etc/crio/crio.conf")
    assert not path_matches("/etc/crio/crio.conf.d/x", "/etc/crio/*")


def test_sandbox_and_config_dir_placeholders(fake_host):
    fake_host.config(MINIMAL_QEMU_CONFIG, path="/opt/kata/share/defaults/kata-containers/c.toml")
    reads = (*sections.sandboxes.STATE_FILES, "{config_dir}/config.d/*")
    options = Options(sandbox="abc", explicit_config=None)
    ctx = Context(fake_host.host, options).for_section("s", reads, ())
    assert ctx.declares("/run/vc/sbs/abc/persist.json")
    assert ctx.declares("/run/kata/abc/state.json")
    assert not ctx.declares("/run/vc/sbs/other/persist.json")
    assert not ctx.declares("/etc/kata-containers/config.d/10.toml")  # no config there
    fake_host.config(MINIMAL_QEMU_CONFIG)
    ctx = Context(fake_host.host, Options()).for_section("s", reads, ())
    assert ctx.declares("/etc/kata-containers/config.d/10.toml")
    assert not ctx.declares("/run/vc/sbs/abc/persist.json")  # no --sandbox: no state files


def test_every_section_gathers_only_what_it_declares(seeded, stubs):
    quick_docker(stubs)
    defaults = "/opt/kata/share/defaults/kata-containers"
    seeded.file(f"{defaults}/configuration-qemu.toml", MINIMAL_QEMU_CONFIG)
    seeded.symlink(f"{defaults}/configuration.toml", "configuration-qemu.toml")
    seeded.file("/etc/kata-containers/config.d/10-debug.toml", "[runtime]\nenable_debug = true\n")
    options = Options(timeout=5, deadline=30, sandbox=SANDBOX_ID, search_path=str(stubs))
    report = collect(seeded.host, options)
    undeclared = [i.detail for _, i in report.items() if "UndeclaredAccess" in (i.detail or "")]
    assert undeclared == []
    gathered = {i.path for _, i in report.items() if i.kind == "file" and i.status == "ok"}
    assert {
        "/etc/kata-containers/configuration.toml",
        "/etc/kata-containers/config.d/10-debug.toml",
        f"{defaults}/configuration-qemu.toml",
        "/etc/containerd/config.toml",
        f"/run/vc/sbs/{SANDBOX_ID}/persist.json",
        "/var/lib/rancher/k3s/agent/containerd/containerd.log",
    } <= gathered


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
    item = ctx.command(sections.versions.CONFIGURED, program="/opt/kata/bin/qemu")
    assert item.status == NOT_FOUND
    assert item.title == "/opt/kata/bin/qemu --version"
    assert item.argv == ["/opt/kata/bin/qemu", "--version"]


def test_a_declared_filter_gets_its_input_and_a_missing_one_is_none(tmp_path):
    ctx = Context(Host("/"), Options(search_path=str(tmp_path)))
    assert ctx.pipe(Command(("zstd", "-dc")), b"x", max_output=10) is None  # not on that PATH
    ctx = Context(Host("/"), Options())
    result = ctx.pipe(Command(("cat",)), b"payload", max_output=100)
    assert result is not None and result.stdout == b"payload"


def test_a_configuration_candidate_resolving_elsewhere_is_named_not_gathered(fake_host):
    fake_host.config(MINIMAL_QEMU_CONFIG)  # the Go file is in effect
    fake_host.file("/srv/elsewhere.toml", 'secret = "not a configuration"\n')
    fake_host.symlink("/etc/kata-containers/runtime-rs/configuration.toml", "/srv/elsewhere.toml")
    report = collect(
        fake_host.host, Options(timeout=5, deadline=30), sections=[sections.config_files.SECTION]
    )
    by_path = {item.path: item for _, item in report.items() if item.kind == "file"}
    assert by_path["/etc/kata-containers/configuration.toml"].status == "ok"
    skipped = by_path["/srv/elsewhere.toml"]
    assert (skipped.status, skipped.text) == ("skipped", "")
    assert skipped.detail == "not gathered: outside the configuration directories"


def test_configured_asset_placeholders_match_the_paths_literally(fake_host):
    image = "/opt/kata/img[1]*.img"  # glob characters in a configured path are letters
    fake_host.config(
        MINIMAL_QEMU_CONFIG.replace("/opt/kata/share/kata-containers/kata-containers.img", image)
    )
    ctx = Context(fake_host.host, Options()).for_section("guest", ("{image}", "{initrd}"), ())
    assert ctx.config() is not None and ctx.config().hypervisor.image == image
    assert ctx.declares(image)
    assert not ctx.declares("/opt/kata/img1x.img")
    assert not ctx.declares("/etc/shadow")
