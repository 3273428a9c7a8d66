"""JSON read from peers and host files, as RFC 8259 defines it.

Python's `json` also takes `NaN`, `Infinity` and `-Infinity` (and turns `1e999` into
infinity): such values then come back out of our own `--json` output, which no other
reader accepts as JSON. It also refuses integers of more than 4,300 digits with a message
about `sys.set_int_max_str_digits`. Here all of these are plain ValueErrors that say what
was found, like any other syntax error.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_INT_DIGITS = 4300  # Python's own limit for int(str)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _integer(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {digits} digits is out of range")
    return int(text)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def loads(text: str | bytes) -> Any:
    """Parse JSON text; ValueError when it is not JSON (RecursionError when nested deeper
    than the interpreter can follow, as `json.loads`)."""
    return json.loads(text, parse_constant=_constant, parse_int=_integer, parse_float=_number)
