"""A quick parser for the plain TOML Kata configuration files are written in.

Shipped files use a small part of TOML: `[table]` and `[[array.of.tables]]` headers with
bare keys, and `bare_key = value` lines whose value is a string without escapes, a
decimal integer or float, a boolean, or a one-line array of such strings and integers.
This module parses exactly that, one regular expression per line, and records where each
key and header is written on the way (what `kata_cli.config.locate` would find). Anything
else — escapes, dotted or quoted keys, inline tables, multi-line values, a key or table
set twice — makes it give up (None), and the caller parses with tomllib, the reference.
Linting 29 shipped files is about twice as fast this way; a property test holds it to
tomllib's result.
"""

from __future__ import annotations

import re
from typing import Any

from kata_cli.config.locate import KeyPosition

_STRING = r""""[^"\\\x00-\x08\x0a-\x1f\x7f]*"|'[^'\x00-\x08\x0a-\x1f\x7f]*'"""
# at most 19 digits: longer integers (beyond 64 bits) are left to the full parser's error
_INTEGER = r"[+-]?(?:0|[1-9][0-9]{0,18})"
_ITEM = rf"(?:{_STRING}|{_INTEGER})"
_LINE = re.compile(
    rf"""
    (?P<indent>[ \t]*)
    (?:
        (?P<open>\[\[?)(?P<table>[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)(?P<close>\]\]?)
      | (?P<key>[A-Za-z0-9_-]+)[ \t]*=[ \t]*
        (?P<value>
            {_STRING}
          | {_INTEGER}(?P<fraction>\.[0-9]+)?
          | true | false
          | \[[ \t]*(?:{_ITEM}[ \t]*,[ \t]*)*(?:{_ITEM}[ \t]*,?[ \t]*)?\]
        )
    )?
    [ \t]*(?:\#[^\x00-\x08\x0a-\x1f\x7f]*)?
    """,
    re.VERBOSE,
)
_ITEMS = re.compile(_ITEM)


# control characters other than tab and LF: errors anywhere, even in comments
_CONTROL = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])


def parse(text: str) -> tuple[dict[str, Any], list[KeyPosition]] | None:
    """(document, positions in order) when the text is plain TOML, else None."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data.translate(None, _CONTROL)) != len(data):
        return None  # (comment lines are skipped below unchecked)
    root: dict[str, Any] = {}
    current = root
    table: tuple[str, ...] = ()
    defined: set[int] = {id(root)}  # tables a header (or the document) defined
    arrays: set[int] = set()  # lists made by [[...]] headers (not by a value)
    positions: list[KeyPosition] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line or line[0] == "#":
            continue  # most lines of a shipped file
        match = _LINE.fullmatch(line)
        if match is None:
            return None
        indent, opening, header, closing, key, value, fraction = match.groups()
        if key is not None:
            if key in current:
                return None
            current[key] = _value(value, fraction)
            positions.append(KeyPosition(table, (key,), number, len(indent) + 1))
            continue
        if opening is None:
            continue  # blank or comment
        if len(opening) != len(closing):
            return None
        table = tuple(header.split("."))
        found = _open_table(root, table, len(opening) == 2, defined, arrays)
        if found is None:
            return None
        current = found
        positions.append(KeyPosition(table, (), number, len(indent) + 1, len(opening) == 2))
    return root, positions


def _open_table(
    root: dict[str, Any],
    path: tuple[str, ...],
    array: bool,
    defined: set[int],
    arrays: set[int],
) -> dict[str, Any] | None:
    """The table a header opens, creating what it implies; None where TOML forbids it."""
    node = root
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if isinstance(child, list) and id(child) in arrays:
            child = child[-1]  # a header below [[x]] continues x's last element
        if not isinstance(child, dict):
            return None
        node = child
    name = path[-1]
    existing = node.get(name)
    if array:
        if existing is None:
            existing = node[name] = []
            arrays.add(id(existing))
        if not isinstance(existing, list) or id(existing) not in arrays:
            return None
        element: dict[str, Any] = {}
        existing.append(element)
        defined.add(id(element))
        return element
    if existing is None:
        existing = node[name] = {}
    if not isinstance(existing, dict) or id(existing) in defined:
        return None
    defined.add(id(existing))
    return existing


def _value(text: str, fraction: str | None) -> Any:
    first = text[0]
    if first == '"' or first == "'":
        return text[1:-1]
    if first == "[":
        return [_value(item, None) for item in _ITEMS.findall(text)]
    if text == "true":
        return True
    if text == "false":
        return False
    return float(text) if fraction else int(text)
