"""Bad input never crashes the linter: a finding or a clear error, never a traceback."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kata_cli.lint.engine import lint_text
from kata_cli.lint.model import SEVERITIES
from kata_cli.lint.source import MAX_BYTES, without_comment_lines
from tests.conftest import Cli

from .conftest import FIXTURES

SEED = (FIXTURES / "KATA202.good.toml").read_text() + (FIXTURES / "KATA410.bad.toml").read_text()
KEYS = [
    "default_memory",
    "Default_Memory",
    "image",
    "initrd",
    "shared_fs",
    "dial_timeout_ms",
    "enable_annotations",
    "kernel_verity_params",
    "hypervisor_name",
    "@X@",
    "a.b.c",
]
VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True).map(lambda f: repr(f).replace("inf", "inf").lower()),
    st.text(max_size=20).map(lambda s: '"' + s.replace("\\", "").replace('"', "") + '"'),
    st.sampled_from(
        ["true", "false", "[]", '["^a$", "b("]', "{ a = 1 }", "[[1], [2]]", '"""\nx\n"""']
    ),
)
LINES = st.one_of(
    st.tuples(st.sampled_from(KEYS), VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.sampled_from(
        [
            "[hypervisor.qemu]",
            "[hypervisor.clh]",
            "[agent.kata]",
            "[runtime]",
            "[[hypervisor.qemu.guest_extension_images]]",
            "[factory]",
            "[Runtime]",
            "# kata-lint: disable=KATA2",
            "[hypervisor.qemu.factory]",
            "[",
            "]]",
        ]
    ),
    st.text(max_size=30),
)


def _check(findings: list) -> None:
    for finding in findings:
        assert finding.severity in SEVERITIES
        assert finding.line >= 1 and finding.column >= 1
        assert finding.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, max_size=25), st.sampled_from([None, "go", "rs"]))
def test_generated_toml_never_crashes(lines: list[str], flavour: str | None) -> None:
    _check(lint_text("\n".join(lines) + "\n", flavour=flavour))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_configuration_never_crashes(data: st.DataObject) -> None:
    raw = bytearray(SEED.encode())
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if action == "flip":
            raw[position] = data.draw(st.integers(0, 255))
        elif action == "delete":
            del raw[position : position + data.draw(st.integers(1, 40))]
        elif action == "insert":
            raw[position:position] = data.draw(st.binary(max_size=10))
        else:
            del raw[position:]
        if not raw:
            raw = bytearray(b"x")
    _check(lint_text(bytes(raw)))


def test_binary_garbage_and_encodings() -> None:
    garbage = bytes(range(256)) * 4
    assert {f.code for f in lint_text(garbage)} == {"KATA002"}
    latin1 = SEED.replace("tcfilter", "tcfiltér").encode("latin-1")
    (finding,) = lint_text(latin1)
    assert finding.code == "KATA002"
    assert finding.line == SEED.splitlines().index('internetworking_model = "tcfilter"') + 1
    utf16 = SEED.encode("utf-16")
    assert [f.code for f in lint_text(utf16)] in (["KATA001"], ["KATA002"])


def test_truncated_file_points_at_the_end() -> None:
    text = '[hypervisor.qemu]\npath = "/opt/kata/bin/qe'
    (finding,) = lint_text(text)
    assert finding.code == "KATA001"
    assert finding.line == 2


def test_deep_nesting() -> None:
    deep_array = "x = " + "[" * 5000 + "]" * 5000 + "\n"
    assert [f.code for f in lint_text(deep_array)] == ["KATA001"]
    deep_tables = "[" + ".".join(f"t{i}" for i in range(3000)) + "]\nk = 1\n"
    findings = lint_text(deep_tables)
    assert findings and all(f.line >= 1 for f in findings)


def test_huge_file_is_refused_without_parsing() -> None:
    findings = lint_text(b"# " + b"x" * MAX_BYTES + b"\n")
    assert [f.code for f in findings] == ["KATA003"]


def test_cli_on_garbage_and_missing_files(cli: Cli, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.toml"
    garbage.write_bytes(b"\x00\xff\xfe[[[\x80")
    result = cli("config", "lint", str(garbage), str(tmp_path / "missing.toml"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "KATA002" in result.stdout
    assert "missing.toml:1:1: KATA003 [error] cannot read file:" in result.stdout


def _outcome(text: str) -> object:
    try:
        # floats as text: nan != nan would make equal parses look different
        return tomllib.loads(text, parse_float=str)
    except tomllib.TOMLDecodeError as exc:
        return type(exc)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            LINES, st.sampled_from(["# c", " \t# c", "\u00a0# c", "#\x01", '"""', "x = '''"])
        ),
        max_size=20,
    )
)
def test_blanking_comment_lines_never_changes_the_parse(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    assert _outcome(without_comment_lines(text)) == _outcome(text)


@pytest.mark.parametrize("blocks", ["9" * 5000, "\u00b2"], ids=["5000-digits", "superscript"])
def test_verity_numbers_int_cannot_convert_are_malformed_not_a_crash(blocks: str) -> None:
    from kata_cli.lint.rules.consistency import verity_problem

    params = f"root_hash=ab,salt=cd,data_blocks={blocks},data_block_size=4096,hash_block_size=4096"
    assert verity_problem(params) == "data_blocks must be a positive integer"
