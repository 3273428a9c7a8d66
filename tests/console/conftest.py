"""Fake hybrid-vsock endpoints and a fake guest shell (a real `sh` on a pty)."""

from __future__ import annotations

import os
import pty
import select
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

Handler = Callable[[socket.socket], None]


def bind_unix(sock: socket.socket, path: Path) -> None:
    """Bind, going through the directory's fd when the path is longer than sun_path."""
    if len(os.fsencode(str(path))) <= 107:
        sock.bind(str(path))
        return
    dir_fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        sock.bind(f"/proc/self/fd/{dir_fd}/{path.name}")
    finally:
        os.close(dir_fd)


@dataclass
class FakeHybridVsock:
    """A hypervisor's hybrid vsock socket: checks the CONNECT line, then runs a handler."""

    path: Path
    handler: Handler | None = None
    reply: bytes = b"OK 1073741824\n"
    connect_lines: list[bytes] = field(default_factory=list)
    _server: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> FakeHybridVsock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        bind_unix(server, self.path)
        server.listen(8)
        server.settimeout(0.1)
        self._server = server
        thread = threading.Thread(target=self._accept_loop, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _accept_loop(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            worker.start()
            self._threads.append(worker)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            line = bytearray()
            try:
                while not line.endswith(b"\n"):
                    byte = conn.recv(1)
                    if not byte:
                        return
                    line += byte
            except OSError:
                return
            self.connect_lines.append(bytes(line))
            if not self.reply:
                return
            conn.sendall(self.reply)
            if self.reply.startswith(b"OK") and self.handler is not None:
                conn.settimeout(None)
                self.handler(conn)

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.close()
        for thread in self._threads:
            thread.join(timeout=5)


def shell_guest(conn: socket.socket) -> None:
    """Relay the connection to a real `sh` on a pty, like the agent's debug console."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        ["sh"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PS1": "guest# ", "HOME": "/"},
    )
    os.close(slave)
    try:
        while True:
            ready, _, _ = select.select([conn, master], [], [], 10)
            if not ready:
                break
            if conn in ready:
                data = conn.recv(4096)
                if not data:
                    break
                os.write(master, data)
            if master in ready:
                try:
                    data = os.read(master, 4096)
                except OSError:  # EIO: the shell exited
                    break
                if not data:
                    break
                conn.sendall(data)
    except OSError:
        pass  # the client went away
    finally:
        proc.kill()
        proc.wait(timeout=5)
        os.close(master)
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def echo_guest(conn: socket.socket) -> None:
    """Echo every byte back until the client closes."""
    while True:
        data = conn.recv(4096)
        if not data:
            return
        conn.sendall(data)


@pytest.fixture
def hybrid_vsock(tmp_path: Path) -> Iterator[Callable[..., FakeHybridVsock]]:
    servers: list[FakeHybridVsock] = []

    def make(
        handler: Handler | None = None,
        reply: bytes = b"OK 1073741824\n",
        path: Path | None = None,
    ) -> FakeHybridVsock:
        server = FakeHybridVsock(path or tmp_path / "hv" / "kata.hvsock", handler, reply)
        servers.append(server.start())
        return server

    yield make
    for server in servers:
        server.stop()
