"""Mechanical fixes: line-local edits that keep everything else byte for byte."""

from __future__ import annotations

import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from kata_cli.config import schema
from kata_cli.lint.engine import Options, lint_sources
from kata_cli.lint.fix import apply_edits
from kata_cli.lint.hits import Edit
from kata_cli.lint.source import load_source

from .conftest import FIXTURES

BASE = (FIXTURES / "KATA202.good.toml").read_text()
# keys both runtimes know (an rs-only key makes the fixed file a runtime-rs one)
BOOL_KEYS = sorted(
    n for n, s in schema.HYPERVISOR_KEYS.items() if s.kind == schema.BOOL and s.flavour == "both"
)


def _fix(text: str) -> str:
    result = lint_sources([load_source("c.toml", text.encode())], Options())
    return apply_edits(text, [e for e in result.edits if not e.unsafe])[0]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(BOOL_KEYS), st.data())
def test_case_fix_restores_the_canonical_key(key: str, data: st.DataObject) -> None:
    mangled = "".join(c.upper() if data.draw(st.booleans()) else c for c in key)
    line = f"{mangled} = true  # keep me"
    text = BASE.replace("default_memory = 4096", line)
    fixed = _fix(text)
    if mangled == key or f"\n{key} =" in BASE:
        assert fixed == text  # nothing to fix, or the fix would set the key twice
        return
    assert fixed == text.replace(line, f"{key} = true  # keep me")
    assert tomllib.loads(fixed)["hypervisor"]["qemu"][key] is True
    assert _fix(fixed) == fixed  # idempotent


def test_overlapping_edits_apply_once_and_deletions_win() -> None:
    text = "a = 1\nb = 2\n"
    edits = [
        Edit("f", 1, 0, 1, "x"),
        Edit("f", 1, 0, 1, "y"),
        Edit("f", 2, 0, 1, "z"),
        Edit("f", 2, 0, 5, None),
    ]
    assert apply_edits(text, edits) == ("x = 1\n", 2)


def test_crlf_line_endings_are_kept() -> None:
    text = BASE.replace("default_memory = 4096", "Default_Memory = 4096").replace("\n", "\r\n")
    fixed = _fix(text)
    assert "default_memory = 4096\r\n" in fixed
    assert fixed.count("\r\n") == text.count("\r\n")


def test_no_fix_that_would_define_a_table_twice() -> None:
    text = BASE + "\n[Runtime]\nenable_debug = true\n"
    assert _fix(text) == text
