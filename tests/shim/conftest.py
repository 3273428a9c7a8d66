"""Fake shims: HTTP servers on Unix sockets (threads), speaking the Go or runtime-rs dialect."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.console.conftest import bind_unix, hybrid_vsock  # noqa: F401

SANDBOX_DIRS = {"go": "/run/vc/sbs", "rs": "/run/kata"}


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    hang: bool = False
    drop: bool = False  # close the connection without a response (runtime-rs handler errors)


# Routes each dialect serves: (method or None for any, path).
GO_ROUTES = {
    "/agent-url": None,
    "/metrics": None,
    "/direct-volume/stats": None,
    "/direct-volume/resize": None,
    "/iptables": ("GET", "PUT"),
    "/ip6tables": ("GET", "PUT"),
    "/policy": ("PUT",),
}
RS_ROUTES = {
    "/agent-url": ("GET",),
    "/metrics": ("GET",),
    "/direct-volume/stats": ("POST",),
    "/direct-volume/resize": ("POST",),
    "/iptables": ("GET", "PUT"),
    "/ip6tables": ("GET", "PUT"),
    "/policy": ("PUT",),
}


@dataclass
class FakeShim:
    socket_path: Path
    dialect: str = "go"
    replies: dict[str, Reply] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    _server: socketserver.UnixStreamServer | None = None

    def reply(self, path: str, body: str | bytes = b"", status: int = 200) -> FakeShim:
        data = body.encode() if isinstance(body, str) else body
        self.replies[path] = Reply(status, data)
        return self

    def hang(self, path: str) -> FakeShim:
        self.replies[path] = Reply(hang=True)
        return self

    def answer(self, request: Request) -> Reply:
        self.requests.append(request)
        routes = GO_ROUTES if self.dialect == "go" else RS_ROUTES
        if request.path not in routes:
            return Reply(404, b"404 page not found\n" if self.dialect == "go" else b"URL NOT FOUND")
        methods = routes[request.path]
        if methods is not None and request.method not in methods:
            if self.dialect == "rs":
                return Reply(404, b"URL NOT FOUND")
            return Reply(501, b"")
        if (
            self.dialect == "rs"
            and request.path == "/direct-volume/stats"
            and not request.target.startswith("http://")
        ):
            return Reply(drop=True)  # its Url::parse() of an origin-form target fails
        return self.replies.get(request.path, Reply(200, b""))

    def start(self) -> FakeShim:
        shim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                reply = shim.answer(request)
                if reply.hang:
                    shim.release.wait(10)
                    return
                if reply.drop:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                self.send_header("Content-Length", str(len(reply.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if reply.body:
                    self.wfile.write(reply.body)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

            def server_bind(self) -> None:
                bind_unix(self.socket, Path(self.server_address))  # type: ignore[arg-type]

        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        self._server = Server(str(self.socket_path), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def shim(fake_host) -> Iterator[Callable[..., FakeShim]]:
    """`shim("abc", dialect="go")`: a fake shim for sandbox `abc` under the fake host."""
    shims: list[FakeShim] = []

    def make(sandbox_id: str, dialect: str = "go") -> FakeShim:
        path = fake_host.local(f"{SANDBOX_DIRS[dialect]}/{sandbox_id}/shim-monitor.sock")
        server = FakeShim(path, dialect).start()
        shims.append(server)
        return server

    yield make
    for server in shims:
        server.stop()


def refusing_socket(path: Path) -> socket.socket:
    """A bound Unix socket nobody listens on: connecting is refused (a dead shim)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bind_unix(sock, path)
    return sock
