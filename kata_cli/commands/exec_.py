"""`kata-cli exec`: enter a sandbox's guest debug console, or run one command in it."""

from __future__ import annotations

import click

from kata_cli.appctx import AppContext
from kata_cli.commands import completers
from kata_cli.commands.options import Seconds, pass_app

MAX_PORT = 0xFFFFFFFF


@click.command(name="exec")
@click.argument("sandbox_id", required=False, default="", shell_complete=completers.sandbox_ids)
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "-p",
    "--kata-debug-port",
    type=click.IntRange(0, MAX_PORT),
    default=0,
    show_default=True,
    help="Guest debug console vsock port (0: 1026).",
)
@click.option(
    "--timeout",
    type=Seconds(0.1),
    default=300.0,
    show_default=True,
    help="Seconds a one-shot command may take, shell start included.",
)
@click.option(
    "--window-size/--no-window-size",
    default=True,
    show_default=True,
    help="Type `stty rows R cols C` into the guest shell (the guest echoes it) when the "
    "terminal is not 80x24: at start and, after a resize, once the shell is idle at a "
    "prompt (interactive terminal sessions only).",
)
@pass_app
def exec_(
    app: AppContext,
    sandbox_id: str,
    command: tuple[str, ...],
    kata_debug_port: int,
    timeout: float,
    window_size: bool,
) -> None:
    """Enter the guest debug console of SANDBOX_ID, or run `-- CMD ARGS...` in it.

    SANDBOX_ID may be a unique prefix, found under /run/vc/sbs (Go runtime) and
    /run/kata (runtime-rs), or a container id of a Go-runtime sandbox. The guest
    agent must run with debug_console_enabled = true.

    Interactive on a terminal: Ctrl-] then q leaves (the guest shell is not killed).
    Without a terminal, stdin is sent to the guest shell and EOF ends the session.
    With a command, only its output is printed and its exit status becomes ours.
    """
    import sys
    import time

    from kata_cli.console.session import ESCAPE_HELP, guard_standard_fds, interactive_session
    from kata_cli.errors import VerdictFailure
    from kata_cli.render.terminal import err, note, stream_is_tty
    from kata_cli.shim.agenturl import DEFAULT_DEBUG_PORT, parse_agent_url
    from kata_cli.shim.debugconsole import agent_url_for, dial_debug_console
    from kata_cli.shim.sandboxes import locate_sandbox

    guard_standard_fds()  # before any socket exists: none may land on fds 0-2
    host = app.host
    ref = locate_sandbox(host, sandbox_id)
    if ref.container:
        note(f"{ref.container} is a container of sandbox {ref.id}; entering sandbox {ref.id}")
    elif ref.id != sandbox_id:
        note(f"entering sandbox {ref.id}")
    source = agent_url_for(host, ref)
    if source.notice:
        note(source.notice)
    url = parse_agent_url(source.url)
    port = kata_debug_port or DEFAULT_DEBUG_PORT
    sock = dial_debug_console(host, url, port, deadline=time.monotonic() + 3.0)
    with sock:
        if command:
            from kata_cli.console.oneshot import run_oneshot

            _, status = run_oneshot(sock, list(command), timeout=timeout, on_output=_write_stdout)
            if status != 0:
                raise VerdictFailure("", exit_code=status & 0xFF)
            return
        if stream_is_tty(sys.stdin):
            err(f"Connected to the debug console of sandbox {ref.id}. {ESCAPE_HELP}.")
        if sys.stdout is not None:
            sys.stdout.flush()
        interactive_session(sock, stdin_fd=0, stdout_fd=1, window_size=window_size)


def _write_stdout(data: bytes) -> None:
    """Guest output, byte-exact (dropped when stdout was closed: sys.stdout is None)."""
    import sys

    from kata_cli.render.terminal import out_bytes

    if sys.stdout is not None:
        out_bytes(data)
