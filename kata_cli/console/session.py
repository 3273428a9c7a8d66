"""Relay a local terminal (or pipes) to a guest console socket.

With a terminal on stdin: raw mode, always restored (guest closes, escape sequence,
signal, error); the window size is sent at start and on SIGWINCH; Ctrl-] then `q`
(or `.`) ends the session without touching the guest shell. Without a terminal: stdin
is copied to the guest and guest output to stdout; EOF on stdin sends an end-of-file
(Ctrl-D) to the guest shell, and the session ends when the guest closes or has been
quiet for `DRAIN_QUIET` seconds.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from kata_cli.errors import KataError

ESCAPE_BYTE = 0x1D  # Ctrl-]
ESCAPE_ENDERS = (ord("q"), ord("."))
ESCAPE_HELP = "Ctrl-] then q ends the session (Ctrl-] twice sends a literal Ctrl-])"
DRAIN_QUIET = 2.0
# A guest that stops reading our input for this long ends the session (never a hang).
SEND_TIMEOUT = 10.0
CHUNK = 65536
EOT = b"\x04"


class SessionTerminated(KataError):
    """A terminating signal arrived during the session (the terminal is restored first)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"session ended by signal {signal.Signals(signum).name}")
        self.exit_code = 128 + signum


def interactive_session(sock: socket.socket, *, stdin_fd: int = 0, stdout_fd: int = 1) -> int:
    """Relay stdin/stdout to `sock` until the session ends; returns the exit status (0)."""
    # Reads only happen when select() says data is there; the timeout bounds sends.
    sock.settimeout(SEND_TIMEOUT)
    if os.isatty(stdin_fd):
        return _tty_session(sock, stdin_fd, stdout_fd)
    return _pipe_session(sock, stdin_fd, stdout_fd)


# -- pipes -------------------------------------------------------------------------------
# poll(), not epoll: stdin may be a regular file or /dev/null, which epoll refuses.
def _pipe_session(sock: socket.socket, stdin_fd: int, stdout_fd: int) -> int:
    with selectors.PollSelector() as sel:
        sel.register(sock, selectors.EVENT_READ, "guest")
        sel.register(stdin_fd, selectors.EVENT_READ, "stdin")
        drain_until: float | None = None
        last_sent = b"\n"
        while True:
            timeout = None if drain_until is None else max(0.0, drain_until - time.monotonic())
            events = sel.select(timeout)
            if not events and drain_until is not None:
                return 0
            for key, _ in events:
                if key.data == "guest":
                    data = _recv(sock)
                    if not data:
                        return 0
                    _write_all(stdout_fd, data)
                    if drain_until is not None:
                        drain_until = time.monotonic() + DRAIN_QUIET
                    continue
                data = os.read(stdin_fd, CHUNK)
                if data:
                    _send(sock, data)
                    last_sent = data[-1:]
                    continue
                sel.unregister(stdin_fd)
                # End the guest shell's input the way a terminal would: a line end, then ^D.
                _send(sock, (b"" if last_sent in (b"\n", b"\r") else b"\n") + EOT)
                drain_until = time.monotonic() + DRAIN_QUIET


# -- terminals ---------------------------------------------------------------------------
def _tty_session(sock: socket.socket, stdin_fd: int, stdout_fd: int) -> int:
    import termios
    import tty

    saved = termios.tcgetattr(stdin_fd)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    try:
        with _signal_handlers(wake_w), selectors.PollSelector() as sel:
            tty.setraw(stdin_fd, termios.TCSANOW)
            _send_window_size(sock, stdin_fd)
            sel.register(sock, selectors.EVENT_READ, "guest")
            sel.register(stdin_fd, selectors.EVENT_READ, "stdin")
            sel.register(wake_r, selectors.EVENT_READ, "winch")
            escape = _EscapeFilter()
            while True:
                for key, _ in sel.select():
                    if key.data == "guest":
                        data = _recv(sock)
                        if not data:
                            return 0
                        _write_all(stdout_fd, data)
                    elif key.data == "winch":
                        _drain(wake_r)
                        _send_window_size(sock, stdin_fd)
                    else:
                        data = os.read(stdin_fd, CHUNK)
                        if not data:
                            return 0
                        forward, done = escape.feed(data)
                        if forward:
                            _send(sock, forward)
                        if done:
                            return 0
    finally:
        termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)
        os.close(wake_r)
        os.close(wake_w)


class _EscapeFilter:
    """Strips the escape sequence from keyboard input; says when it asked to end."""

    def __init__(self) -> None:
        self.pending = False

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        forward = bytearray()
        for byte in data:
            if self.pending:
                self.pending = False
                if byte in ESCAPE_ENDERS:
                    return bytes(forward), True
                if byte != ESCAPE_BYTE:
                    forward.append(ESCAPE_BYTE)
                forward.append(byte)
            elif byte == ESCAPE_BYTE:
                self.pending = True
            else:
                forward.append(byte)
        return bytes(forward), False


@contextlib.contextmanager
def _signal_handlers(wake_fd: int) -> Iterator[None]:
    """SIGWINCH wakes the loop; SIGTERM/SIGHUP end it (after the terminal is restored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_winch(_signum: int, _frame: Any) -> None:
        with contextlib.suppress(OSError):
            os.write(wake_fd, b"w")

    def on_term(signum: int, _frame: Any) -> None:
        raise SessionTerminated(signum)

    handlers: dict[int, Callable[[int, Any], None]] = {
        signal.SIGWINCH: on_winch,
        signal.SIGTERM: on_term,
        signal.SIGHUP: on_term,
    }
    previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def window_size(fd: int) -> tuple[int, int] | None:
    """(rows, columns) of the terminal on `fd`, or None."""
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return None
    if size.lines <= 0 or size.columns <= 0:
        return None
    return size.lines, size.columns


def _send_window_size(sock: socket.socket, fd: int) -> None:
    # The debug console is a plain byte pipe to a guest shell with no control channel,
    # so the size is set by the shell itself (leading space: kept out of bash history).
    size = window_size(fd)
    if size is not None:
        rows, cols = size
        _send(sock, f" stty rows {rows} cols {cols} 2>/dev/null\n".encode())


# -- helpers -----------------------------------------------------------------------------
def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(CHUNK)
    except (ConnectionResetError, BrokenPipeError):
        return b""
    except TimeoutError:
        raise KataError(f"the guest console stopped answering for {SEND_TIMEOUT:g}s") from None


def _send(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except (ConnectionResetError, BrokenPipeError):
        pass  # the guest went away; the next read sees EOF and ends the session
    except TimeoutError:
        raise KataError(f"the guest console stopped reading input for {SEND_TIMEOUT:g}s") from None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _drain(fd: int) -> None:
    with contextlib.suppress(BlockingIOError):
        while os.read(fd, 1024):
            pass
