"""What a lint rule's check yields: a `Hit` (a key path or an explicit position, and the
message arguments), optionally carrying an `Edit` that fixes it.

A leaf module: `LintContext` builds hits, `Rule` checks yield them, the engine turns them
into findings; none of that is imported here.
"""

from __future__ import annotations

from typing import Any

from kata_cli.record import field, record


@record
class Edit:
    """A mechanical fix: replace `line[start:end]` (0-based columns) of one file's line.

    `replacement=None` deletes the whole line. `unsafe` edits (e.g. removing a
    placeholder line) are applied only when the user asks for them explicitly.
    """

    file: str
    line: int  # 1-based
    start: int
    end: int
    replacement: str | None
    unsafe: bool = False


@record
class Hit:
    """A rule's raw result: a key path in the merged document (or an explicit position)."""

    path: tuple[str, ...] = ()
    args: dict[str, Any] = field(default_factory=dict)
    file: str | None = None
    line: int | None = None
    column: int | None = None
    edit: Edit | None = None
