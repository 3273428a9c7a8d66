"""Apply mechanical fixes to a file's text: line-local edits, comments and layout kept."""

from __future__ import annotations

from collections.abc import Iterable

from kata_cli.lint.hits import Edit


def apply_edits(text: str, edits: Iterable[Edit]) -> tuple[str, int]:
    """The text with the edits applied (overlapping edits: the first wins) and their count."""
    # TOML lines end at LF only, like the positions the edits were made from
    lines = [part + "\n" for part in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    by_line: dict[int, list[Edit]] = {}
    for edit in edits:
        if 1 <= edit.line <= len(lines):
            by_line.setdefault(edit.line, []).append(edit)
    applied = 0
    for number, line_edits in by_line.items():
        original = lines[number - 1]
        body = original.rstrip("\r\n")
        ending = original[len(body) :]
        if any(e.replacement is None for e in line_edits):
            lines[number - 1] = ""
            applied += 1
            continue
        taken: list[Edit] = []
        for edit in sorted(line_edits, key=lambda e: (e.start, e.end)):
            if taken and edit.start < taken[-1].end:
                continue
            taken.append(edit)
        for edit in reversed(taken):
            body = body[: edit.start] + (edit.replacement or "") + body[edit.end :]
        lines[number - 1] = body + ending
        applied += len(taken)
    return "".join(lines), applied


def unified_diff(path: str, before: str, after: str) -> str:
    import difflib

    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{path.lstrip('/')}",
            tofile=f"b/{path.lstrip('/')}",
        )
    )
