"""JSON with the layout of Go's encoding/json encoder (spec 5.4).

Two-space indent, declaration order (nested structs in place), `null` for nil slices,
HTML-safe escaping (`<`, `>`, `&`, U+2028, U+2029 as \\u escapes), trailing newline.
"""

from __future__ import annotations

import json
from typing import Any

from kata_cli.record import fields, is_record


def _data(value: Any) -> Any:
    if is_record(value) and not isinstance(value, type):
        return {
            f.name: _data(getattr(value, f.name))
            for f in fields(value)
            if f.metadata.get("serialise", True)
        }
    if isinstance(value, list):
        return [_data(v) for v in value]
    return value


def dumps(value: Any) -> str:
    from kata_cli.render.text import valid_utf8

    # Go's encoder writes U+FFFD for bytes that are not UTF-8
    text = valid_utf8(json.dumps(_data(value), indent=2, ensure_ascii=False))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text + "\n"
