"""The process entry point of `kata-cli` and `python -m kata_cli`.

`--version` (or `-v`) alone is answered here, before click, `typing` and the command
table are imported: scripts and installers call it to probe for the tool, so it should
cost little more than starting Python. The everyday spellings of `check` and `env` run
through `kata_cli.fastpath`, also without click; everything else goes to
`kata_cli.cli.run`. Both end in `kata_cli.funnel`, where errors become exit statuses.

A finished command leaves through `_exit`: once the output is flushed and the `atexit`
handlers have run (log handlers, temporary directories), tearing down every module and
class of the command tree only costs time (about a fifth of a `check` run), so the
process ends there, unless another thread is still running.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not `typing`'s: importing typing costs more than --version itself
if TYPE_CHECKING:
    from kata_cli.environment import Environment
    from kata_cli.host import Host

VERSION_ARGS = (["--version"], ["-v"])


def main() -> None:
    args = sys.argv[1:]
    try:
        reconfigure = getattr(sys.stdout, "reconfigure", None)
        if reconfigure is not None and getattr(sys.stdout, "errors", "") == "strict":
            # a text no renderer escaped (a file name that is not UTF-8) prints as \udcff
            # rather than ending the run with UnicodeEncodeError
            reconfigure(errors="backslashreplace")
        if args in VERSION_ARGS and _print_version():
            sys.exit(0)
        code = dispatch(args)
    except KeyboardInterrupt:  # Ctrl-C before a command runs (while importing)
        import os

        if sys.stderr is not None:
            sys.stderr.write("\ninterrupted\n")
            sys.stderr.flush()
        os._exit(130)
    _exit(code)


def dispatch(
    args: list[str], env: Environment | None = None, host_type: type[Host] | None = None
) -> int:
    """Run `args` through the fast path when it understands them, else through click;
    the exit status. `env` and `host_type` stand in for the process's environment and
    for `Host` (tests)."""
    from kata_cli import fastpath

    code = fastpath.run(args, env, host_type)
    if code is None:
        from kata_cli.cli import run

        code = run(args, env=env, host_type=host_type)
    return code


def _exit(code: int) -> None:
    """Exit with `code`, skipping the interpreter's teardown when that changes nothing
    observable: stdout and stderr flushed, `atexit` handlers run, no other thread alive.
    Output that cannot be written (a full disk, a closed pipe) is reported here as in
    the run itself: one line, status 1 (silently for a closed pipe)."""
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        sys.exit(code)  # a non-daemon thread may still be working: the usual exit joins it
    try:
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
    except OSError as exc:
        from kata_cli.funnel import output_failed

        code = output_failed(exc, code)
    except Exception:
        sys.exit(code)
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
