"""Find where a key is written in a TOML text (tomllib gives no positions).

A light line scanner: table headers (`[a.b]`, `[[a.b]]`, quoted parts), `key = value`
lines (bare, quoted and dotted keys), skipping the inside of multi-line strings and
arrays. Good enough to point a human at the line; the parse itself is tomllib's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*(\]\]?)\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


_BARE = re.compile(r"[A-Za-z0-9_-]+")
_BARE_KEY = re.compile(r"([A-Za-z0-9_-]+)\s*=")
_STRINGS = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'")


class KeyPosition(NamedTuple):
    """Where a table header (empty `key`) or a key is written."""

    table: tuple[str, ...]
    key: tuple[str, ...]
    line: int  # 1-based
    column: int  # 1-based
    array_table: bool = False

    @property
    def path(self) -> tuple[str, ...]:
        return self.table + self.key


def split_dotted(text: str) -> tuple[str, ...]:
    """Split a dotted TOML key (`a."b.c".d`) into its parts."""
    if '"' not in text and "'" not in text:
        return tuple(part.strip() for part in text.split("."))
    parts: list[str] = []
    current = ""
    quote: str | None = None
    for char in text:
        if quote:
            if char == quote:
                quote = None
            else:
                current += char
        elif char in "\"'":
            quote = char
        elif char == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return tuple(parts)


def scan(text: str) -> list[KeyPosition]:
    """Every table header and key line, in order (headers have an empty `key`)."""
    return list(iter_scan(text))


def iter_scan(text: str) -> Iterator[KeyPosition]:
    """`scan`, lazily: callers that need a few positions can stop early."""
    table: tuple[str, ...] = ()
    in_multiline: str | None = None
    bracket_depth = 0
    # TOML lines end at LF only (str.splitlines would also split at U+2028, U+0085, ...)
    for number, line in enumerate(text.split("\n"), start=1):
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if bracket_depth > 0:
            bracket_depth += _bracket_delta(line)
            continue
        stripped = line.lstrip()
        if not stripped or stripped[0] == "#":
            continue  # fast path: most lines of a shipped file are comments
        indent = len(line) - len(stripped)
        if stripped[0] == "[":  # no key starts with a bracket: a table header
            header = _HEADER.match(stripped)
            if header:
                table = split_dotted(header.group(2))
                yield KeyPosition(table, (), number, indent + 1, header.group(1) == "[[")
            continue
        key = _BARE_KEY.match(stripped) or _KEY.match(stripped)
        if not key:
            continue
        written = key.group(1)
        parts = (written,) if _BARE.fullmatch(written) else split_dotted(written)
        yield KeyPosition(table, parts, number, indent + 1)
        rest = stripped[key.end() :]
        if "'''" in rest or '"""' in rest:
            for marker in ('"""', "'''"):
                if rest.count(marker) % 2 == 1:
                    in_multiline = marker
                    break
            if in_multiline:
                continue
        if "[" in rest:
            bracket_depth = max(0, _bracket_delta(rest))


def _bracket_delta(text: str) -> int:
    if "[" not in text and "]" not in text:
        return 0
    cleaned = _STRINGS.sub("", text).split("#", 1)[0]
    return cleaned.count("[") - cleaned.count("]")


def find(text: str, path: tuple[str, ...]) -> KeyPosition | None:
    """The position of a key (or a table, when `path` names one) in a TOML text."""
    positions = scan(text)
    for pos in positions:
        if pos.path == path:
            return pos
    # dotted keys or headers that only share a prefix: the nearest enclosing table
    for length in range(len(path) - 1, 0, -1):
        for pos in positions:
            if pos.path == path[:length]:
                return pos
    return None
