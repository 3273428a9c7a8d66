"""Hybrid vsock in front of QEMU's virtio-serial debug port.

There is no /dev/vhost-vsock here, so the guest's debug console is a virtio-serial
port whose host end is a QEMU socket chardev. This relay listens on `hvsock.sock`
and speaks the hybrid-vsock handshake (`CONNECT <port>\\n` -> `OK <port>\\n`, as
Firecracker and Cloud Hypervisor do), then pipes bytes to the chardev, so `kata-cli
exec` and `vm exec` reach the guest the way they reach a Kata sandbox. Closing the
client closes the chardev connection: the guest shell reads end-of-file and exits.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import threading
from pathlib import Path

from kata_cli.console.hvsock import read_line

# kata_cli.config.kernel_params.DEBUG_CONSOLE_VPORT (a test keeps them equal), not
# imported: that would load the configuration machinery into every VM's supervisor
# and delay QEMU's start by tens of milliseconds
DEBUG_CONSOLE_VPORT = 1026

HANDSHAKE_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
_CHUNK = 65536


class HvsockRelay:
    def __init__(self, listen_path: str, ports: dict[int, str]) -> None:
        self.listen_path = listen_path
        self.ports = ports  # guest port -> chardev socket path
        self._server: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_debug_console(cls, listen_path: str, debug_socket: str) -> HvsockRelay:
        return cls(listen_path, {DEBUG_CONSOLE_VPORT: debug_socket})

    def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.listen_path)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(self.listen_path)
        os.chmod(self.listen_path, 0o600)
        server.listen(8)
        server.settimeout(0.2)
        self._server = server
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._server is not None:
            self._server.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.listen_path)

    def _accept_loop(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with contextlib.closing(client):
            client.settimeout(HANDSHAKE_TIMEOUT)
            try:
                line = read_line(client, limit=128)
            except OSError:
                return
            words = line.decode("ascii", "replace").split()
            if len(words) != 2 or words[0] != "CONNECT" or not words[1].isdigit():
                return
            port = int(words[1])
            target = self.ports.get(port)
            if target is None or not Path(target).exists():
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            with contextlib.closing(upstream):
                upstream.settimeout(CONNECT_TIMEOUT)
                try:
                    upstream.connect(target)
                    client.sendall(f"OK {port}\n".encode())
                except OSError:
                    return
                _pipe(client, upstream, self._stop)


def _pipe(a: socket.socket, b: socket.socket, stop: threading.Event) -> None:
    """Copy bytes both ways until either side closes."""
    a.setblocking(True)
    b.setblocking(True)
    peer = {a: b, b: a}
    with selectors.DefaultSelector() as selector:
        selector.register(a, selectors.EVENT_READ)
        selector.register(b, selectors.EVENT_READ)
        while not stop.is_set():
            for key, _ in selector.select(timeout=0.2):
                source = key.fileobj
                assert isinstance(source, socket.socket)
                try:
                    data = source.recv(_CHUNK)
                    if not data:
                        return
                    peer[source].sendall(data)
                except OSError:
                    return
