"""The interactive session, driven through a real pty and through pipes."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time

import pytest

from kata_cli.console.session import EscapeFilter

from .conftest import shell_guest

CLIENT = """
import sys, time
from kata_cli.console.hvsock import connect_hybrid_vsock
from kata_cli.console.session import interactive_session
sock = connect_hybrid_vsock(sys.argv[1], 1026, deadline=time.monotonic() + 5)
sys.exit(interactive_session(sock, window_size=sys.argv[2:] != ["off"]))
"""


class Recorder:
    """A guest that records what it receives and greets once."""

    def __init__(self, greeting: bytes = b"guest-hello") -> None:
        self.greeting = greeting
        self.received = bytearray()
        self.lock = threading.Lock()
        self.conn: socket.socket | None = None

    def __call__(self, conn: socket.socket) -> None:
        self.conn = conn
        conn.sendall(self.greeting)
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.received += data

    def wait_for(self, needle: bytes, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if needle in self.received:
                    return
            time.sleep(0.01)
        raise AssertionError(f"{needle!r} never arrived; got {bytes(self.received)!r}")


def _read_until(fd: int, needle: bytes, timeout: float = 10) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while needle not in data:
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} not seen in {data!r}")
        import select

        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data += os.read(fd, 4096)
            except OSError:
                break
    return data


def _set_size(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


@pytest.fixture
def pty_client(hybrid_vsock):
    procs = []

    def start(handler, *extra):
        server = hybrid_vsock(handler)
        master, slave = pty.openpty()
        _set_size(slave, 33, 101)
        before = termios.tcgetattr(slave)
        proc = subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(server.path), *extra],
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        procs.append((proc, master, slave))
        return proc, master, slave, before

    yield start
    for proc, master, slave in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        os.close(master)
        os.close(slave)


def test_tty_relays_and_escape_sequence_restores_terminal(pty_client):
    guest = Recorder()
    proc, master, slave, before = pty_client(guest)
    assert b"guest-hello" in _read_until(master, b"guest-hello")
    guest.wait_for(b" stty rows 33 cols 101 2>/dev/null\n")
    assert termios.tcgetattr(slave) != before  # raw mode while the session runs
    os.write(master, b"ls\x1d\x1dx\x03")
    guest.wait_for(b"ls\x1dx\x03")  # Ctrl-] twice sends one; Ctrl-C goes to the guest
    os.write(master, b"\x1dq")
    assert proc.wait(timeout=10) == 0
    assert termios.tcgetattr(slave) == before
    assert b"q" not in guest.received.split(b"\x03")[-1]


def test_tty_window_size_follows_sigwinch_at_a_prompt(pty_client):
    guest = Recorder(b"guest# ")
    proc, master, slave, _ = pty_client(guest)
    guest.wait_for(b"stty rows 33 cols 101")
    _set_size(slave, 50, 160)
    proc.send_signal(signal.SIGWINCH)
    guest.wait_for(b" stty rows 50 cols 160 2>/dev/null\n")
    os.write(master, b"\x1d.")
    assert proc.wait(timeout=10) == 0


def test_tty_resize_waits_until_the_guest_shows_a_prompt(pty_client):
    guest = Recorder(b"\x1b[H\x1b[2J~ editor screen ~")  # e.g. vi: keystrokes are commands
    proc, master, slave, _ = pty_client(guest)
    guest.wait_for(b"stty rows 33 cols 101")  # at start the shell is fresh: safe
    _set_size(slave, 50, 160)
    proc.send_signal(signal.SIGWINCH)
    os.write(master, b":q\r")
    guest.wait_for(b":q\r")
    assert b"50" not in guest.received
    assert guest.conn is not None
    guest.conn.sendall(b"\r\nroot@guest:/# ")  # the editor quit; the shell prompts
    guest.wait_for(b" stty rows 50 cols 160 2>/dev/null\n")
    assert bytes(guest.received).index(b":q") < bytes(guest.received).index(b"rows 50")
    os.write(master, b"\x1dq")
    assert proc.wait(timeout=10) == 0


def test_tty_no_window_size_types_nothing(pty_client):
    guest = Recorder(b"guest# ")
    proc, master, slave, _ = pty_client(guest, "off")
    assert b"guest# " in _read_until(master, b"guest# ")
    _set_size(slave, 50, 160)
    proc.send_signal(signal.SIGWINCH)
    os.write(master, b"echo hi\r")
    guest.wait_for(b"echo hi\r")
    guest.conn.sendall(b"hi\r\nguest# ")  # type: ignore[union-attr]
    os.write(master, b"\x1dq")
    assert proc.wait(timeout=10) == 0
    assert bytes(guest.received) == b"echo hi\r"


def _sizer(rows=24, cols=80):
    from kata_cli.console.session import _WindowSizer

    master, slave = pty.openpty()
    _set_size(slave, rows, cols)
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    sizer = _WindowSizer(ours, slave, enabled=True)

    def sent() -> bytes:
        try:
            return theirs.recv(4096)
        except BlockingIOError:
            return b""

    def close() -> None:
        for fd in (master, slave):
            os.close(fd)
        ours.close()
        theirs.close()

    return sizer, slave, sent, close


def test_window_sizer_policy():
    sizer, slave, sent, close = _sizer()
    try:
        assert sent() == b""  # at start: 80x24 is what the guest assumes, nothing typed
        _set_size(slave, 30, 90)
        sizer.guest_output(b"guest# ")
        sizer.user_input(b"vi /etc/fsta")  # a half-typed line: wait
        sizer.changed()
        assert sent() == b""
        sizer.user_input(b"b\r")
        sizer.guest_output(b"vi /etc/fstab\r\n\x1b[?1049h\x1b[H~")  # editor: still wait
        assert sent() == b""
        sizer.user_input(b":q\r")
        sizer.guest_output(b"\x1b[?1049l\r\ncat <<EOF\r\n> ")  # continuation prompt: wait
        assert sent() == b""
        sizer.guest_output(b"\r\nroot@guest:/# ")
        assert sent() == b" stty rows 30 cols 90 2>/dev/null\n"
        sizer.guest_output(b"\r\nroot@guest:/# ")  # nothing pending any more
        assert sent() == b""
        sizer.user_input(b"sleep 9\x03")  # Ctrl-C clears the line too
        _set_size(slave, 40, 100)
        sizer.changed()
        assert sent() == b" stty rows 40 cols 100 2>/dev/null\n"
        sizer.changed()  # a SIGWINCH without a new size types nothing
        assert sent() == b""
    finally:
        close()


def test_tty_guest_closing_ends_session_and_restores(pty_client):
    guest = Recorder()
    proc, _master, slave, before = pty_client(guest)
    guest.wait_for(b"stty rows")
    assert guest.conn is not None
    guest.conn.shutdown(socket.SHUT_RDWR)
    assert proc.wait(timeout=10) == 0
    assert termios.tcgetattr(slave) == before


def test_tty_sigterm_restores_terminal(pty_client):
    guest = Recorder()
    proc, _master, slave, before = pty_client(guest)
    guest.wait_for(b"stty rows")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) != 0
    assert termios.tcgetattr(slave) == before


def test_pipes_without_tty_feed_stdin_and_end_on_eof(hybrid_vsock):
    server = hybrid_vsock(shell_guest)
    proc = subprocess.run(
        [sys.executable, "-c", CLIENT, str(server.path)],
        input=b"echo hello-$((40+2))\n",
        capture_output=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert b"hello-42" in proc.stdout


def test_escape_filter_state_machine():
    filt = EscapeFilter()
    assert filt.feed(b"a\x1d") == (b"a", False)
    assert filt.feed(b"b") == (b"\x1db", False)
    assert filt.feed(b"\x1d\x1d") == (b"\x1d", False)
    assert filt.feed(b"x\x1dqrest") == (b"x", True)


def test_guest_that_stops_reading_ends_the_session(monkeypatch):
    from kata_cli.console import session
    from kata_cli.errors import KataError

    monkeypatch.setattr(session, "SEND_TIMEOUT", 0.2)
    ours, theirs = socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    read_fd, write_fd = os.pipe()
    big = b"x" * (4 << 20)

    def feed() -> None:
        try:
            os.write(write_fd, big)
        except OSError:
            pass  # the session stopped reading
        finally:
            os.close(write_fd)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        with pytest.raises(KataError, match="stopped reading input"):
            session.interactive_session(ours, stdin_fd=read_fd, stdout_fd=1)
    finally:
        os.close(read_fd)
        writer.join(timeout=5)
        ours.close()
        theirs.close()


def test_stdin_read_error_is_one_kata_error(monkeypatch):
    from kata_cli.console import session
    from kata_cli.errors import KataError

    ours, theirs = socket.socketpair()
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"x")

    def failing_read(fd, size):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(session.os, "read", failing_read)
    try:
        with pytest.raises(KataError, match="cannot read standard input: Input/output error"):
            session.interactive_session(ours, stdin_fd=read_fd, stdout_fd=1)
    finally:
        for fd in (read_fd, write_fd):
            os.close(fd)
        ours.close()
        theirs.close()
