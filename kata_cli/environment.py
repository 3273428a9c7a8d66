"""What the process was started with: who runs it, its environment variables, which of
its standard streams are terminals, and its clocks.

One `Environment` is made per run (`Environment.from_process()`, in the root command or
by `Host` when none is given) and handed to the core through `Host.env`, so the core
never asks `os.geteuid()`, `os.environ` or `isatty()` itself. Tests build one with the
values they need (`Environment.fake(euid=1000)`) instead of patching the process.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import IO, Any


def _stream_isatty(stream: IO[Any] | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, OSError, ValueError):  # closed, detached, or no file at all
        return False


class Environment:
    """Read-only values (a plain class: every command makes one, and a frozen dataclass
    costs more start-up time than the whole class is worth)."""

    __slots__ = (
        "clock",
        "environ",
        "euid",
        "monotonic",
        "stderr_isatty",
        "stdin_isatty",
        "stdout_isatty",
    )

    def __init__(
        self,
        euid: int,
        environ: Mapping[str, str] | None = None,
        stdin_isatty: bool = False,
        stdout_isatty: bool = False,
        stderr_isatty: bool = False,
        clock: Callable[[], float] = time.time,  # wall clock: timestamps in reports
        monotonic: Callable[[], float] = time.monotonic,  # durations and deadlines
    ) -> None:
        self.euid = euid
        self.environ: Mapping[str, str] = dict(environ or {})
        self.stdin_isatty = stdin_isatty
        self.stdout_isatty = stdout_isatty
        self.stderr_isatty = stderr_isatty
        self.clock = clock
        self.monotonic = monotonic

    @classmethod
    def from_process(cls) -> Environment:
        """The running process's view (streams as they are now: a test runner's swapped
        streams count as what they are)."""
        return cls(
            euid=os.geteuid(),
            environ=os.environ,
            stdin_isatty=_stream_isatty(sys.stdin),
            stdout_isatty=_stream_isatty(sys.stdout),
            stderr_isatty=_stream_isatty(sys.stderr),
        )

    @classmethod
    def fake(cls, **values: Any) -> Environment:
        """The process's view with some values replaced (for tests)."""
        return cls.from_process().replace(**values)

    def replace(self, **values: Any) -> Environment:
        current = {name: getattr(self, name) for name in self.__slots__}
        return Environment(**{**current, **values})

    def __repr__(self) -> str:
        return f"Environment(euid={self.euid}, ...)"

    @property
    def is_root(self) -> bool:
        return self.euid == 0

    def get(self, name: str, default: str | None = None) -> str | None:
        """An environment variable."""
        return self.environ.get(name, default)
