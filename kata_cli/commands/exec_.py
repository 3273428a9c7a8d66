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

    \f
    Enter a sandbox's guest debug console, or run one command in it:

    ```
    kata-cli exec SANDBOX                       # interactive shell in the guest
    kata-cli exec SANDBOX -- cat /proc/mounts   # one command: its output, its exit status
    kata-cli exec SANDBOX -p 2000               # another debug console port (default 1026)
    echo 'dmesg | tail' | kata-cli exec SANDBOX # no terminal: stdin goes to the guest shell
    ```

    The guest agent must run with the debug console on (`debug_console_enabled = true` in
    `[agent.kata]`, which adds `agent.debug_console agent.debug_console_vport=1026`);
    otherwise dialling fails after 3 s with upstream's
    `rpc error: code = DeadlineExceeded desc = timed out connecting to ...` message.

    `SANDBOX` is found under both runtimes' state directories: `/run/vc/sbs/<id>` (Go
    runtime) and `/run/kata/<id>` (runtime-rs). It may be an exact id, a unique prefix (an
    ambiguous prefix lists the candidates), or a container id of a Go-runtime sandbox (when
    the name is not an exact id, a note on stderr says which sandbox was entered). `kata-cli sandbox list` shows them.

    How it connects: the shim's `/agent-url` (over `shim-monitor.sock`, 3 s timeout) gives a
    `vsock://CID:PORT` (AF_VSOCK) or `hvsock://PATH:PORT` (the hypervisor's Unix socket, with
    a `CONNECT <port>` handshake) address; the agent port is replaced by the debug port.
    When the shim socket is gone, refuses connections, or does not answer within 3 s, the
    URL saved in the sandbox's persisted state (`persist.json` `AgentState.URL`; runtime-rs
    `state.json`) is used instead, and a note says so; when that file is missing, not JSON
    or holds no URL, the error says which. A shim that answers with an error status
    (`Failure from <id> shim-monitor: 500`) is not bypassed.

    - **Interactive, on a terminal**: raw mode, restored however the session ends (guest
      closes, escape sequence, error, SIGTERM/SIGHUP/SIGINT sent to `kata-cli`). **Ctrl-]
      then `q`** (or `.`) leaves without killing the guest shell; Ctrl-] twice sends one
      Ctrl-]. Ctrl-C and Ctrl-D go to the guest.
    - **Window size.** The debug console is a bare byte pipe to a shell on a guest pty:
      there is no control channel, so the only way to set the size is to type
      ` stty rows R cols C 2>/dev/null` into the guest (leading space: kept out of bash
      history; you see it echoed). Typing into whatever the guest runs is risky (in `vi`
      those keys are commands), so `kata-cli` does it only when it is safe:
      - never when the size is what the guest already has: 80x24 (what programs assume on
        a new console) at first, then the last size typed, so an 80x24 terminal sees no
        `stty` line at all;
      - at the start, before you type anything (the agent starts a fresh shell for every
        connection);
      - after the local window changes (SIGWINCH), only once the guest's output ends in a
        shell prompt (`# ` or `$ `; not `> `, the continuation prompt) **and** your input
        line is empty (your last key was Enter or Ctrl-C). Until then the change waits, so
        resizing while an editor or pager is open is applied when you are back at the
        prompt; a prompt that ends in something else only gets the start-up size.
      - `--no-window-size` never types anything on your behalf (`stty` by hand instead).
    - **Interactive, without a terminal** (pipes, CI): stdin is sent to the guest shell,
      guest output goes to stdout; at EOF the shell gets an end-of-file (Ctrl-D) and the
      session ends when the guest closes, or after 2 s without output. A closed stdin
      (`<&-`) counts as an empty one. (`kata-runtime exec` panics here.)
    - **One command** (`-- CMD ARGS...`): the arguments are quoted for the guest shell, run
      with stdin from `/dev/null`, and only their output (stdout and stderr interleaved) is
      printed, byte for byte; the command's exit status becomes `kata-cli`'s. `--timeout`
      (default 300 s) bounds the whole exchange. The output is passed on as it arrives and
      not kept, so a command that prints forever costs no memory. Ctrl-C, SIGTERM (exit
      143) or the timeout send Ctrl-C to the guest command and end the guest shell before
      `kata-cli` exits.

    Options: `-p/--kata-debug-port N` (0 or absent: 1026), `--timeout SECONDS` (one-shot
    only), `--window-size/--no-window-size` (terminal sessions only, default on).

    Exit statuses: 0 the session ended (guest closed, escape sequence, EOF); with
    `-- CMD`, the command's status (`& 0xff`, so `exit 300` gives 44; a command killed by
    signal N gives 128+N, as the guest shell reports it); 1 an error (one line on stderr:
    bad id, no such sandbox, shim missing/refusing/silent for 3 s, no debug console after
    3 s, guest closed early, timeout); 2 a usage error; 130 interrupted (SIGINT); 143 /
    129 the session was ended by SIGTERM / SIGHUP (terminal restored first).
    """
    import sys
    import time

    from kata_cli.console.session import ESCAPE_HELP, interactive_session
    from kata_cli.errors import VerdictFailure
    from kata_cli.funnel import stdout_closed
    from kata_cli.render.terminal import err, note, stdin_is_tty
    from kata_cli.shim.agenturl import DEFAULT_DEBUG_PORT, parse_agent_url
    from kata_cli.shim.debugconsole import agent_url_for, dial_debug_console
    from kata_cli.shim.sandboxes import locate_sandbox

    # closed descriptors 0-2 already hold /dev/null (funnel.guarded): no socket lands there
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
        if stdin_is_tty():
            err(f"Connected to the debug console of sandbox {ref.id}. {ESCAPE_HELP}.")
        if not stdout_closed():
            sys.stdout.flush()
        interactive_session(sock, stdin_fd=0, stdout_fd=1, window_size=window_size)


def _write_stdout(data: bytes) -> None:
    """Guest output, byte-exact (dropped when stdout was closed: the exit status is the
    guest command's)."""
    from kata_cli.funnel import stdout_closed
    from kata_cli.render.terminal import out_bytes

    if not stdout_closed():
        out_bytes(data)
