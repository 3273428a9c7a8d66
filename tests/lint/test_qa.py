"""Regressions found in QA: hostile standard input, encodings, line ends, SARIF URIs,
fixes of quoted and dotted keys, positions, and the runtime-rs rules added later."""

from __future__ import annotations

import io
import textwrap
import tomllib
from pathlib import Path

import pytest

from kata_cli.environment import Environment
from kata_cli.errors import KataError, UsageError
from kata_cli.host import Host
from kata_cli.lint import files
from kata_cli.lint.engine import Options, lint_sources, lint_text
from kata_cli.lint.fix import apply_edits
from kata_cli.lint.model import Finding
from kata_cli.lint.registry import RULES
from kata_cli.lint.source import load_source
from kata_cli.render import sarif
from tests.conftest import Cli, FakeHost, host_denying_reads

from .conftest import FIXTURES

QEMU = textwrap.dedent(
    """\
    [hypervisor.qemu]
    path = "/opt/kata/bin/qemu-system-x86_64"
    kernel = "/opt/kata/share/kata-containers/vmlinux.container"
    image = "/opt/kata/share/kata-containers/kata-containers.img"
    virtio_fs_daemon = "/opt/kata/libexec/virtiofsd"
    """
)
RS_REMOTE = (FIXTURES / "KATA708.good.toml").read_text()


def _lint(text: str, **options: object) -> list[Finding]:
    return lint_text(text, **options)


def _fixed(text: str, **options: object) -> str:
    result = lint_sources([load_source("c.toml", text.encode())], Options(**options))  # type: ignore[arg-type]
    return apply_edits(text, [e for e in result.edits if not e.unsafe])[0]


# -- standard input ---------------------------------------------------------------------
def _this_machine(stdin_isatty: bool = False) -> Host:
    return Host("/", Environment.fake(stdin_isatty=stdin_isatty))


def test_closed_stdin_is_an_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", None)
    with pytest.raises(KataError, match="standard input is closed"):
        files.named(_this_machine(), ("-",))


def test_stdin_on_a_terminal_is_refused_instead_of_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"")))
    with pytest.raises(UsageError, match="terminal"):
        files.named(_this_machine(stdin_isatty=True), ("-",))
    assert files.named(_this_machine(stdin_isatty=False), ("-",))[0][0].data == b""


# -- encodings and line ends ------------------------------------------------------------
def test_utf16_with_bom_says_so() -> None:
    (finding,) = _lint("[runtime]\nenable_debug = true\n".encode("utf-16"))
    assert finding.code == "KATA002"
    assert "UTF-16" in finding.message


def test_control_character_in_a_comment_is_still_a_syntax_error() -> None:
    text = QEMU + "# a comment with a \x01 in it\n"
    assert [f.code for f in _lint(text)] == ["KATA001"]


def test_crlf_file_is_parsed_and_positions_are_right() -> None:
    text = (QEMU + "# comment\ndefault_memory = 128\n").replace("\n", "\r\n")
    (finding,) = [f for f in _lint(text) if f.code == "KATA501"]
    assert finding.line == 7 and finding.column == 1


def test_unicode_line_separator_in_a_comment_does_not_shift_lines() -> None:
    text = QEMU + "# a\u2028b\x85c\ndefault_memory = 128\nDefault_Vcpus = 1\n"
    findings = _lint(text)
    assert [f.line for f in findings if f.code == "KATA501"] == [7]
    assert [f.line for f in findings if f.code == "KATA203"] == [8]
    fixed = _fixed(text)
    assert fixed == text.replace("Default_Vcpus", "default_vcpus")


def test_hash_inside_a_string_of_a_multiline_array() -> None:
    text = QEMU + 'enable_annotations = ["^a#b[$",\n  "^c$"]\ndefault_memory = 128\n'
    (finding,) = [f for f in _lint(text) if f.code == "KATA501"]
    assert finding.line == 8


# -- positions ---------------------------------------------------------------------------
def test_table_implied_by_a_dotted_key_points_at_that_key() -> None:
    text = QEMU + "proxy.kata.path = '/x'\n"
    (finding,) = [f for f in _lint(text) if f.code == "KATA201"]
    assert (finding.line, finding.column) == (6, 1)


# -- fixes of quoted and dotted keys -----------------------------------------------------
def test_quoted_case_variant_key_is_fixed() -> None:
    text = QEMU + '"Default_Memory" = 1024  # keep\n'
    assert _fixed(text) == QEMU + "default_memory = 1024  # keep\n"


def test_dotted_case_variant_keys_are_fixed() -> None:
    text = textwrap.dedent(
        """\
        hypervisor.qemu.kernel = "/k"
        hypervisor.qemu.image = "/i"
        hypervisor.qemu.virtio_fs_daemon = "/d"
        hypervisor.qemu.Default_Memory = 1024
        hypervisor . qemu . "Default_Vcpus" = 2
        """
    )
    fixed = _fixed(text)
    assert "hypervisor.qemu.default_memory = 1024\n" in fixed
    assert "hypervisor . qemu . default_vcpus = 2\n" in fixed


def test_quoted_go_spelling_is_respelled_with_its_unit_for_runtime_rs() -> None:
    text = QEMU + '[agent.kata]\n"dial_timeout" = 45  # s\n'
    fixed = _fixed(text, flavour="rs")
    assert fixed.endswith("[agent.kata]\ndial_timeout_ms = 45000  # s\n")


def test_dotted_go_spelling_is_respelled_for_runtime_rs() -> None:
    text = QEMU + "[agent]\nkata.dial_timeout = 45\n"
    assert _fixed(text, flavour="rs").endswith("kata.dial_timeout_ms = 45000\n")


# -- SARIF ------------------------------------------------------------------------------
def test_sarif_uris_are_percent_encoded_and_descriptions_plain() -> None:
    result = lint_sources([load_source("my dir/50% #1.toml", b"[runtime]\n")], Options()).findings
    from kata_cli.lint.model import LintResult, Unit

    doc = sarif.document(
        LintResult([Unit(["my dir/50% #1.toml"], "go", "amd64", "")], result), RULES
    )
    run = doc["runs"][0]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert uris == {"my%20dir/50%25%20%231.toml"}
    assert run["artifacts"] == [{"location": {"uri": "my%20dir/50%25%20%231.toml"}}]
    for rule in run["tool"]["driver"]["rules"]:
        assert "{" not in rule["shortDescription"]["text"], rule["id"]
    assert sarif.document(LintResult(), RULES)["runs"][0]["results"] == []


def test_sarif_from_the_cli_is_complete(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(QEMU + "default_memory = 128\n")
    data = cli("config", "lint", "--ignore", "KATA9", "--format", "sarif", str(path)).json()
    assert data["version"] == "2.1.0" and data["$schema"]
    (run,) = data["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] and driver["version"]
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids))
    assert run["results"]
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("file:///")
        assert location["region"]["startLine"] >= 1
        assert location["region"]["startColumn"] >= 1


# -- runtime-rs rules added in QA --------------------------------------------------------
def test_rs_agent_timeouts_checked_in_every_table_when_none_is_selected() -> None:
    text = QEMU + (
        "[agent.kata]\ndial_timeout_ms = 45000\n[agent.other]\ndial_timeout_ms = 0\n"
        '[runtime]\nname = "virt_container"\nhypervisor_name = "qemu"\n'
    )
    codes = [(f.code, f.line) for f in _lint(text, flavour="rs")]
    assert "KATA207" in [code for code, _line in codes]
    assert ("KATA702", 7) in codes
    assert ("KATA703", 9) in codes


def test_rs_remote_forced_runtime_values_have_no_effect() -> None:
    text = RS_REMOTE.replace('internetworking_model = "none"', 'internetworking_model = "tcfilter"')
    text = text.replace("disable_new_netns = false", "disable_new_netns = true")
    found = [f for f in _lint(text, flavour="rs") if f.code == "KATA506"]
    assert [f.message.split()[0] for f in found] == ["internetworking_model", "disable_new_netns"]
    assert not [f for f in _lint(RS_REMOTE, flavour="rs") if f.code == "KATA506"]


def _host(tmp_path: Path, mem_kib: int) -> Host:
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "meminfo").write_text(f"MemTotal: {mem_kib} kB\n")
    (proc / "cpuinfo").write_text("processor\t: 0\n\nprocessor\t: 1\n\n")
    return Host(tmp_path)


@pytest.mark.parametrize(("memory", "reported"), [(1024, True), (4096, False), (0, False)])
def test_rs_remote_max_memory_against_the_host(tmp_path: Path, memory: int, reported: bool) -> None:
    text = RS_REMOTE.replace("default_maxmemory = 0", f"default_maxmemory = {memory}")
    findings = lint_sources(
        [load_source("c.toml", text.encode())],
        Options(flavour="rs", host=_host(tmp_path, 4096 * 1024)),
    ).findings
    assert ("KATA708" in [f.code for f in findings]) is reported


def test_rs_remote_max_vcpus_needs_a_host_to_judge() -> None:
    text = RS_REMOTE.replace("default_maxvcpus = 0", "default_maxvcpus = 4")
    (finding,) = [f for f in _lint(text, flavour="rs") if f.code == "KATA708"]
    assert finding.message.startswith("default_maxvcpus = 4:")


# -- config show ---------------------------------------------------------------------------
def test_show_never_prints_the_jaeger_password(cli: Cli, fake_host: FakeHost) -> None:
    fake_host.intel()
    fake_host.config((FIXTURES / "KATA202.good.toml").read_text())
    fake_host.file(
        "/etc/kata-containers/config.d/20-trace.toml",
        '[runtime]\njaeger_password = "hunter2"\njaeger_user = "u\\u007fv"\n',
    )
    root = str(fake_host.root)
    shown = cli("--host-root", root, "config", "show", "--origin")
    assert shown.exit_code == 0, shown.output
    assert "hunter2" not in shown.stdout
    data = tomllib.loads(shown.stdout)  # still valid TOML (a DEL is escaped)
    assert data["runtime"]["jaeger_password"] == "<redacted>"
    assert data["runtime"]["jaeger_user"] == "u\x7fv"
    as_json = cli("--host-root", root, "config", "show", "--format", "json")
    assert "hunter2" not in as_json.stdout
    assert as_json.json()["adjusted"]["runtime.jaeger_password"].startswith("redacted")


def test_show_masks_secrets_inside_other_values(cli: Cli, fake_host: FakeHost) -> None:
    """URL credentials and tokens in any value (kernel_params, jaeger_endpoint) are masked
    with the same rules as collect-data; ordinary values stay as they are."""
    fake_host.intel()
    fake_host.config((FIXTURES / "KATA202.good.toml").read_text())
    fake_host.file(
        "/etc/kata-containers/config.d/30-secrets.toml",
        '[hypervisor.qemu]\nkernel_params = "quiet agent.aa_kbc_params=cc_kbc::'
        "https://kbs:kbsPw-SHOW1@kbs.example.com agent.token=ghp_"
        + "A1b2C3d4E5" * 3
        + 'F6g7H8"\n[runtime]\njaeger_endpoint = "http://u:jaegerPw-SHOW2@jaeger:14268"\n',
    )
    root = str(fake_host.root)
    for args in (("--origin",), ("--format", "json")):
        shown = cli("--host-root", root, "config", "show", *args)
        assert shown.exit_code == 0, shown.output
        for secret in ("kbsPw-SHOW1", "jaegerPw-SHOW2", "A1b2C3d4E5"):
            assert secret not in shown.stdout, (args, secret)
        assert "quiet agent.aa_kbc_params=cc_kbc::https://[REDACTED]@kbs.example.com" in (
            shown.stdout
        )
        assert "http://[REDACTED]@jaeger:14268" in shown.stdout


def test_backup_files_in_config_d_are_reported(cli: Cli, fake_host: FakeHost) -> None:
    fake_host.config((FIXTURES / "KATA202.good.toml").read_text())
    fake_host.file("/etc/kata-containers/config.d/10-memory.toml~", "[runtime]\n")
    fake_host.file("/etc/kata-containers/config.d/20-debug.toml", "[runtime]\n")
    fake_host.file("/etc/kata-containers/config.d/30-x.toml.rpmnew", "[runtime]\n")
    result = cli("--host-root", str(fake_host.root), "config", "lint", "--select", "KATA909")
    found = [line.split(":")[0] for line in result.stdout.splitlines() if "KATA909" in line]
    assert found == [
        "/etc/kata-containers/config.d/10-memory.toml~",
        "/etc/kata-containers/config.d/30-x.toml.rpmnew",
    ]
    assert result.exit_code == 0  # a warning


# -- costly input ----------------------------------------------------------------------------
def test_backtracking_annotation_entry_is_not_evaluated() -> None:
    """`(\\w+)+Q` takes Python's re seconds to minutes per name; the runtimes' engines do
    not backtrack. The entry is left alone instead of hanging the linter."""
    from kata_cli.lint.rules.security import admitted

    assert admitted(r"(\w+)+Q") == ()
    assert admitted(r"(.*)*Q") == ()
    assert "kernel_params" in admitted("(kernel|initrd)")
    text = QEMU + 'enable_annotations = ["(\\\\w+)+Q", "^kernel_params$"]\n'
    assert "KATA604" not in [f.code for f in _lint(text)]


def test_did_you_mean_is_offered_for_the_first_unknown_keys_only() -> None:
    from kata_cli.lint.rules.keys import MAX_SUGGESTIONS

    keys = "".join(f"defaultmemory{i} = 1\n" for i in range(MAX_SUGGESTIONS + 50))
    found = [f for f in _lint(QEMU + "default_memry = 1\n" + keys) if f.code == "KATA202"]
    assert len(found) == MAX_SUGGESTIONS + 51
    assert "did you mean `default_memory`" in found[0].message
    assert "did you mean" not in found[-1].message


def test_show_of_a_deeply_nested_file_is_an_error_not_a_crash(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("[" + ".".join(["a"] * 5000) + "]\nx = 1\n")
    result = cli("--config", str(path), "config", "show")
    assert result.exit_code == 1
    assert "nested too deeply" in result.stderr
    assert "internal error" not in result.stderr
    linted = cli("config", "lint", str(path))
    assert linted.exit_code == 1 and "KATA001" in linted.stdout


def test_unreadable_file_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(QEMU)
    (unit,) = files.named(host_denying_reads(str(path))("/"), (str(path),))
    source = files.read(unit[0])
    assert source.problem is not None
    assert (source.problem.code, source.problem.detail) == (
        "KATA003",
        "cannot read file: Permission denied",
    )


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "c.toml"
    os.mkfifo(fifo)
    (unit,) = files.named(Host("/"), (str(fifo),))
    source = files.read(unit[0])
    assert source.problem is not None and "not a regular file" in source.problem.detail


@pytest.mark.parametrize("number", ["9" * 5000, "-" + "1" * 4400], ids=["5000", "-4400"])
def test_integer_past_pythons_digit_limit_is_an_error_not_a_crash(
    cli: Cli, tmp_path: Path, number: str
) -> None:
    path = tmp_path / "big.toml"
    path.write_text(f"[hypervisor.qemu]\ndefault_vcpus = {number}\n")
    for args in (("config", "show"), ("env",), ("check", "-n")):
        result = cli("--config", str(path), *args)
        assert result.exit_code == 1, (args, result.output)
        assert "out of the 64-bit range" in result.stderr, result.stderr
        assert "internal error" not in result.output
    linted = cli("config", "lint", str(path))
    assert linted.exit_code == 1 and "KATA001" in linted.stdout


def test_hex_integer_too_long_to_print_is_out_of_range_not_a_crash(
    cli: Cli, tmp_path: Path
) -> None:
    """0x + 4000 hex digits parses (power-of-two base) but has no printable decimal form."""
    path = tmp_path / "hex.toml"
    path.write_text("[hypervisor.qemu]\ndefault_maxvcpus = 0x" + "f" * 4000 + "\n")
    for args in (("config", "show"), ("env",), ("check", "-n")):
        result = cli("--config", str(path), *args)
        assert result.exit_code == 1, (args, result.output)
        assert "out of the 64-bit range" in result.stderr, result.stderr
        assert "internal error" not in result.output
