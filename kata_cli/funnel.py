"""Where every outcome of a command becomes an exit status, with or without click.

0 ok, 1 failure, 2 usage, 130 interrupted, 143 terminated. For as long as a command
runs, SIGTERM is raised as `errors.Terminated` where Ctrl-C raises KeyboardInterrupt,
so both unwind the same way (children killed, partial outputs removed). `cli.run`
(click) and `fastpath.run` both go through `guarded`; click's own exceptions are
turned into statuses in `cli.py` before they get here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from kata_cli.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    KataError,
    Terminated,
    excerpt,
)


def guarded(body: Callable[[], int]) -> int:
    """Run `body` with SIGTERM raised as `Terminated`; every error becomes a status."""
    _guard_standard_fds()
    streams = _watch_output()
    previous = _terminate_as_interrupt()
    try:
        return _funnel(body)
    finally:
        if previous is not None:
            import signal

            signal.signal(signal.SIGTERM, previous)
        _unwatch_output(streams)


def interrupted(exc: BaseException) -> int:
    """130 after Ctrl-C, 143 after SIGTERM (click wraps either in Abort)."""
    terminated = isinstance(exc, Terminated) or isinstance(exc.__context__, Terminated)
    sys.stderr.write("terminated\n" if terminated else "interrupted\n")
    return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise Terminated


def _terminate_as_interrupt() -> Any:
    """SIGTERM raises Terminated (a KeyboardInterrupt) for as long as a command runs."""
    import signal

    try:
        return signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (an embedding caller): leave signals alone
        return None


def _funnel(body: Callable[[], int]) -> int:
    debug = os.environ.get("KATA_CLI_DEBUG") == "1"
    try:
        return body()
    except KataError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        if exc.message:
            from kata_cli.render.text import printable

            # messages quote host data (paths, values): never let them drive the terminal
            sys.stderr.write(printable(exc.one_line()) + "\n")
        return exc.exit_code
    except KeyboardInterrupt as exc:
        return interrupted(exc)
    except BrokenPipeError:
        silence_stdout()
        return EXIT_FAILURE
    except Exception as exc:
        if isinstance(exc, StdoutFailed):
            return output_failed(exc, EXIT_FAILURE)
        if debug:
            raise
        sys.stderr.write(
            f"kata-cli: internal error: {type(exc).__name__}: {excerpt(str(exc))} "
            "(set KATA_CLI_DEBUG=1 for a traceback and please report it)\n"
        )
        return EXIT_FAILURE


class StdoutFailed(OSError):
    """Standard output could not be written: a full disk, an I/O error, or closed when the
    process started (`kata-cli ... >&-`). Not a broken pipe: that is the reader's choice."""


class _Watched:
    """A standard stream for the length of a run: a write or flush that fails goes to
    `failed(stream, exc)`, which raises what the funnel reports or drops the text."""

    def __init__(self, stream: Any, failed: Callable[[Any, Exception], None]) -> None:
        self._stream = stream
        self._failed = failed

    def write(self, text: Any) -> int:
        try:
            return int(self._stream.write(text))
        except (OSError, ValueError) as exc:
            self._failed(self._stream, exc)
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError) as exc:
            self._failed(self._stream, exc)

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._stream, name)
        return _Watched(found, self._failed) if name == "buffer" else found


def _stdout_failed(_stream: Any, exc: Exception) -> None:
    """Standard output: a failed write ends the command as `StdoutFailed`, so the funnel
    names the real culprit (not "internal error"); a broken pipe stays what it is."""
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
        raise StdoutFailed(exc.errno, exc.strerror) from None
    raise exc


def _stderr_failed(stream: Any, _exc: Exception) -> None:
    """Standard error: a diagnostic that cannot be written (`2>&-`, a full disk) is lost,
    not the outcome: the command goes on and keeps its status (a usage error stays 2, a
    report with a warning is still printed)."""
    _null_onto(stream)


def stdout_closed() -> bool:
    """Whether the process started with standard output closed (`>&-`)."""
    return sys.stdout is None or isinstance(sys.stdout, _ClosedStdout)


class _ClosedStdout:
    """Standard output when the process started without one: writing to it fails with
    "Bad file descriptor", as for any program whose output was closed; a command that
    writes nothing there is not affected."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, _text: str) -> int:
        import errno

        raise StdoutFailed(errno.EBADF, os.strerror(errno.EBADF))

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _null_onto(target: Any) -> None:
    """Put /dev/null on descriptor `target` (or the stream's), so what is still buffered
    for it goes nowhere and no later flush fails on it again."""
    try:
        from kata_cli.host import devnull_fd

        fd = target if isinstance(target, int) else target.fileno()
        devnull = devnull_fd()
        if devnull != fd:
            os.dup2(devnull, fd)
            os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no descriptor: nothing to redirect
        pass


class _Discard:
    """A stream that takes everything and keeps nothing (stderr when the process started
    without one; stdout once it has failed)."""

    encoding = "utf-8"
    errors = "backslashreplace"

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def _guard_standard_fds() -> None:
    """Put /dev/null on descriptors 0-2 the process started without (`>&-`): else the
    first file or socket a command opens lands there and is taken for a standard stream
    (the `--log` file written as stdout, `exec`'s guest socket read as its own stdin)."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            _null_onto(fd)


def _watch_output() -> tuple[Any, Any] | None:
    """Watch the process's own standard output (not a caller's stand-in, e.g. a test's
    capture); a closed stdout or stderr gets a stand-in. What to restore afterwards."""
    original = (sys.stdout, sys.stderr)
    if sys.stderr is None:
        sys.stderr = _Discard()
    elif sys.stderr is sys.__stderr__:
        sys.stderr = _Watched(sys.stderr, _stderr_failed)
    if sys.stdout is None:
        sys.stdout = _ClosedStdout()
    elif sys.stdout is sys.__stdout__:
        sys.stdout = _Watched(sys.stdout, _stdout_failed)
    else:
        return None if sys.stderr is original[1] else original
    return original


def _unwatch_output(original: tuple[Any, Any] | None) -> None:
    if original is not None:
        sys.stdout, sys.stderr = original


def output_failed(exc: OSError, code: int) -> int:
    """Report that standard output could not be written; the exit status (1 unless the
    command had already failed otherwise). A broken pipe is the reader's choice: silent."""
    if isinstance(sys.stdout, _ClosedStdout):
        sys.stdout = _Discard()
    else:
        silence_stdout()
    if not isinstance(exc, BrokenPipeError):
        try:
            sys.stderr.write(f"kata-cli: cannot write standard output: {exc.strerror or exc}\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
    return code or EXIT_FAILURE


def silence_stdout() -> None:
    """After a closed pipe: send what is still buffered for stdout nowhere."""
    _null_onto(sys.stdout)
