"""Text that is safe to show: host data must never drive the terminal (or break XML).

Every renderer quotes host files, file names and configuration values through
`printable()`: control characters become visible escapes (`\\x1b`, `\\n`), tab stays.
So do the Unicode characters that reorder or break a line on display without being
control characters (bidirectional overrides and isolates, line and paragraph
separators): a node name or path holding U+202E would otherwise show its text reversed.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text safe for a terminal line or XML 1.0: control characters as visible escapes."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def printable_lines(text: str) -> str:
    """`printable()` line by line: newlines stay, everything else that would drive the
    terminal is escaped (a peer's multi-line answer shown on a terminal)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def peer_text(text: str) -> None:
    """Print text a peer sent (a shim's metrics, iptables rules, volume statistics) as a
    result: verbatim into a pipe or file, where scripts read it; with its control
    characters escaped on a terminal, where an escape sequence would act on the screen."""
    from kata_cli.render.terminal import out, stdout_is_tty

    if stdout_is_tty():
        text = printable_lines(text)
    out(text, end="" if text.endswith("\n") else "\n")
