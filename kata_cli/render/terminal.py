"""The terminal: where text goes, and whether it may be coloured.

stdout carries results, stderr diagnostics. Colour only on a TTY and never with
`NO_COLOR` set (https://no-color.org). rich is imported only when asked for.
"""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def stream_is_tty(stream: IO[Any]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def color_enabled(stream: IO[Any]) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return stream_is_tty(stream)


def out(text: str = "", end: str = "\n") -> None:
    """Write a result line to stdout."""
    sys.stdout.write(text + end)
    sys.stdout.flush()


def out_bytes(data: bytes) -> None:
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:
        sys.stdout.write(data.decode("utf-8", "replace"))
    else:
        stream.write(data)
    sys.stdout.flush()


def err(text: str) -> None:
    """Write a diagnostic line to stderr."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def warn(text: str) -> None:
    err(f"warning: {text}")


def note(text: str) -> None:
    err(f"note: {text}")


def console(stderr: bool = False, width: int | None = None) -> Console:
    """A rich Console bound to the current stdout/stderr, honouring NO_COLOR and non-TTYs."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = stream_is_tty(stream)
    return Console(
        file=stream,
        force_terminal=tty and color_enabled(stream),
        no_color=not color_enabled(stream),
        highlight=False,
        soft_wrap=not tty,
        width=width or (None if tty else 200),
    )
