"""Findings point at the key, the value, or the array entry that is wrong."""

from __future__ import annotations

from kata_cli.lint.engine import lint_text

from .conftest import FIXTURES

BASE = (FIXTURES / "KATA202.good.toml").read_text()


def _at(text: str, code: str) -> tuple[int, int, str]:
    (finding,) = [f for f in lint_text(text) if f.code == code]
    line = text.splitlines()[finding.line - 1]
    return finding.line, finding.column, line[finding.column - 1 :]


def test_enum_finding_points_at_the_value() -> None:
    text = BASE.replace("default_memory = 4096", 'block_device_aio = "posix"')
    line, _column, rest = _at(text, "KATA301")
    assert rest == '"posix"'
    assert text.splitlines()[line - 1].startswith("block_device_aio")


def test_array_entry_on_a_continuation_line() -> None:
    text = BASE.replace(
        "default_memory = 4096",
        'enable_annotations = [\n  "^kernel_params$",\n  "enable_iommu",  # legacy\n]',
    )
    _line, _column, rest = _at(text, "KATA604")
    assert rest.startswith('"enable_iommu"')


def test_key_in_a_dotted_table_header() -> None:
    text = BASE + "\n[hypervisor.qemu.extra]\nfoo = 1\n"
    _line, _column, rest = _at(text, "KATA201")
    assert rest == "[hypervisor.qemu.extra]"


def test_placeholder_column() -> None:
    text = BASE.replace("default_memory = 4096", 'firmware = "/opt/@PREFIX@/fw.bin"')
    _line, _column, rest = _at(text, "KATA601")
    assert rest.startswith("@PREFIX@")


def test_table_only_written_as_a_deeper_header() -> None:
    text = BASE + '\n[proxy.kata]\npath = "/usr/libexec/kata-proxy"\n'
    _line, _column, rest = _at(text, "KATA201")
    assert rest == "[proxy.kata]"
