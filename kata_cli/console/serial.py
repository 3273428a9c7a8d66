"""A VM's serial console: QEMU's chardev Unix socket (`vm console`)."""

from __future__ import annotations

import socket

from kata_cli.errors import KataError
from kata_cli.host import connect_local_unix

CONNECT_TIMEOUT = 3.0


def connect_serial_console(path: str, name: str, timeout: float = CONNECT_TIMEOUT) -> socket.socket:
    """A connected stream socket to the console of VM `name`; a one-line error if not."""
    try:
        sock = connect_local_unix(path, timeout)
    except OSError as exc:
        raise KataError(f"cannot attach to the console of {name}: {exc.strerror or exc}") from None
    return sock
