"""TOML with limits a hostile file cannot get past.

`tomllib.loads` accepts integers of any size (and fails with a bare ValueError past
Python's 4300-digit conversion limit) and nests as deep as the interpreter's stack
allows. The Go runtime's decoder refuses integers outside 64 bits, as the TOML
specification asks, and no Kata configuration nests more than a few levels. `loads`
refuses both with a `TOMLDecodeError` naming the line, so every caller's existing
syntax-error path reports it.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

MAX_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# integer-looking tokens, to point at the one that is out of range (best effort: the
# parser does not say where)
_INTEGER = re.compile(
    r"(?<![\w.\"'])[+-]?(?:0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[0-9][0-9_]*)(?![\w.:-])"
)
_BASES = {"0x": 16, "0o": 8, "0b": 2}


class TomlLimitError(tomllib.TOMLDecodeError):
    """Valid TOML syntax beyond what a configuration may hold (huge integer, deep nesting)."""


def loads(text: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        raise
    except ValueError:  # int() refused thousands of digits
        raise _limit("integer out of the 64-bit range", text) from None
    except RecursionError:
        raise TomlLimitError(
            f"nested too deeply (more than {MAX_DEPTH} levels of tables or arrays)"
        ) from None
    check_limits(data, text)
    return data


def check_limits(data: dict[str, Any], text: str = "") -> None:
    """Raise TomlLimitError for an integer outside 64 bits or nesting past MAX_DEPTH."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            if type(node) is int and not INT64_MIN <= node <= INT64_MAX:
                raise _limit("integer out of the 64-bit range", text)
            continue
        if depth > MAX_DEPTH:
            raise TomlLimitError(
                f"nested too deeply (more than {MAX_DEPTH} levels of tables or arrays)"
            )
        stack.extend((child, depth + 1) for child in children)


def _limit(what: str, text: str) -> TomlLimitError:
    for match in _INTEGER.finditer(text):
        if _out_of_range(match.group()):
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            return TomlLimitError(f"{what} (at line {line}, column {column})")
    return TomlLimitError(what)


def _out_of_range(token: str) -> bool:
    digits = token.lstrip("+-").replace("_", "")
    base = _BASES.get(digits[:2], 10)
    if base != 10:
        digits = digits[2:]
    digits = digits.lstrip("0")
    if len(digits) > 64:  # past any 64-bit value in every base; int() may refuse it
        return True
    value = int(digits or "0", base)
    return not INT64_MIN <= (-value if token.startswith("-") else value) <= INT64_MAX
