"""A small Markdown well-formedness checker for collect-data reports."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^(`{3,})(.*)$")


def assert_well_formed(text: str) -> None:
    """Fences open and close in pairs; <details> nest and balance outside fences."""
    fence: str | None = None
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence = match.group(1)
                continue
            depth += line.count("<details>") - line.count("</details>")
            assert depth >= 0, f"line {number}: </details> without <details>"
        elif match and match.group(1) == fence and not match.group(2).strip():
            fence = None
    assert fence is None, "a code fence is never closed"
    assert depth == 0, f"{depth} <details> left open"
    assert text.startswith("<details>") and text.rstrip().endswith("</details>")
