"""A VM's serial console: QEMU's chardev Unix socket (`vm console`)."""

from __future__ import annotations

import socket

from kata_cli.console.unixsock import connect_unix
from kata_cli.errors import KataError

CONNECT_TIMEOUT = 3.0


def connect_serial_console(path: str, name: str, timeout: float = CONNECT_TIMEOUT) -> socket.socket:
    """A connected stream socket to the console of VM `name`; a one-line error if not."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        connect_unix(sock, path)
    except OSError as exc:
        sock.close()
        raise KataError(f"cannot attach to the console of {name}: {exc.strerror or exc}") from None
    return sock
