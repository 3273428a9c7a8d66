"""AF_VSOCK: connect to a guest port by context id."""

from __future__ import annotations

import errno
import socket
import time

from kata_cli.errors import KataError

RETRY_PAUSE = 0.05
# VMADDR_CID_ANY: what an agent URL with an empty or -1 cid means.
CID_ANY = 0xFFFFFFFF


def connect_vsock(cid: int, port: int, *, deadline: float) -> socket.socket:
    """Connect to (cid, port) over AF_VSOCK, retrying until `deadline` (monotonic)."""
    family = getattr(socket, "AF_VSOCK", None)
    if family is None:
        raise KataError("vsock is not supported by this Python or platform")
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            if exc.errno in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT):
                raise KataError(
                    "vsock is not available on this host",
                    hint="load the vhost_vsock / vsock kernel modules",
                ) from None
            raise KataError(f"cannot create a vsock socket: {exc.strerror or exc}") from None
        try:
            sock.settimeout(remaining)
            sock.connect((cid, port))
            sock.settimeout(None)
            return sock
        except OSError:
            sock.close()
        time.sleep(min(RETRY_PAUSE, max(0.0, deadline - time.monotonic())))
    raise KataError(
        f"rpc error: code = DeadlineExceeded desc = timed out connecting to vsock {cid}:{port}",
        hint="is debug_console_enabled = true in the agent configuration?",
    )
