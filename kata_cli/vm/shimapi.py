"""A shim management endpoint for a VM started with `vm run --sandbox`.

It answers `GET /agent-url` on `/run/vc/sbs/<name>/shim-monitor.sock` (the Go
runtime's layout, under the host root) with the VM's hybrid-vsock URL, so
`kata-cli exec <name>` reaches the VM's debug console exactly as it reaches a Kata
sandbox. Everything else is 404: this is not a shim.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import socketserver
import threading
from pathlib import Path

from kata_cli.vm.state import remove_sandbox


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    agent_url = ""


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    timeout = 5

    def do_GET(self) -> None:
        if self.path != "/agent-url":
            self.send_error(404)
            return
        body = (self.server.agent_url + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: object) -> None:
        pass


class ShimEndpoint:
    def __init__(self, socket_path: str, agent_url: str, made_dirs: list[str]) -> None:
        self.socket_path = Path(socket_path)
        self.agent_url = agent_url
        self.made_dirs = made_dirs  # created for this sandbox: removed when empty
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.socket_path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        server = _Server(str(self.socket_path), _Handler)
        os.chmod(self.socket_path, 0o600)
        server.agent_url = self.agent_url
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        remove_sandbox(str(self.socket_path), self.made_dirs)
