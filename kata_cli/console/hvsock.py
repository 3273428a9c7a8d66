"""Hybrid vsock: a hypervisor's Unix socket that forwards to a guest vsock port.

The client sends `CONNECT <port>\\n`; the hypervisor answers one line starting with
`OK` (usually `OK <host-side port>`), after which the socket is a raw byte pipe.
"""

from __future__ import annotations

import socket
import time

from kata_cli.errors import KataError, excerpt
from kata_cli.host import Host, OutsideRoot, connect_local_unix

# How long one handshake may wait for the reply line (upstream: 10 s, capped by the deadline).
HANDSHAKE_TIMEOUT = 10.0
# Pause between attempts, so a missing socket does not spin the CPU.
RETRY_PAUSE = 0.05
_MAX_REPLY = 512
_NO_CONSOLE = "is debug_console_enabled = true in the agent configuration?"


class HandshakeRefused(Exception):
    """The hypervisor answered the CONNECT line with something other than OK."""


def connect_hybrid_vsock(
    uds_path: str,
    port: int,
    *,
    deadline: float,
    display: str | None = None,
    host: Host | None = None,
) -> socket.socket:
    """Connect to guest `port` through the hybrid vsock socket `uds_path`: a host path
    resolved inside `host`'s root, or without `host` a local path.

    Retries until `deadline` (a `time.monotonic()` value), then raises KataError with
    upstream's message. `display` is the path named in messages (default `uds_path`).
    """
    shown = excerpt(display or uds_path)
    hint = _NO_CONSOLE
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            return _attempt(host, uds_path, port, min(remaining, HANDSHAKE_TIMEOUT))
        except HandshakeRefused as exc:
            reply = exc.args[0] if exc.args else b""
            if reply:
                text = reply.decode("utf-8", "backslashreplace").strip()
                hint = f"the hypervisor answered {text!r}; {_NO_CONSOLE}"
            else:
                hint = f"the hypervisor closed the connection; {_NO_CONSOLE}"
        except TimeoutError:
            hint = f"the hypervisor did not answer the CONNECT line; {_NO_CONSOLE}"
        except OutsideRoot as exc:  # no retry can fix the URL
            raise KataError(
                f"refusing hybrid vsock {shown}: {exc.strerror}",
                hint="the agent URL must name a socket under the host root",
            ) from None
        except OSError as exc:
            hint = f"cannot connect to {shown}: {exc.strerror or exc}"
        time.sleep(min(RETRY_PAUSE, max(0.0, deadline - time.monotonic())))
    raise KataError(
        "rpc error: code = DeadlineExceeded desc = timed out connecting to hybrid vsocket "
        f"hvsock:{shown}:{port}",
        hint=hint,
    )


def _attempt(host: Host | None, uds_path: str, port: int, timeout: float) -> socket.socket:
    if host is None:
        sock = connect_local_unix(uds_path, timeout)
    else:
        sock = host.connect_unix(uds_path, timeout)
    try:
        sock.sendall(f"CONNECT {port}\n".encode())
        reply = read_line(sock)
        if not reply.startswith(b"OK"):
            raise HandshakeRefused(reply)
        sock.settimeout(None)
        return sock
    except BaseException:
        sock.close()
        raise


def read_line(sock: socket.socket, limit: int = _MAX_REPLY) -> bytes:
    """Read one protocol line one byte at a time: nothing after it may be consumed."""
    line = bytearray()
    while len(line) < limit:
        byte = sock.recv(1)
        if not byte:
            break
        line += byte
        if byte == b"\n":
            break
    return bytes(line)
