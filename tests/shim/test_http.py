from __future__ import annotations

import socket
import threading
import time

import pytest

from kata_cli.shim.http import HttpError, parse_response, unix_http_request

from .conftest import refusing_socket


def _one_shot_server(path, payload: bytes | None, delay_forever: bool = False):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    stop = threading.Event()

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            if delay_forever:
                stop.wait(10)
                return
            if payload:
                conn.sendall(payload)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, stop


def test_chunked_body(tmp_path):
    path = tmp_path / "s"
    server, _ = _one_shot_server(
        path,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    )
    with server:
        response = unix_http_request(str(path), "GET", "/metrics", timeout=2)
    assert response.status == 200
    assert response.body == b"hello world"


def test_closed_without_response(tmp_path):
    path = tmp_path / "s"
    server, _ = _one_shot_server(path, None)
    with server, pytest.raises(HttpError) as info:
        unix_http_request(str(path), "POST", "/direct-volume/stats", timeout=2)
    assert info.value.kind == "closed"


def test_total_timeout(tmp_path):
    path = tmp_path / "s"
    server, stop = _one_shot_server(path, None, delay_forever=True)
    start = time.monotonic()
    with server, pytest.raises(HttpError) as info:
        unix_http_request(str(path), "GET", "/agent-url", timeout=0.3)
    stop.set()
    assert info.value.kind == "timeout"
    assert time.monotonic() - start < 2


def test_refused_and_missing(tmp_path):
    with refusing_socket(tmp_path / "dead"), pytest.raises(HttpError) as info:
        unix_http_request(str(tmp_path / "dead"), "GET", "/", timeout=1)
    assert info.value.kind == "refused"
    with pytest.raises(HttpError) as info:
        unix_http_request(str(tmp_path / "none"), "GET", "/", timeout=1)
    assert info.value.kind == "missing"


def test_long_socket_path_is_reachable(tmp_path, shim, fake_host):
    deep = "/run/vc/sbs/" + "d" * 90
    server = shim("x" * 20)
    long_path = fake_host.local(f"{deep}/link.sock")
    long_path.parent.mkdir(parents=True)
    long_path.symlink_to(server.socket_path)
    server.reply("/agent-url", "vsock://3:1024")
    assert len(str(long_path)) > 108
    response = unix_http_request(str(long_path), "GET", "/agent-url", timeout=2)
    assert response.text == "vsock://3:1024"


def test_garbage_is_a_protocol_error():
    with pytest.raises(HttpError) as info:
        parse_response(b"SSH-2.0-OpenSSH\r\n\r\n")
    assert info.value.kind == "protocol"
