"""Findings point at the key, the value, or the array entry that is wrong."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize(
    ("text", "code", "rest", "whole"),
    [
        pytest.param(
            BASE.replace(
                "default_memory = 4096",
                'enable_annotations = [\n  "^kernel_params$",\n  "enable_iommu",  # legacy\n]',
            ),
            "KATA604",
            '"enable_iommu"',
            False,
            id="array-entry-on-a-continuation-line",
        ),
        pytest.param(
            BASE + "\n[hypervisor.qemu.extra]\nfoo = 1\n",
            "KATA201",
            "[hypervisor.qemu.extra]",
            True,
            id="key-in-a-dotted-table-header",
        ),
        pytest.param(
            BASE.replace("default_memory = 4096", 'firmware = "/opt/@PREFIX@/fw.bin"'),
            "KATA601",
            "@PREFIX@",
            False,
            id="placeholder-column",
        ),
        pytest.param(
            BASE + '\n[proxy.kata]\npath = "/usr/libexec/kata-proxy"\n',
            "KATA201",
            "[proxy.kata]",
            True,
            id="table-only-written-as-a-deeper-header",
        ),
    ],
)
def test_finding_points_at(text: str, code: str, rest: str, whole: bool) -> None:
    """`rest`: what the line holds from the finding's column on (all of it when `whole`)."""
    _line, _column, found = _at(text, code)
    if whole:
        assert found == rest
    else:
        assert found.startswith(rest), found
