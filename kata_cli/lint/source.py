"""A configuration file as the linter sees it: text, parse result, key positions, comments.

tomllib parses; `kata_cli.config.locate` (a line scanner) tells where each key and table
header is written. Suppression comments (`# kata-lint: disable=KATA101,KATA2`) are read
per line. Nothing here touches the file system: the caller hands in bytes.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from typing import Any

from kata_cli.config import locate, tomlread
from kata_cli.lint import fastparse
from kata_cli.record import field, record

MAX_BYTES = 4 * 1024 * 1024
_SUPPRESS = re.compile(r"kata-lint:\s*disable\s*=\s*([A-Za-z0-9_,\s]+)")
_COMMENT_LINE = re.compile(r"^[ \t]*#[^\n]*", re.MULTILINE)
# control characters other than tab, LF and CR: errors even inside comments
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


@record
class ParseProblem:
    """Why a file could not be parsed, as a syntax-family finding."""

    code: str  # rule code of the syntax family
    line: int
    column: int
    detail: str


@record(eq=False)
class SourceFile:
    """One file: its text and parse result, or the reason it could not be parsed."""

    path: str
    role: str  # "main" | "drop-in"
    text: str = ""
    bom: bool = False  # the file starts with a UTF-8 byte-order mark (not part of `text`)
    data: dict[str, Any] | None = None
    # `text` with whole-line comments blanked: same lines and columns for every key, and
    # quicker to parse and scan
    scan_text: str = ""
    problem: ParseProblem | None = None
    _positions: dict[tuple[str, ...], locate.KeyPosition] | None = field(default=None, repr=False)
    _scanner: Iterator[locate.KeyPosition] | None = field(default=None, repr=False)
    _lines: list[str] | None = field(default=None, repr=False)

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            # TOML lines end at LF (str.splitlines would also split at U+2028, U+0085, ...)
            self._lines = self.text.split("\n")
            if "\r" in self.text:
                self._lines = [line.removesuffix("\r") for line in self._lines]
        return self._lines

    def position(self, path: tuple[str, ...]) -> tuple[int, int] | None:
        """(line, column) of a key or table; for a table only implied by deeper headers or
        dotted keys (`[proxy.kata]` for `proxy`), the first of those; else the nearest
        written ancestor.

        The text is scanned lazily, only as far as the positions asked for need.
        """
        if self._positions is None:
            self._positions = {}
            self._scanner = locate.iter_scan(self.scan_text or self.text)
        found = self._scan_for(path)
        if found is None:
            width = len(path)
            inside = [p for p in self._positions.values() if p.path[:width] == path]
            if inside:
                found = min(inside, key=lambda p: p.line)
        for length in range(len(path) - 1, 0, -1):
            if found is not None:
                break
            found = self._positions.get(path[:length])
        return None if found is None else (found.line, found.column)

    def _scan_for(self, path: tuple[str, ...]) -> locate.KeyPosition | None:
        assert self._positions is not None
        found = self._positions.get(path)
        while found is None and self._scanner is not None:
            pos = next(self._scanner, None)
            if pos is None:
                self._scanner = None
                break
            self._positions.setdefault(pos.path, pos)
            if pos.path == path:
                found = pos
        return found

    def suppressed(self, line: int) -> tuple[str, ...]:
        """Codes (or code prefixes) disabled by a comment on that line."""
        if not 1 <= line <= len(self.lines):
            return ()
        comment = comment_of(self.lines[line - 1])
        if comment is None:
            return ()
        match = _SUPPRESS.search(comment)
        if not match:
            return ()
        return tuple(c.strip().upper() for c in match.group(1).split(",") if c.strip())


def comment_of(line: str) -> str | None:
    """The `# ...` part of a line, ignoring `#` inside quoted strings."""
    quote: str | None = None
    escaped = False
    for index, char in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            return line[index:]
    return None


def without_comment_lines(text: str) -> str:
    """The text with whole-line comments blanked (line numbers kept): tomllib parses shipped
    files, which are mostly comments, about twice as fast. Only when that cannot change the
    result: no multi-line strings (a `#` line inside one is content), no control characters
    and no CR (errors even in comments, unless the CR ends a CRLF line)."""
    if '"""' in text or "'''" in text or "\r" in text:
        return text
    data = text.encode("utf-8", "surrogatepass")
    if len(data.translate(None, _CONTROL_BYTES)) != len(data):
        return text
    return _COMMENT_LINE.sub("", text)


def _within_limits(data: dict[str, Any]) -> bool:
    """False when the quick parse holds what the full parser refuses (deep, huge)."""
    try:
        tomlread.check_limits(data)
    except tomllib.TOMLDecodeError:
        return False
    return True


def load_source(path: str, data: bytes, role: str = "main") -> SourceFile:
    """Decode and parse one file; problems become a `ParseProblem`, never an exception."""
    source = SourceFile(path, role)
    if len(data) > MAX_BYTES:
        source.problem = ParseProblem(
            "KATA003", 1, 1, f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB"
        )
        return source
    try:
        source.text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        detail = f"not valid UTF-8 (byte 0x{data[exc.start]:02x})"
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            detail = "encoded as UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8"
        source.problem = ParseProblem("KATA002", line, column, detail)
        return source
    if source.text.startswith("\ufeff"):
        source.text = source.text[1:]
        source.bom = True
    plain = fastparse.parse(source.text)
    if plain is not None and _within_limits(plain[0]):
        source.data = plain[0]
        source._positions = {}
        for position in plain[1]:
            source._positions.setdefault(position.path, position)
        return source
    source.scan_text = without_comment_lines(source.text)
    try:
        source.data = tomlread.loads(source.scan_text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POS.search(message)
        if match:
            line, column = int(match.group(1)), int(match.group(2))
            message = message[: match.start()].strip()
        else:
            line, column = max(1, source.text.count("\n") + 1), 1
        source.problem = ParseProblem("KATA001", line, column, message)
    except RecursionError:
        source.problem = ParseProblem("KATA001", 1, 1, "nested too deeply")
    return source
