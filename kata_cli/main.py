"""The process entry point of `kata-cli` and `python -m kata_cli`.

`--version` (or `-v`) alone is answered here, before click, `typing` and the command
table are imported: scripts and installers call it to probe for the tool, so it should
cost little more than starting Python. Everything else goes to `kata_cli.cli.run`, the
one place where errors become exit statuses.

A finished command leaves through `_exit`: once the output is flushed and the `atexit`
handlers have run (log handlers, temporary directories), tearing down every module and
class of the command tree only costs time (about a fifth of a `check` run), so the
process ends there, unless another thread is still running.
"""

import sys

VERSION_ARGS = (["--version"], ["-v"])


def main() -> None:
    args = sys.argv[1:]
    if args in VERSION_ARGS and _print_version():
        sys.exit(0)
    from kata_cli.cli import run

    _exit(run())


def _exit(code: int) -> None:
    """Exit with `code`, skipping the interpreter's teardown when that changes nothing
    observable: stdout and stderr flushed, `atexit` handlers run, no other thread alive."""
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        sys.exit(code)  # a non-daemon thread may still be working: the usual exit joins it
    try:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
    except Exception:
        sys.exit(code)  # e.g. a closed pipe: the usual exit reports it as it always has
    import atexit
    import os

    atexit._run_exitfuncs()
    os._exit(code)


def _print_version() -> bool:
    """Print the version block; False when that failed (the full CLI then reports it)."""
    from kata_cli.version import version_text

    try:
        sys.stdout.write(version_text())
        sys.stdout.flush()
    except Exception:
        return False
    return True
