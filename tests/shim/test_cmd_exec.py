"""`kata-cli exec` (spec 7 and spec 14, cases 16-18)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest

from tests.console.conftest import echo_guest, shell_guest
from tests.processes import reaped

from .conftest import refusing_socket

HVSOCK = "/run/vc/vm/abc/kata.hvsock"
BAD_ID = 'invalid container/sandbox ID (should match "^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")\n'


@pytest.fixture
def kexec(cli, fake_host):
    def run(*args, **kwargs):
        return cli("--host-root", str(fake_host.root), "exec", *args, **kwargs)

    return run


@pytest.fixture
def guest(fake_host, shim, hybrid_vsock):
    """Sandbox `abc` (Go layout) whose shim points at a hybrid vsock with a real shell."""

    def make(handler=None, reply=b"OK 1073741824\n", dialect="go", sandbox="abc"):
        from .conftest import SANDBOX_DIRS

        server = shim(sandbox, dialect).reply("/agent-url", f"hvsock://{HVSOCK}:1024\n")
        assert SANDBOX_DIRS[dialect]
        return server, hybrid_vsock(handler, reply, path=fake_host.local(HVSOCK))

    return make


def test_bad_and_blank_ids_case_16(kexec):
    assert (kexec("x").exit_code, kexec("x").stderr) == (1, BAD_ID)
    blank = kexec()
    assert (blank.exit_code, blank.stderr) == (1, "ID cannot be blank\n")


def test_no_sockets_case_16(kexec):
    result = kexec("abc")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "it fails to stat both /run/vc/sbs/abc/shim-monitor.sock and "
        "/run/kata/abc/shim-monitor.sock with error stat /run/kata/abc/shim-monitor.sock: "
        "no such file or directory"
    )


def test_agent_url_failure_case_16(kexec, shim):
    shim("abc").reply("/agent-url", "oops", 500)
    result = kexec("abc")
    assert (result.exit_code, result.stderr) == (1, "Failure from abc shim-monitor: 500\n")


def test_one_shot_against_real_shell_case_17_18(kexec, guest):
    _, hv = guest(shell_guest)
    result = kexec("abc", "--", "sh", "-c", "echo one; echo two; exit 42")
    assert result.stdout == "one\ntwo\n"
    assert result.exit_code == 42
    assert result.stderr == ""
    assert hv.connect_lines == [b"CONNECT 1026\n"]


def test_one_shot_success_and_debug_port(kexec, guest):
    _, hv = guest(shell_guest)
    result = kexec("--kata-debug-port", "2000", "abc", "--", "printf", "%s", "no-newline")
    assert (result.exit_code, result.stdout) == (0, "no-newline")
    assert hv.connect_lines == [b"CONNECT 2000\n"]


def test_handshake_never_ok_times_out_case_17(kexec, guest):
    _, hv = guest(reply=b"NOPE\n")
    start = time.monotonic()
    result = kexec("-p", "2000", "abc", "--", "true")
    elapsed = time.monotonic() - start
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "rpc error: code = DeadlineExceeded desc = timed out connecting to hybrid vsocket "
        f"hvsock:{HVSOCK}:2000"
    )
    # it kept retrying (every attempt was refused) until its 3 s dial deadline, which
    # starts after `start`; the upper bound only catches a hang
    assert len(hv.connect_lines) >= 2
    assert 3.0 <= elapsed < 60


def test_vsock_url_dials_cid_and_debug_port_case_17(kexec, shim, monkeypatch):
    shim("abc").reply("/agent-url", "vsock://3:1024")
    dialed = []

    def fake_connect(cid, port, *, deadline):
        dialed.append((cid, port))
        from kata_cli.errors import KataError

        raise KataError("stop here")

    monkeypatch.setattr("kata_cli.console.vsock.connect_vsock", fake_connect)
    result = kexec("abc")
    assert result.stderr == "stop here\n"
    assert dialed == [(3, 1026)]


def test_remote_scheme_case_17(kexec, shim):
    shim("abc").reply("/agent-url", "remote:///x")
    result = kexec("abc")
    assert result.exit_code == 1
    assert result.stderr.startswith("schema remote not found")


def test_dead_shim_falls_back_to_persist_json(kexec, fake_host, hybrid_vsock):
    fake_host.file(
        "/run/vc/sbs/abc/persist.json", f'{{"AgentState":{{"URL":"hvsock://{HVSOCK}:1024"}}}}'
    )
    hybrid_vsock(shell_guest, path=fake_host.local(HVSOCK))
    with refusing_socket(fake_host.local("/run/vc/sbs/abc/shim-monitor.sock")):
        result = kexec("abc", "--", "echo", "fallback")
    assert (result.exit_code, result.stdout) == (0, "fallback\n")
    assert "using the agent URL saved in /run/vc/sbs/abc/persist.json" in result.stderr


def test_dead_shim_without_state_says_so(kexec, fake_host):
    with refusing_socket(fake_host.local("/run/vc/sbs/abc/shim-monitor.sock")):
        result = kexec("abc", "--", "true")
    assert result.exit_code == 1
    assert "connection refused" in result.stderr
    assert (
        "no agent URL to fall back on: /run/vc/sbs/abc/persist.json does not exist" in result.stderr
    )


def test_hung_shim_falls_back(fake_host, shim, hybrid_vsock):
    from kata_cli.shim.debugconsole import agent_url_for
    from kata_cli.shim.sandboxes import SandboxRef

    shim("abc").hang("/agent-url")
    fake_host.file("/run/vc/sbs/abc/persist.json", '{"AgentState":{"URL":"vsock://9:1024"}}')
    source = agent_url_for(fake_host.host, SandboxRef("abc", "go"), timeout=0.3)
    assert source.url == "vsock://9:1024"
    assert "did not answer" in (source.notice or "")


def test_container_id_enters_its_sandbox(kexec, fake_host, guest):
    guest(shell_guest)
    fake_host.file("/run/vc/sbs/abc/ctr1/persist.json", "{}")
    result = kexec("ctr1", "--", "echo", "in")
    assert (result.exit_code, result.stdout) == (0, "in\n")
    assert "ctr1 is a container of sandbox abc; entering sandbox abc" in result.stderr


def test_runtime_rs_prefix(kexec, guest):
    guest(shell_guest, dialect="rs", sandbox="abcdef0123")
    result = kexec("abcd", "--", "echo", "rs")
    assert (result.exit_code, result.stdout) == (0, "rs\n")
    assert "entering sandbox abcdef0123" in result.stderr


def _kata_cli_argv(fake_host, *args):
    return [sys.executable, "-m", "kata_cli", "--host-root", str(fake_host.root), "exec", *args]


def _env():
    return {k: v for k, v in os.environ.items() if not k.startswith("KATA_")}


def _exec(fake_host, *args, **run_options):
    """`kata-cli exec ARGS` as a child process with pipes (no terminal), KATA_* unset."""
    return subprocess.run(
        _kata_cli_argv(fake_host, *args), capture_output=True, timeout=30, env=_env(), **run_options
    )


@contextmanager
def _exec_on_a_terminal(fake_host):
    """`kata-cli exec abc` on a pseudo-terminal: (process, master fd, slave fd, the
    slave's terminal attributes before it started); killed if still running."""
    import pty
    import termios

    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    proc = subprocess.Popen(
        _kata_cli_argv(fake_host, "abc"),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=_env(),
        start_new_session=True,
    )
    try:
        yield proc, master, slave, before
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        os.close(master)
        os.close(slave)


def _read_until(master, marker, timeout=15.0):
    """What the terminal showed until `marker` (or the timeout)."""
    import select

    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        if select.select([master], [], [], 0.1)[0]:
            seen += os.read(master, 4096)
    return seen


def test_interactive_without_tty_uses_pipes(fake_host, guest):
    guest(shell_guest)
    proc = _exec(fake_host, "abc", input=b"echo piped-$((6*7))\n")
    assert proc.returncode == 0, proc.stderr
    assert b"piped-42" in proc.stdout
    assert b"Connected" not in proc.stderr


def test_interactive_relays_bytes_and_exits_when_guest_closes(fake_host, guest):
    def hello_then_close(conn):
        conn.sendall(b"from-guest")
        conn.recv(100)  # the stdin bytes

    _, hv = guest(hello_then_close)
    proc = _exec(fake_host, "abc", input=b"typed")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"from-guest"
    assert hv.connect_lines == [b"CONNECT 1026\n"]


def test_echo_guest_is_importable():
    assert callable(echo_guest)


def test_interactive_on_a_terminal_escape_and_restore(fake_host, guest):
    import termios

    received = bytearray()

    def recorder(conn):
        conn.sendall(b"guest-prompt# ")
        while data := conn.recv(4096):
            received.extend(data)

    guest(recorder)
    with _exec_on_a_terminal(fake_host) as (proc, master, slave, before):
        seen = _read_until(master, b"guest-prompt# ")
        assert b"Ctrl-] then q" in seen  # the escape sequence is announced on stderr
        assert b"guest-prompt# " in seen
        os.write(master, b"uname\r")
        deadline = time.monotonic() + 10
        while b"uname\r" not in received and time.monotonic() < deadline:
            time.sleep(0.01)
        assert b"uname\r" in received
        os.write(master, b"\x1dq")
        assert proc.wait(timeout=10) == 0
        assert termios.tcgetattr(slave) == before


@pytest.mark.parametrize("source", ["file", "devnull"])
def test_interactive_with_stdin_from_a_file_or_dev_null(fake_host, guest, tmp_path, source):
    guest(shell_guest)
    commands = tmp_path / "cmds"
    commands.write_bytes(b"echo from-file-$((2+3))\n")
    stdin_path = commands if source == "file" else os.devnull
    with open(stdin_path, "rb") as stdin:
        proc = _exec(fake_host, "abc", stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    if source == "file":
        assert b"from-file-5" in proc.stdout


def test_closed_stdin_behaves_like_an_empty_one(fake_host, guest):
    guest(shell_guest)
    argv = " ".join(_kata_cli_argv(fake_host, "abc"))
    proc = subprocess.run(
        ["bash", "-c", f"exec {argv} <&-"], capture_output=True, timeout=30, env=_env()
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""


def test_closed_stdout_keeps_the_exit_status(fake_host, guest):
    guest(shell_guest)
    argv = " ".join(_kata_cli_argv(fake_host, "abc", "--", "sh", "-c", "'echo x; exit 3'"))
    proc = subprocess.run(
        ["bash", "-c", f"exec {argv} >&-"], capture_output=True, timeout=30, env=_env()
    )
    assert proc.returncode == 3
    assert proc.stderr == b""


def test_ctrl_c_during_a_one_shot_command(fake_host, guest, tmp_path):
    import signal

    guest(shell_guest)
    started = tmp_path / "started"
    script = f"touch {started}; sleep 30"
    proc = subprocess.Popen(
        _kata_cli_argv(fake_host, "abc", "--", "sh", "-c", script),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    with reaped(proc):
        deadline = time.monotonic() + 15
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert started.exists()
        began = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert time.monotonic() - began < 25  # not the 30 s the guest command would take
    assert b"Traceback" not in stderr


def test_ctrl_c_signal_on_a_terminal_restores_it(fake_host, guest):
    import signal
    import termios

    def prompt(conn):
        conn.sendall(b"guest# ")
        while conn.recv(4096):
            pass

    guest(prompt)
    with _exec_on_a_terminal(fake_host) as (proc, master, slave, before):
        assert b"guest# " in _read_until(master, b"guest# ")
        assert termios.tcgetattr(slave) != before  # raw while the session runs
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 130
        assert termios.tcgetattr(slave) == before
