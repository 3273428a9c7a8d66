"""Relay a local terminal (or pipes) to a guest console socket.

With a terminal on stdin: raw mode, always restored (guest closes, escape sequence,
signal, error); Ctrl-] then `q` (or `.`) ends the session without touching the guest
shell. The window size is typed into the guest shell as a ` stty rows R cols C` line
(the console has no control channel, and the guest echoes the line): only when it
differs from what the guest already assumes (80x24 at first, then the last size sent),
at start, and after SIGWINCH only once the guest sits at a shell prompt with an empty
input line (see `_WindowSizer`). Without a terminal: stdin
is copied to the guest and guest output to stdout; EOF on stdin sends an end-of-file
(Ctrl-D) to the guest shell, and the session ends when the guest closes or has been
quiet for `DRAIN_QUIET` seconds.
"""

from __future__ import annotations

import contextlib
import os
import re
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


def interactive_session(
    sock: socket.socket, *, stdin_fd: int = 0, stdout_fd: int = 1, window_size: bool = True
) -> int:
    """Relay stdin/stdout to `sock` until the session ends; returns the exit status (0).

    `window_size=False`: never type `stty` lines into the guest (terminal sessions only).
    """
    # Reads only happen when select() says data is there; the timeout bounds sends.
    sock.settimeout(SEND_TIMEOUT)
    if not _fd_usable(stdin_fd, sock):
        stdin_fd = -1  # closed stdin: behave as if it were empty
    elif os.isatty(stdin_fd):
        return _tty_session(sock, stdin_fd, stdout_fd, window_size)
    return _pipe_session(sock, stdin_fd, stdout_fd)


def _fd_usable(fd: int, sock: socket.socket) -> bool:
    """False for a closed descriptor (or one the socket itself now occupies)."""
    if fd < 0 or fd == sock.fileno():
        return False
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


# -- pipes -------------------------------------------------------------------------------
# poll(), not epoll: stdin may be a regular file or /dev/null, which epoll refuses.
def _pipe_session(sock: socket.socket, stdin_fd: int, stdout_fd: int) -> int:
    with selectors.PollSelector() as sel:
        sel.register(sock, selectors.EVENT_READ, "guest")
        drain_until: float | None = None
        last_sent = b"\n"
        if stdin_fd >= 0:
            sel.register(stdin_fd, selectors.EVENT_READ, "stdin")
        else:
            _send(sock, EOT)
            drain_until = time.monotonic() + DRAIN_QUIET
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
                data = _read_stdin(stdin_fd)
                if data:
                    _send(sock, data)
                    last_sent = data[-1:]
                    continue
                sel.unregister(stdin_fd)
                # End the guest shell's input the way a terminal would: a line end, then ^D.
                _send(sock, (b"" if last_sent in (b"\n", b"\r") else b"\n") + EOT)
                drain_until = time.monotonic() + DRAIN_QUIET


# -- terminals ---------------------------------------------------------------------------
def _tty_session(sock: socket.socket, stdin_fd: int, stdout_fd: int, window_size: bool) -> int:
    import termios
    import tty

    saved = termios.tcgetattr(stdin_fd)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    try:
        with _signal_handlers(wake_w), selectors.PollSelector() as sel:
            tty.setraw(stdin_fd, termios.TCSANOW)
            sizer = _WindowSizer(sock, stdin_fd, window_size)
            sel.register(sock, selectors.EVENT_READ, "guest")
            sel.register(stdin_fd, selectors.EVENT_READ, "stdin")
            sel.register(wake_r, selectors.EVENT_READ, "winch")
            escape = EscapeFilter()
            while True:
                for key, _ in sel.select():
                    if key.data == "guest":
                        data = _recv(sock)
                        if not data:
                            return 0
                        _write_all(stdout_fd, data)
                        sizer.guest_output(data)
                    elif key.data == "winch":
                        _drain(wake_r)
                        sizer.changed()
                    else:
                        data = _read_stdin(stdin_fd)
                        if not data:
                            return 0
                        forward, done = escape.feed(data)
                        if forward:
                            _send(sock, forward)
                            sizer.user_input(forward)
                        if done:
                            return 0
    finally:
        termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)
        os.close(wake_r)
        os.close(wake_w)


class EscapeFilter:
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


# A shell prompt at the very end of the guest's output: `# ` (root) or `$ `. Not `> `:
# that is also the continuation prompt, where a typed line would land in a here-document.
_PROMPT_END = re.compile(rb"[#$] \Z")
_LINE_ENDS = (b"\r", b"\n", b"\x03")  # Enter, or Ctrl-C (the shell drops the line)
# A new console tty is 0x0, which programs read as 24 rows of 80 columns: a terminal of
# that size needs no visible `stty` line at all.
GUEST_DEFAULT_SIZE = (24, 80)


class _WindowSizer:
    """Decides when the window size may be typed into the guest.

    There is no control channel, so the size goes in as a shell command, and typing
    into whatever the guest runs is risky (an open editor would take it as keystrokes).
    It is safe at the start, before the user typed anything: the agent starts a fresh
    shell for every connection. A later change waits until the guest's output ends in
    a shell prompt and the user's input line is empty (last key Enter or Ctrl-C).
    Nothing is typed when the size is what the guest already has (its default at
    first, then the last size typed): the guest echoes the line on its console.
    """

    def __init__(self, sock: socket.socket, fd: int, enabled: bool) -> None:
        self.sock = sock
        self.fd = fd
        self.enabled = enabled
        self.pending = False
        self.line_empty = True
        self.tail = b""
        self.guest_size = GUEST_DEFAULT_SIZE
        if enabled:
            self._send()

    def changed(self) -> None:
        if self.enabled:
            self.pending = True
            self._flush()

    def guest_output(self, data: bytes) -> None:
        self.tail = (self.tail + data)[-64:]
        self._flush()

    def user_input(self, data: bytes) -> None:
        self.line_empty = data[-1:] in _LINE_ENDS

    def _flush(self) -> None:
        if self.pending and self.line_empty and _PROMPT_END.search(self.tail):
            self.pending = False
            self.tail = b""
            self._send()

    def _send(self) -> None:
        # The debug console is a plain byte pipe to a guest shell with no control channel,
        # so the size is set by the shell itself (leading space: kept out of bash history).
        size = window_size(self.fd)
        if size is not None and size != self.guest_size:
            rows, cols = size
            _send(self.sock, f" stty rows {rows} cols {cols} 2>/dev/null\n".encode())
            self.guest_size = size


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
    try:
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except BrokenPipeError:
        raise  # the reader went away: main() exits quietly
    except OSError as exc:
        raise KataError(f"cannot write the guest's output: {exc.strerror or exc}") from None


def _read_stdin(fd: int) -> bytes:
    try:
        return os.read(fd, CHUNK)
    except OSError as exc:  # e.g. stdin redirected from a directory
        raise KataError(f"cannot read standard input: {exc.strerror or exc}") from None


def _drain(fd: int) -> None:
    with contextlib.suppress(BlockingIOError):
        while os.read(fd, 1024):
            pass
