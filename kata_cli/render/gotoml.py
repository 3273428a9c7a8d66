"""A TOML emitter with the layout of Go's BurntSushi/toml v1.6 encoder (spec 5.3).

The layout is a contract (kata-collect-data and other scripts grep it): scalar keys
first, indented two spaces per nesting level; then nested tables in declaration order
as indented `[Parent.Child]` headers; a blank line before each top-level table but the
first and before each array-of-tables entry; nil slices (None) omitted.
"""

from __future__ import annotations

from typing import Any

from kata_cli.record import fields, is_record


def _fields(obj: Any) -> list[tuple[str, Any]]:
    return [
        (f.name, getattr(obj, f.name)) for f in fields(obj) if f.metadata.get("serialise", True)
    ]


def _is_table(value: Any) -> bool:
    return is_record(value) and not isinstance(value, type)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_table(v) for v in value)


# TOML's short escapes; the other control characters become \uXXXX
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\b": "\\b",
    "\f": "\\f",
}


def quote(text: str) -> str:
    from kata_cli.render.text import valid_utf8

    text = valid_utf8(text)  # BurntSushi writes U+FFFD for bytes that are not UTF-8
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} as a TOML value")


def dumps(document: Any) -> str:
    lines: list[str] = []
    _table(document, (), lines)
    text = "\n".join(lines)
    return text.lstrip("\n") + "\n"


def _table(obj: Any, path: tuple[str, ...], lines: list[str]) -> None:
    depth = len(path)
    indent = "  " * max(depth - 1, 0)
    key_indent = "  " * depth if depth else ""
    items = _fields(obj)
    for name, value in items:
        if value is None or _is_table(value) or _is_table_array(value):
            continue
        lines.append(f"{key_indent}{name} = {scalar(value)}")
    for name, value in items:
        if _is_table(value):
            child = (*path, name)
            if depth == 0:
                lines.append("")
            lines.append(f"{'  ' * depth}[{'.'.join(child)}]")
            _table(value, child, lines)
        elif _is_table_array(value):
            child = (*path, name)
            for entry in value:
                lines.append("")
                lines.append(f"{'  ' * depth}[[{'.'.join(child)}]]")
                _table(entry, child, lines)
    del indent
