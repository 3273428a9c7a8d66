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
    previous = _terminate_as_interrupt()
    try:
        return _funnel(body)
    finally:
        if previous is not None:
            import signal

            signal.signal(signal.SIGTERM, previous)


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
        if debug:
            raise
        sys.stderr.write(
            f"kata-cli: internal error: {type(exc).__name__}: {excerpt(str(exc))} "
            "(set KATA_CLI_DEBUG=1 for a traceback and please report it)\n"
        )
        return EXIT_FAILURE


def silence_stdout() -> None:
    """After a closed pipe: send what is still buffered for stdout nowhere."""
    try:
        from kata_cli.host import devnull_fd

        devnull = devnull_fd(os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
