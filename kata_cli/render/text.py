"""Text that is safe to show: host data must never drive the terminal (or break XML).

Every renderer quotes host files, file names and configuration values through
`printable()`: control characters become visible escapes (`\\x1b`, `\\n`), tab stays.
So do the Unicode characters that reorder or break a line on display without being
control characters (bidirectional overrides and isolates, line and paragraph
separators): a node name or path holding U+202E would otherwise show its text reversed.
A byte of a file name that is not UTF-8 (held as a lone surrogate) shows as `\\udcff`:
written raw it would be invalid UTF-8, or fail to encode at all.

`valid_utf8()` / `valid_xml()` are for the machine formats (JSON, TOML, XML): there such a
byte becomes U+FFFD, as Go's encoders write it.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(
    r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def valid_utf8(text: str) -> str:
    """Text that encodes as UTF-8. A file name that is not UTF-8 reaches us with each
    foreign byte held as a lone surrogate; in JSON, TOML and XML it becomes U+FFFD, the
    character Go's encoders write for it (the text stays valid for every reader)."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def valid_xml(document: bytes) -> bytes:
    """ElementTree writes a lone surrogate as a character reference XML 1.0 forbids
    (`&#56575;`): U+FFFD instead. (A reference the text itself held is `&amp;#...;`.)"""
    return _XML_CHAR_REF.sub(_surrogate_ref, document)


_XML_CHAR_REF = re.compile(rb"&#([0-9]{5});")


def _surrogate_ref(match: re.Match[bytes]) -> bytes:
    return "\ufffd".encode() if 0xD800 <= int(match.group(1)) <= 0xDFFF else match.group(0)


def printable(text: str) -> str:
    """Text safe for a terminal line or XML 1.0: control characters as visible escapes."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def printable_lines(text: str) -> str:
    """`printable()` line by line: newlines stay, everything else that would drive the
    terminal is escaped (a peer's multi-line answer shown on a terminal)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def peer_text(text: str) -> None:
    """Print text a peer sent (a shim's metrics, iptables rules, volume statistics) as a
    result, followed by a newline as upstream prints it (even after one the body ends
    with): verbatim into a pipe or file, where scripts read it; with its control
    characters escaped on a terminal, where an escape sequence would act on the screen."""
    from kata_cli.render.terminal import out, stdout_is_tty

    if stdout_is_tty():
        text = printable_lines(text)
    out(text)
