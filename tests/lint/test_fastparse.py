"""The quick parser of plain configuration files must agree with tomllib (and with the
key scanner's positions) whenever it does not give up."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kata_cli.config import locate
from kata_cli.lint import fastparse
from kata_cli.lint.source import load_source, without_comment_lines
from tests.conftest import kata_config_files, shipped_config_params

NAMES = st.sampled_from(["a", "b", "kata", "qemu", "x-y", "k_1", "true"])
TABLES = st.lists(NAMES, min_size=1, max_size=3).map(".".join)
SCALARS = st.one_of(
    st.sampled_from(
        ['"s"', "'lit'", '""', '"a,b"', '"a\\"b"', "0", "-0", "+7", "42", "007", "1_000", "1.5"]
    ),
    st.sampled_from(["-2.25", "1.", "1e3", "true", "false", "True", "nan", '"é\t"', "'\\x'"]),
    st.integers(-(2**70), 2**70).map(str),
)
ARRAYS = st.tuples(
    st.lists(SCALARS, max_size=4), st.sampled_from([", ", ",", " ,"]), st.sampled_from(["", ","])
).map(lambda parts: "[" + parts[1].join(parts[0]) + parts[2] + "]")
LINES = st.one_of(
    TABLES.map(lambda t: f"[{t}]"),
    TABLES.map(lambda t: f"[[{t}]]"),
    TABLES.map(lambda t: f"[ {t} ]"),
    st.tuples(NAMES, st.one_of(SCALARS, ARRAYS)).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.tuples(NAMES, SCALARS).map(lambda kv: f"  {kv[0]}={kv[1]}  # c"),
    st.tuples(NAMES, NAMES, SCALARS).map(lambda kv: f"{kv[0]}.{kv[1]} = {kv[2]}"),
    st.sampled_from(
        ["", "# comment", "   ", "\t# x", "[a]]", "[[a]", "x = [", '"]', "a = {b = 1}"]
    ),
    st.sampled_from(["# \x01", "#\r", "a = 1\r", '# """', "a = '''x'''", "\u2028", "# \u2028"]),
)


def _tomllib(text: str) -> object:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return "error"


@settings(max_examples=400, deadline=None)
@given(st.lists(LINES, max_size=14))
def test_agrees_with_tomllib_whenever_it_answers(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    expected = _tomllib(text)
    parsed = fastparse.parse(text)
    if parsed is None:
        return
    assert parsed[0] == expected
    assert parsed[1] == locate.scan(text)


@pytest.mark.parametrize("path", shipped_config_params(kata_config_files()))
def test_every_shipped_file_takes_the_quick_path(path: Path) -> None:
    text = path.read_text()
    parsed = fastparse.parse(text)
    assert parsed is not None
    assert parsed[0] == tomllib.loads(text)
    assert parsed[1] == locate.scan(text) == locate.scan(without_comment_lines(text))


@pytest.mark.parametrize(
    "text",
    [
        "[a]\n[a]\n",
        "a = 1\na = 2\n",
        "[a]\nb = 1\n[a.b]\n",
        "[[a]]\n[a]\n",
        "[a]\n[[a]]\n",
        "a = [1]\n[[a]]\n",
        'a = "x\\"y"\n',
        "a = 1_000\n",
        "a.b = 1\n",
        "a = {b = 1}\n",
        "a = [\n1]\n",
    ],
)
def test_gives_up_on_what_it_does_not_handle(text: str) -> None:
    assert fastparse.parse(text) is None
    # ... and the linter still gets tomllib's verdict
    source = load_source("c.toml", text.encode())
    assert (source.data is None) == (_tomllib(text) == "error")


def test_array_of_tables_and_implicit_tables() -> None:
    text = "[[h.q.ext]]\nname = 'a'\n[h.q.ext.sub]\nx = 1\n[[h.q.ext]]\nname = 'b'\n[h]\ny = 2\n"
    parsed = fastparse.parse(text)
    assert parsed is not None
    assert parsed[0] == tomllib.loads(text)
    assert parsed[1] == locate.scan(text)
