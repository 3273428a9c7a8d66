"""Stable JSON output: dataclasses become objects, declaration order kept, newline at the end."""

from __future__ import annotations

import json
from typing import Any

from kata_cli.record import fields, is_record


def to_data(value: Any) -> Any:
    if is_record(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(v) for v in value]
    return value


def dumps(value: Any, indent: int | None = 2) -> str:
    return json_text(to_data(value), indent=indent) + "\n"


def json_text(data: Any, **options: Any) -> str:
    """`json.dumps` as every JSON output writes it: UTF-8 text (`valid_utf8`), not ASCII
    escapes; a foreign byte of a file name is U+FFFD."""
    from kata_cli.render.text import valid_utf8

    return valid_utf8(json.dumps(data, ensure_ascii=False, **options))
