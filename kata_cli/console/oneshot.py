"""Run one command through a guest shell and get its exact output and exit status.

Marker protocol: switch off output post-processing and echo (`stty -opost -echo`),
then send one line that stores a unique marker in a variable, prints `<marker>-BEGIN`,
runs the command (stdin from /dev/null), and prints `<marker>-END:<status>`. Everything
before the BEGIN line (banner, prompt, echo of what we typed) is discarded; the bytes
between the BEGIN line and `<marker>-END:` are the command's output (stdout and stderr
interleaved). If the BEGIN line still ended in CRLF (stty unavailable), CRLF is turned
back into LF. The marker only appears expanded in the shell's output, never in the
echo of the line we typed, because the line names it through a variable.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import time
from collections.abc import Callable, Sequence

from kata_cli.errors import KataError

_CHUNK = 65536
# `-2147483648\r\n` and some room: a longer "status" is not the shell's status line
_MAX_STATUS_LINE = 24
_DIGITS = re.compile(rb"-?[0-9]+")


def make_marker() -> str:
    return f"KATACLI{os.getpid():x}{time.time_ns():x}"


def command_line(argv: Sequence[str], marker: str) -> bytes:
    """The line sent to the guest shell (every argument single-quoted)."""
    command = " ".join(shlex.quote(arg) for arg in argv)
    return (
        f'M={marker}; echo "${{M}}-BEGIN"; {command} </dev/null; S=$?; echo "${{M}}-END:$S"\n'
    ).encode()


def run_oneshot(
    sock: socket.socket,
    argv: Sequence[str],
    *,
    timeout: float,
    marker: str | None = None,
    on_output: Callable[[bytes], None] | None = None,
) -> tuple[bytes, int]:
    """Run `argv` in the guest shell behind `sock`; return (output bytes, exit status).

    `timeout` bounds the whole exchange; the shell is told to `exit` afterwards.
    `on_output`, when given, receives the output as it arrives (same bytes, in order)
    and nothing is kept: the returned output is then empty, and memory stays bounded
    however much the guest prints.
    """
    if not argv:
        raise KataError("no command given")
    marker = marker or make_marker()
    deadline = time.monotonic() + timeout
    try:
        sock.settimeout(max(0.001, timeout))
        sock.sendall(b"stty -opost -echo 2>/dev/null\n" + command_line(argv, marker))
    except OSError as exc:
        raise KataError(
            f"the guest console closed before the shell started the command ({exc.strerror or exc})"
        ) from None
    parser = MarkerParser(marker, keep=on_output is None)
    try:
        _collect(sock, parser, deadline, timeout, on_output)
    except (KeyboardInterrupt, KataError):
        _interrupt_guest(sock)
        raise
    try:
        sock.settimeout(1.0)
        sock.sendall(b"exit\n")
    except OSError:
        pass
    assert parser.status is not None
    return parser.output, parser.status


def _interrupt_guest(sock: socket.socket) -> None:
    """Interrupted or timed out: stop the guest command too (Ctrl-C on its pty), end the shell."""
    try:
        sock.settimeout(0.5)
        sock.sendall(b"\x03\nexit\n")
    except OSError:
        pass


def _collect(
    sock: socket.socket,
    parser: MarkerParser,
    deadline: float,
    timeout: float,
    on_output: Callable[[bytes], None] | None,
) -> None:
    while not parser.done:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timeout(parser, timeout)
        sock.settimeout(remaining)
        try:
            data = sock.recv(_CHUNK)
        except TimeoutError:
            raise _timeout(parser, timeout) from None
        except ConnectionResetError:
            data = b""  # the guest closed with our input unread: same as a close
        except OSError as exc:
            raise KataError(f"guest console connection failed: {exc.strerror or exc}") from None
        if not data:
            raise KataError(
                "the guest console closed before the command finished"
                if parser.started
                else "the guest console closed before the shell started the command"
            )
        parser.feed(data)
        if on_output is not None:
            chunk = parser.take()
            if chunk:
                on_output(chunk)


def _timeout(parser: MarkerParser, timeout: float) -> KataError:
    if parser.started:
        return KataError(f"timed out after {timeout:g}s waiting for the command to finish")
    return KataError(f"timed out after {timeout:g}s waiting for the guest debug console shell")


class MarkerParser:
    """Incremental parser of a shell's output for one marker-delimited command."""

    def __init__(self, marker: str, keep: bool = True) -> None:
        self.begin = f"{marker}-BEGIN".encode()
        self.end = f"{marker}-END:".encode()
        self._end_re = re.compile(re.escape(self.end) + rb"(-?\d+)\r?\n")
        self._buffer = bytearray()
        self.started = False
        self.crlf = False
        self.status: int | None = None
        self._output = bytearray()
        self._taken = 0  # raw output bytes already handed out by take()
        # keep=False: take() drops what it hands out, so a streaming caller holds at most
        # one read's worth of output however long the guest prints
        self._keep = keep

    @property
    def done(self) -> bool:
        return self.status is not None

    @property
    def output(self) -> bytes:
        data = bytes(self._output)
        return data.replace(b"\r\n", b"\n") if self.crlf else data

    def take(self) -> bytes:
        """Output not taken yet, CRLF undone; a trailing CR waits for its possible LF."""
        end = len(self._output)
        if self.crlf and self.status is None and self._output.endswith(b"\r"):
            end -= 1
        data = bytes(self._output[self._taken : end])
        if self._keep:
            self._taken = end
        else:
            del self._output[:end]
        return data.replace(b"\r\n", b"\n") if self.crlf else data

    def feed(self, data: bytes) -> None:
        self._buffer += data
        if not self.started:
            self._find_begin()
        if self.started and self.status is None:
            self._find_end()

    def _find_begin(self) -> None:
        index = self._buffer.find(self.begin)
        # The BEGIN marker must be followed by its line end (not just a prefix of it).
        while index >= 0:
            rest = self._buffer[index + len(self.begin) :]
            if rest.startswith(b"\r\n") or rest.startswith(b"\n"):
                self.crlf = rest.startswith(b"\r\n")
                skip = index + len(self.begin) + (2 if self.crlf else 1)
                del self._buffer[:skip]
                self.started = True
                return
            if len(rest) < 2:
                return  # wait for the line end
            index = self._buffer.find(self.begin, index + 1)
        # Keep only a tail that could still hold a split marker.
        keep = len(self.begin) + 2
        if len(self._buffer) > keep:
            del self._buffer[:-keep]

    def _find_end(self) -> None:
        while True:
            match = self._end_re.search(self._buffer)
            if match:
                self._output += self._buffer[: match.start()]
                digits = match.group(1).lstrip(b"-")
                if len(digits) > 10:  # no shell reports such a status; int() may refuse it
                    raise KataError(
                        f"the guest shell reported an impossible exit status ({len(digits)} digits)"
                    )
                self.status = int(match.group(1))
                del self._buffer[:]
                return
            index = self._buffer.find(self.end)
            if index < 0:
                # a partial marker may sit at the very end of the buffer
                safe = len(self._buffer)
                for cut in range(len(self.end) - 1, 0, -1):
                    if self._buffer.endswith(self.end[:cut]):
                        safe = len(self._buffer) - cut
                        break
                break
            tail = self._buffer[index + len(self.end) :]
            if len(tail) <= _MAX_STATUS_LINE:
                safe = index  # the status line is still arriving
                break
            if _DIGITS.fullmatch(tail):
                raise KataError(
                    "the guest shell reported an impossible exit status (endless digits)"
                )
            # not a status line (the command printed our marker): output, look further on
            self._output += self._buffer[: index + 1]
            del self._buffer[: index + 1]
        self._output += self._buffer[:safe]
        del self._buffer[:safe]
