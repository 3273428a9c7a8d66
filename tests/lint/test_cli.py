"""`kata-cli config lint`: output formats, selection, suppression, exit statuses, fixes."""

from __future__ import annotations

import os
import re
import stat
import textwrap
from pathlib import Path

from kata_cli.lint.registry import RULES
from tests.conftest import Cli, CliResult, FakeHost

from .conftest import FIXTURES

CLEAN = (FIXTURES / "KATA202.good.toml").read_text()


def lint(cli: Cli, *args: str, input: str | None = None) -> CliResult:
    """`config lint` of local files, without the host-path family (the assets are absent)."""
    return cli("config", "lint", "--ignore", "KATA9", *args, input=input)


def write(tmp_path: Path, text: str, name: str = "configuration.toml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_text_output_lines_and_summary(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN.replace("default_memory = 4096", "Default_Memory = 4096\nfoo = 1"))
    result = lint(cli, path)
    assert result.exit_code == 0, result.output
    assert result.stdout == textwrap.dedent(
        f"""\
        {path}:7:1: KATA203 [warning] `Default_Memory` is spelled `default_memory`; the Go runtime accepts it, runtime-rs would ignore it (fix: use the exact lower-case spelling (mechanical: --fix))
        {path}:8:1: KATA202 [warning] [hypervisor.qemu] unknown key `foo`: the runtime ignores it (fix: correct the spelling or delete the key)
        Found 2 problems (0 errors, 2 warnings, 0 info) in 1 file; 1 fixable with --fix.
        """
    )
    assert result.stderr == ""


def test_clean_file(cli: Cli, tmp_path: Path) -> None:
    result = lint(cli, write(tmp_path, CLEAN))
    assert result.exit_code == 0
    assert result.stdout == "No problems found in 1 file.\n"


def test_errors_fail_and_strict_fails_on_warnings(cli: Cli) -> None:
    assert lint(cli, str(FIXTURES / "KATA401.bad.toml")).exit_code == 1
    warning_only = str(FIXTURES / "KATA202.bad.toml")
    assert lint(cli, warning_only).exit_code == 0
    assert lint(cli, "--strict", warning_only).exit_code == 1


def test_exit_status_does_not_depend_on_format(cli: Cli) -> None:
    for name, status in (("KATA401.bad.toml", 1), ("KATA202.bad.toml", 0)):
        path = str(FIXTURES / name)
        codes = {lint(cli, "--format", f, path).exit_code for f in ("text", "json", "sarif")}
        assert codes == {status}


def test_json_output(cli: Cli) -> None:
    result = lint(cli, "--format", "json", str(FIXTURES / "KATA401.bad.toml"))
    data = result.json()
    assert data["schema"] == "kata-cli/config-lint/1"
    assert data["summary"]["errors"] >= 1
    assert data["units"][0]["flavour"] == "go"
    assert data["units"][0]["hypervisor"] == "qemu"
    finding = next(f for f in data["findings"] if f["code"] == "KATA401")
    assert finding["severity"] == "error"
    assert finding["line"] > 1 and finding["column"] == 1
    assert set(finding) == {
        "code",
        "name",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "fix",
        "fixable",
    }


def test_sarif_output(cli: Cli) -> None:
    path = str(FIXTURES / "KATA604.bad.toml")
    result = lint(cli, "--format", "sarif", path)
    data = result.json()
    assert data["version"] == "2.1.0"
    assert data["$schema"].endswith("sarif-2.1.0.json")
    run = data["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.code for r in RULES]
    (hit,) = [r for r in run["results"] if r["ruleId"] == "KATA604"]
    assert rules[hit["ruleIndex"]]["id"] == "KATA604"
    assert hit["level"] == "warning"
    region = hit["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] >= 1 and region["startColumn"] >= 1
    assert hit["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("file:///")


def test_select_and_ignore_by_code_and_prefix(cli: Cli) -> None:
    path = str(FIXTURES / "KATA401.bad.toml")
    ignored = lint(cli, "--format", "json", "--ignore", "KATA4", path).json()
    assert "KATA401" not in {f["code"] for f in ignored["findings"]}
    selected = lint(cli, "--format", "json", "--select", "KATA604,KATA401", path).json()
    assert {f["code"] for f in selected["findings"]} <= {"KATA401", "KATA604"}
    assert "KATA401" in {f["code"] for f in selected["findings"]}


def test_unknown_code_is_a_usage_error(cli: Cli) -> None:
    result = lint(cli, "--ignore", "KATA999", str(FIXTURES / "KATA401.bad.toml"))
    assert result.exit_code == 2
    assert "KATA999" in result.stderr
    assert lint(cli, "--format", "xml").exit_code == 2
    assert lint(cli, "--explain", "NOPE").exit_code == 2


def test_inline_suppression(cli: Cli, tmp_path: Path) -> None:
    text = CLEAN.replace(
        "default_memory = 4096", "default_memory = 100  # kata-lint: disable=KATA501"
    )
    result = lint(cli, "--format", "json", write(tmp_path, text))
    assert "KATA501" not in {f["code"] for f in result.json()["findings"]}
    text = CLEAN.replace(
        "default_memory = 4096", "default_memory = 100  # kata-lint: disable=KATA2"
    )
    result = lint(cli, "--format", "json", write(tmp_path, text))
    assert "KATA501" in {f["code"] for f in result.json()["findings"]}


def test_list_rules_and_explain(cli: Cli) -> None:
    listing = lint(cli, "--list-rules")
    assert listing.exit_code == 0
    for rule in RULES:
        assert rule.code in listing.stdout
    data = lint(cli, "--list-rules", "--format", "json").json()
    assert len(data["rules"]) == len(RULES)
    explain = lint(cli, "--explain", "kata702")
    assert explain.exit_code == 0
    assert explain.stdout.startswith("KATA702 rs-reconnect-before-dial (error")
    assert "Why:" in explain.stdout and "Fix:" in explain.stdout


def test_discovered_config_and_dropins_point_at_the_setting_file(
    cli: Cli, fake_host: FakeHost
) -> None:
    fake_host.config(CLEAN)
    fake_host.file(
        "/etc/kata-containers/config.d/10-memory.toml",
        "# site memory\n[hypervisor.qemu]\ndefault_memory = 100\n",
    )
    result = cli("--host-root", str(fake_host.root), "config", "lint", "--format", "json")
    data = result.json()
    assert data["units"][0]["files"] == [
        "/etc/kata-containers/configuration.toml",
        "/etc/kata-containers/config.d/10-memory.toml",
    ]
    (finding,) = [f for f in data["findings"] if f["code"] == "KATA501"]
    assert finding["file"] == "/etc/kata-containers/config.d/10-memory.toml"
    assert (finding["line"], finding["column"]) == (3, 1)
    # paths are checked under the host root: the fixture has none of the assets
    assert "KATA901" in {f["code"] for f in data["findings"]}


def test_dropin_directory_entry_is_a_finding(cli: Cli, fake_host: FakeHost) -> None:
    fake_host.config(CLEAN)
    fake_host.dir("/etc/kata-containers/config.d/sub")
    result = cli("--host-root", str(fake_host.root), "config", "lint", "--ignore", "KATA9")
    assert result.exit_code == 1
    assert "config.d/sub:1:1: KATA003 [error] cannot read file: it is a directory" in result.stdout


def test_no_configuration_is_a_clear_error(cli: Cli, fake_host: FakeHost) -> None:
    result = cli("--host-root", str(fake_host.root), "config", "lint")
    assert result.exit_code == 1
    assert result.stderr.startswith("Cannot find usable config file")
    assert "Traceback" not in result.output


def test_fix_renames_keys_keeps_comments_and_mode(cli: Cli, tmp_path: Path) -> None:
    text = CLEAN.replace(
        "default_memory = 4096", "# memory for every pod\nDefault_Memory = 4096  # MiB"
    )
    path = write(tmp_path, text)
    os.chmod(path, 0o640)
    diff = lint(cli, "--diff", path)
    assert "-Default_Memory = 4096  # MiB\n+default_memory = 4096  # MiB\n" in diff.stdout
    assert Path(path).read_text() == textwrap.dedent(text)
    result = lint(cli, "--fix", path)
    assert result.exit_code == 0
    assert "fixed 1 problem" in result.stdout
    fixed = Path(path).read_text()
    assert fixed == textwrap.dedent(text).replace("Default_Memory", "default_memory")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_fix_converts_units_between_flavours(cli: Cli, tmp_path: Path) -> None:
    text = (FIXTURES / "KATA701.bad.toml").read_text()
    path = write(tmp_path, text)
    result = lint(cli, "--fix", path)
    assert "dial_timeout_ms = 45000\n" in Path(path).read_text()
    assert "KATA701" not in result.stdout


def test_placeholders_are_removed_only_when_asked(cli: Cli, tmp_path: Path) -> None:
    text = (FIXTURES / "KATA601.bad.toml").read_text()
    path = write(tmp_path, text)
    assert lint(cli, "--fix", path).exit_code == 1
    assert "@FIRMWAREVOLUMEPATH_NV@" in Path(path).read_text()
    result = lint(cli, "--fix", "--remove-placeholders", path)
    assert result.exit_code == 0, result.stdout
    assert "firmware_volume" not in Path(path).read_text()


def test_directory_argument_lints_each_toml(cli: Cli, tmp_path: Path) -> None:
    write(tmp_path, CLEAN, "a.toml")
    write(tmp_path, (FIXTURES / "KATA401.bad.toml").read_text(), "b.toml")
    (tmp_path / "notes.txt").write_text("not toml")
    data = lint(cli, "--format", "json", str(tmp_path)).json()
    assert [u["files"][0].rsplit("/", 1)[-1] for u in data["units"]] == ["a.toml", "b.toml"]


def test_arch_option(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN.replace("default_memory = 4096", "default_maxvcpus = 200"))
    amd = lint(cli, "--format", "json", "--arch", "amd64", path).json()
    ppc = lint(cli, "--format", "json", "--arch", "ppc64le", path).json()
    assert "KATA503" not in {f["code"] for f in amd["findings"]}
    assert "KATA503" in {f["code"] for f in ppc["findings"]}


def test_flavour_override(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN)
    data = lint(cli, "--format", "json", "--flavour", "rs", path).json()
    assert data["units"][0]["flavour"] == "rs"
    assert "KATA701" in {f["code"] for f in data["findings"]}  # Go's dial_timeout


def test_dropins_beside_a_symlinked_configuration_are_reported(
    cli: Cli, fake_host: FakeHost
) -> None:
    target = "/opt/kata/share/defaults/kata-containers/configuration-qemu.toml"
    fake_host.config(CLEAN, path=target)
    fake_host.symlink("/etc/kata-containers/configuration.toml", target)
    fake_host.file(
        "/etc/kata-containers/config.d/50-debug.toml", "[runtime]\nenable_debug = true\n"
    )
    result = cli("--host-root", str(fake_host.root), "config", "lint", "--select", "KATA903")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == (
        f"{target}:1:1: KATA903 [warning] /etc/kata-containers/config.d is not read: the "
        "configuration is a symlink, and drop-ins are read from "
        "/opt/kata/share/defaults/kata-containers/config.d (fix: move the fragments into the "
        "directory next to the link's target)"
    )


def test_runtime_rs_rejects_symlinked_dropins(cli: Cli, fake_host: FakeHost) -> None:
    main = "/etc/kata-containers/runtime-rs/configuration.toml"
    fake_host.config((FIXTURES / "KATA702.good.toml").read_text(), path=main)
    fake_host.file("/srv/fragments/10-debug.toml", "[runtime]\nenable_debug = true\n")
    link = "/etc/kata-containers/runtime-rs/config.d/10-debug.toml"
    fake_host.symlink(link, "../../../../srv/fragments/10-debug.toml")
    result = cli("--host-root", str(fake_host.root), "config", "lint", "--select", "KATA904")
    assert result.exit_code == 1
    assert f"{link}:1:1: KATA904 [error]" in result.stdout


def test_fix_table_headers_and_deprecated_values(cli: Cli, tmp_path: Path) -> None:
    text = CLEAN.replace("[runtime]", "[Runtime]  # the runtime table")
    path = write(tmp_path, text)
    assert "[Runtime]" in lint(cli, "--format", "json", path).stdout
    lint(cli, "--fix", path)
    assert "[runtime]  # the runtime table\n" in Path(path).read_text()
    rs_path = write(tmp_path, (FIXTURES / "KATA305.bad.toml").read_text(), "rs.toml")
    diff = lint(cli, "--diff", rs_path).stdout
    assert '-virtio_fs_cache = "none"\n+virtio_fs_cache = "never"\n' in diff


def test_dragonball_block_driver(cli: Cli, tmp_path: Path) -> None:
    text = (
        (FIXTURES / "KATA706.good.toml")
        .read_text()
        .replace("[hypervisor.qemu]", "[hypervisor.dragonball]")
    )
    text = text.replace('hypervisor_name = "qemu"', 'hypervisor_name = "dragonball"')
    text = text.replace(
        'path = "/opt/kata/bin/qemu-system-x86_64"\n', 'block_device_driver = "virtio-scsi"\n'
    )
    data = lint(cli, "--format", "json", write(tmp_path, text)).json()
    messages = [f["message"] for f in data["findings"] if f["code"] == "KATA706"]
    assert messages == [
        'block_device_driver = "virtio-scsi" must not be set for dragonball in runtime-rs'
    ]


def test_unwritable_fix_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    from kata_cli.host import Host

    class RefusingWrites(Host):
        def write_atomic(
            self,
            host_path: str,
            data: bytes,
            mode: int = 0o600,
            owner: tuple[int, int] | None = None,
        ) -> None:
            raise PermissionError(13, "Permission denied")

    cli.host_type = RefusingWrites
    path = write(tmp_path, CLEAN.replace("default_memory", "Default_Memory"))
    result = lint(cli, "--fix", path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"cannot write the fixes to {path}: Permission denied (check the file's permissions, "
        "or use --diff)\n"
    )
    assert "Default_Memory" in Path(path).read_text()


def test_directory_without_toml_files(cli: Cli, tmp_path: Path) -> None:
    result = lint(cli, str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == f"{tmp_path}: no *.toml files in this directory\n"


def test_coloured_output_has_the_same_text(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN.replace("default_memory = 4096", "foo = 1"))
    plain = lint(cli, path).stdout
    cli.environment["stdout_isatty"] = True
    terminal = {"NO_COLOR": None, "TERM": "xterm-256color", "COLUMNS": "500"}
    coloured = cli("config", "lint", "--ignore", "KATA9", path, env=terminal).stdout
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
    # NO_COLOR (pinned to 1 by the fixture) keeps a terminal plain
    assert cli("config", "lint", "--ignore", "KATA9", path, env={"TERM": "xterm"}).stdout == plain


def test_syntax_errors_are_reported_whatever_is_selected(cli: Cli) -> None:
    path = str(FIXTURES / "KATA001.bad.toml")
    result = lint(cli, "--select", "KATA2", path)
    assert result.exit_code == 1
    assert "KATA001" in result.stdout
    assert lint(cli, "--ignore", "KATA0", path).exit_code == 0


def test_several_hypervisor_tables_are_each_checked(cli: Cli, tmp_path: Path) -> None:
    text = CLEAN + '\n[hypervisor.clh]\npath = "/opt/kata/bin/cloud-hypervisor"\n'
    data = lint(cli, "--format", "json", write(tmp_path, text)).json()
    codes = [f["code"] for f in data["findings"]]
    assert "KATA206" in codes
    # the clh table is checked as if the runtime had picked it: no image, no initrd
    (finding,) = [f for f in data["findings"] if f["code"] == "KATA401"]
    assert "clh" in finding["message"]
    assert data["units"][0]["hypervisor"] == ""


def test_standard_input(cli: Cli) -> None:
    text = (FIXTURES / "KATA203.bad.toml").read_text()
    result = lint(cli, "-", input=text)
    assert result.exit_code == 0
    assert result.stdout.startswith("<stdin>:")
    assert "KATA203" in result.stdout
    diff = lint(cli, "--diff", "-", input=text)
    assert "+default_memory = 4096" in diff.stdout
    refused = lint(cli, "--fix", "-", input="[runtime]\n")  # even with nothing to fix
    assert refused.exit_code == 2  # a usage error
    assert refused.stderr.startswith("cannot --fix standard input")


def test_fix_keeps_byte_order_mark_line_endings_and_owner(cli: Cli, tmp_path: Path) -> None:
    text = CLEAN.replace("default_memory = 4096", "Default_Memory = 4096").replace("\n", "\r\n")
    path = tmp_path / "configuration.toml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    os.chmod(path, 0o640)
    owner = (4321, 8765) if os.geteuid() == 0 else (os.geteuid(), os.getegid())
    os.chown(path, *owner)
    result = lint(cli, "--fix", str(path))
    assert result.exit_code == 0, result.output
    assert "fixed 1 problem" in result.stdout
    expected = text.replace("Default_Memory", "default_memory")
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.encode()
    after = os.stat(path)
    assert stat.S_IMODE(after.st_mode) == 0o640
    assert (after.st_uid, after.st_gid) == owner


def test_fix_of_a_symlinked_configuration_rewrites_the_target_inside_the_root(
    cli: Cli, fake_host: FakeHost
) -> None:
    """The link stays a link; its absolute target is taken under --host-root, never on the
    machine running kata-cli."""
    target = "/opt/kata/share/defaults/kata-containers/configuration-qemu.toml"
    fake_host.config(CLEAN.replace("default_memory", "Default_Memory"), path=target)
    link = "/etc/kata-containers/configuration.toml"
    fake_host.symlink(link, target)
    result = cli("--host-root", str(fake_host.root), "config", "lint", "--ignore", "KATA9", "--fix")
    assert result.exit_code == 0, result.output
    assert fake_host.local(link).is_symlink()
    assert os.readlink(fake_host.local(link)) == target
    assert fake_host.local(target).read_text() == CLEAN


def test_a_path_missing_here_but_present_under_the_host_root_says_so(
    cli: Cli, tmp_path: Path
) -> None:
    """A newcomer types the node's path after --host-root; PATH names a file on this
    machine (as --config does), so the message says where the file really is."""
    root = tmp_path / "node"
    (root / "etc/kata-rs").mkdir(parents=True)
    (root / "etc/kata-rs/configuration.toml").write_text(CLEAN)
    result = cli("--host-root", str(root), *("config", "lint", "/etc/kata-rs/configuration.toml"))
    assert result.exit_code == 1
    assert (
        "KATA003 [error] cannot read file: No such file or directory on this machine "
        f"(a PATH is not taken under --host-root: lint {root}/etc/kata-rs/configuration.toml "
        "instead)"
    ) in result.stdout
    elsewhere = cli("--host-root", str(root), "config", "lint", "/etc/kata-rs/other.toml")
    assert "cannot read file: No such file or directory (fix:" in elsewhere.stdout
