"""A small HTTP/1.1 client over a Unix socket with a real total timeout.

One request per connection (`Connection: close`), the response read until the server
closes it (or until Content-Length / the last chunk), all within `timeout` seconds.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

from kata_cli.console.unixsock import connect_unix

MAX_RESPONSE = 64 * 1024 * 1024


class HttpError(Exception):
    """Transport-level failure; `kind` is missing | refused | timeout | closed | protocol."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@dataclass
class HttpResponse:
    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def unix_http_request(
    socket_path: str,
    method: str,
    target: str,
    *,
    body: bytes | None = None,
    content_type: str | None = None,
    timeout: float = 3.0,
) -> HttpResponse:
    """Send one request to the HTTP server listening on the Unix socket `socket_path`."""
    deadline = time.monotonic() + timeout
    lines = [f"{method} {target} HTTP/1.1", "Host: shim", "Connection: close"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    if body is not None or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body or b'')}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        try:
            connect_unix(sock, socket_path)
        except FileNotFoundError:
            raise HttpError("missing", "no such file or directory") from None
        except ConnectionRefusedError:
            raise HttpError("refused", "connection refused") from None
        except TimeoutError:
            raise HttpError("timeout", f"no answer within {timeout:g}s") from None
        except OSError as exc:
            raise HttpError("refused", exc.strerror or str(exc)) from None
        try:
            sock.sendall(request)
            raw = _read_response(sock, deadline)
        except TimeoutError:
            raise HttpError("timeout", f"no answer within {timeout:g}s") from None
        except OSError as exc:
            raise HttpError("closed", exc.strerror or str(exc)) from None
    finally:
        sock.close()
    return parse_response(raw)


def _read_response(sock: socket.socket, deadline: float) -> bytes:
    data = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(data)
        data += chunk
        if len(data) > MAX_RESPONSE:
            raise HttpError("protocol", "response too large")
        if _complete(data):
            return bytes(data)


def _complete(data: bytearray) -> bool:
    """True once a response with Content-Length or chunked encoding is fully read."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    head = bytes(data[:end]).decode("latin-1").lower()
    body = data[end + 4 :]
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip() == "content-length" and _is_int(value.strip()):
            return len(body) >= int(value.strip())
        if name.strip() == "transfer-encoding" and "chunked" in value:
            return body.endswith(b"0\r\n\r\n")
    return False


def parse_response(raw: bytes) -> HttpResponse:
    if not raw:
        raise HttpError("closed", "the server closed the connection without a response")
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise HttpError("protocol", "incomplete HTTP response")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not _is_int(parts[1]):
        raise HttpError("protocol", f"not an HTTP response: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", ""):
        body = _dechunk(body)
    elif _is_int(headers.get("content-length", "")):
        body = body[: int(headers["content-length"])]
    return HttpResponse(int(parts[1]), parts[2] if len(parts) > 2 else "", headers, body)


def _is_int(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _dechunk(data: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while True:
        line_end = data.find(b"\r\n", pos)
        if line_end < 0:
            raise HttpError("protocol", "truncated chunked body")
        size_text = data[pos:line_end].split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise HttpError("protocol", "bad chunk size") from None
        if size == 0:
            return bytes(out)
        start = line_end + 2
        out += data[start : start + size]
        pos = start + size + 2
