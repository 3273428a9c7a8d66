"""The terminal: where text goes, and whether it may be coloured.

stdout carries results, stderr diagnostics. Colour only on a TTY and never with
`NO_COLOR` set (https://no-color.org). Which streams are terminals and which variables
are set come from the `Environment` the command runs with: the CLI hands it in once per
run (`use_environment`); without one (a library caller), from the process as it is.
rich is imported only when asked for.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from kata_cli.environment import Environment

if TYPE_CHECKING:
    from rich.console import Console

_handed: Environment | None = None


def use_environment(env: Environment | None) -> Environment | None:
    """Render for `env` from now on (None: the process as it is); returns the one it
    replaces, for the caller to hand back when its run ends."""
    global _handed
    previous, _handed = _handed, env
    return previous


def environment() -> Environment:
    """The environment output is rendered for."""
    return _handed if _handed is not None else Environment.from_process()


def stdin_is_tty() -> bool:
    return environment().stdin_isatty


def stdout_is_tty() -> bool:
    return environment().stdout_isatty


def stderr_is_tty() -> bool:
    return environment().stderr_isatty


def color_enabled(stderr: bool = False) -> bool:
    """May stdout (or stderr) be coloured: a terminal, no (non-empty) NO_COLOR, no dumb TERM."""
    env = environment()
    if env.get("NO_COLOR"):
        return False
    if env.get("TERM") == "dumb":
        return False
    return env.stderr_isatty if stderr else env.stdout_isatty


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

    env = environment()
    tty = env.stderr_isatty if stderr else env.stdout_isatty
    color = color_enabled(stderr)
    return Console(
        file=sys.stderr if stderr else sys.stdout,
        force_terminal=tty and color,
        no_color=not color,
        highlight=False,
        soft_wrap=not tty,
        width=width or (None if tty else 200),
        _environ=env.environ,  # rich's own look-ups (COLUMNS, TERM) read the same variables
    )
