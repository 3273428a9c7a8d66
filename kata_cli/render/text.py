"""Text that is safe to show: host data must never drive the terminal (or break XML).

Every renderer quotes host files, file names and configuration values through
`printable()`: control characters become visible escapes (`\\x1b`, `\\n`), tab stays.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text safe for a terminal line or XML 1.0: control characters as visible escapes."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
