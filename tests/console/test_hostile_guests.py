"""Hostile hybrid-vsock endpoints and guest shells: clear errors within the deadline."""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest

from kata_cli.console.hvsock import connect_hybrid_vsock
from kata_cli.console.oneshot import run_oneshot
from kata_cli.errors import KataError


def _marker(conn: socket.socket) -> bytes:
    received = bytearray()
    while (match := re.search(rb"M=(KATACLI[0-9a-f]+);", received)) is None:
        data = conn.recv(4096)
        if not data:
            raise OSError("client went away")
        received += data
    return match.group(1)


def _connect(server, deadline: float = 3.0):
    return connect_hybrid_vsock(str(server.path), 1026, deadline=time.monotonic() + deadline)


def test_endless_handshake_reply_is_refused_in_time(hybrid_vsock):
    server = hybrid_vsock(reply=b"X\x1b[2J" * 800)  # no line end, not OK, past the 512-byte line
    started = time.monotonic()
    with pytest.raises(KataError) as info:
        _connect(server, deadline=0.5)
    assert time.monotonic() - started < 30
    line = info.value.one_line()
    assert len(line) < 2048
    assert "\x1b" not in line


def test_guest_flooding_before_the_command_starts_times_out(hybrid_vsock):
    stop = threading.Event()

    def flood(conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            while not stop.is_set():
                conn.sendall(b"noise without any marker\r\n" * 4096)
        except OSError:
            return

    server = hybrid_vsock(flood)
    try:
        with _connect(server) as sock, pytest.raises(KataError, match="waiting for the guest"):
            run_oneshot(sock, ["true"], timeout=1.0, on_output=lambda data: None)
    finally:
        stop.set()


@pytest.mark.parametrize(
    "payload", [b"\x00\xff\xfe binary \x1b[2J", b"\x00" * 70_000, bytes(range(256)) * 300]
)
def test_binary_output_is_passed_on_byte_for_byte(hybrid_vsock, payload):
    def guest(conn: socket.socket) -> None:
        marker = _marker(conn)
        conn.sendall(marker + b"-BEGIN\n" + payload + marker + b"-END:7\n")

    server = hybrid_vsock(guest)
    pieces: list[bytes] = []
    with _connect(server) as sock:
        _, status = run_oneshot(sock, ["x"], timeout=10, on_output=pieces.append)
    assert b"".join(pieces) == payload
    assert status == 7


def test_guest_closing_mid_output_says_so(hybrid_vsock):
    def guest(conn: socket.socket) -> None:
        marker = _marker(conn)
        conn.sendall(marker + b"-BEGIN\npartial output")

    server = hybrid_vsock(guest)
    pieces: list[bytes] = []
    with (
        _connect(server) as sock,
        pytest.raises(KataError, match="closed before the command finished"),
    ):
        run_oneshot(sock, ["x"], timeout=10, on_output=pieces.append)
    assert b"".join(pieces) == b"partial output"


def test_absurd_exit_status_from_a_guest(hybrid_vsock):
    def guest(conn: socket.socket) -> None:
        marker = _marker(conn)
        conn.sendall(marker + b"-BEGIN\n" + marker + b"-END:" + b"9" * 5000 + b"\n")

    server = hybrid_vsock(guest)
    with _connect(server) as sock, pytest.raises(KataError, match="impossible exit status"):
        run_oneshot(sock, ["x"], timeout=10)
