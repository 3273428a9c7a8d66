from __future__ import annotations

import time

import pytest

from kata_cli.console.hvsock import connect_hybrid_vsock
from kata_cli.console.vsock import connect_vsock
from kata_cli.errors import KataError

from .conftest import echo_guest


def test_sends_exact_connect_line_and_then_pipes_bytes(hybrid_vsock):
    server = hybrid_vsock(echo_guest)
    with connect_hybrid_vsock(str(server.path), 2000, deadline=time.monotonic() + 3) as sock:
        sock.sendall(b"ping")
        assert sock.recv(4) == b"ping"
    assert server.connect_lines == [b"CONNECT 2000\n"]


def test_refusal_retries_until_the_deadline(hybrid_vsock):
    server = hybrid_vsock(reply=b"NO\n")
    start = time.monotonic()
    with pytest.raises(KataError) as info:
        connect_hybrid_vsock(
            str(server.path), 2000, deadline=time.monotonic() + 0.5, display="/run/x.sock"
        )
    assert 0.5 <= time.monotonic() - start < 30  # the deadline, then no hang
    assert str(info.value) == (
        "rpc error: code = DeadlineExceeded desc = timed out connecting to hybrid vsocket "
        "hvsock:/run/x.sock:2000"
    )
    assert "NO" in (info.value.hint or "")
    assert len(server.connect_lines) > 1


def test_silent_hypervisor_times_out(hybrid_vsock):
    server = hybrid_vsock(reply=b"")  # reads the line, then closes without answering
    with pytest.raises(KataError, match="timed out connecting to hybrid vsocket"):
        connect_hybrid_vsock(str(server.path), 1026, deadline=time.monotonic() + 0.3)


def test_missing_socket_times_out(tmp_path):
    with pytest.raises(KataError, match=f"hvsock:{tmp_path}/none:1026"):
        connect_hybrid_vsock(str(tmp_path / "none"), 1026, deadline=time.monotonic() + 0.2)


def test_vsock_times_out_or_reports_unavailable():
    with pytest.raises(KataError) as info:
        connect_vsock(3, 1026, deadline=time.monotonic() + 0.2)
    assert "vsock" in str(info.value)
