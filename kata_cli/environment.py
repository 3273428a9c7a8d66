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
from dataclasses import dataclass, field, replace
from typing import IO, Any


def _stream_isatty(stream: IO[Any] | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (OSError, ValueError):  # closed or detached
        return False


@dataclass(frozen=True)
class Environment:
    euid: int
    environ: Mapping[str, str] = field(default_factory=dict)
    stdin_isatty: bool = False
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    clock: Callable[[], float] = time.time  # wall clock: timestamps in reports and state
    monotonic: Callable[[], float] = time.monotonic  # durations and deadlines

    @classmethod
    def from_process(cls) -> Environment:
        """The running process's view (streams as they are now: a test runner's swapped
        streams count as what they are)."""
        return cls(
            euid=os.geteuid(),
            environ=dict(os.environ),
            stdin_isatty=_stream_isatty(sys.stdin),
            stdout_isatty=_stream_isatty(sys.stdout),
            stderr_isatty=_stream_isatty(sys.stderr),
        )

    @classmethod
    def fake(cls, **values: Any) -> Environment:
        """The process's view with some values replaced (for tests)."""
        return replace(cls.from_process(), **values)

    @property
    def is_root(self) -> bool:
        return self.euid == 0

    def get(self, name: str, default: str | None = None) -> str | None:
        """An environment variable."""
        return self.environ.get(name, default)
