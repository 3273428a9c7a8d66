"""A small HTTP/1.1 client over a Unix socket with a real total timeout.

One request per connection (`Connection: close`), the response read until the server
closes it (or until Content-Length / the last chunk), all within `timeout` seconds.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

from kata_cli.host import Host, connect_local_unix

MAX_RESPONSE = 64 * 1024 * 1024


class HttpError(Exception):
    """Transport-level failure; `kind` is missing | refused | denied | timeout | closed | protocol."""

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
    host: Host | None = None,
) -> HttpResponse:
    """Send one request to the HTTP server listening on the Unix socket `socket_path`
    (a host path resolved inside `host`'s root; without `host`, a local path)."""
    deadline = time.monotonic() + timeout
    lines = [f"{method} {target} HTTP/1.1", "Host: shim", "Connection: close"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    if body is not None or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body or b'')}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
    try:
        if host is None:
            sock = connect_local_unix(socket_path, timeout)
        else:
            sock = host.connect_unix(socket_path, timeout)
    except FileNotFoundError:
        raise HttpError("missing", "no such file or directory") from None
    except ConnectionRefusedError:
        raise HttpError("refused", "connection refused") from None
    except TimeoutError:
        raise HttpError("timeout", f"no answer within {timeout:g}s") from None
    except PermissionError:
        raise HttpError("denied", "permission denied") from None
    except OSError as exc:
        raise HttpError("refused", exc.strerror or str(exc)) from None
    try:
        received = bytearray()
        try:
            sock.sendall(request)
            _read_response(sock, deadline, received)
        except TimeoutError:
            if received:
                detail = f"the answer was not complete within {timeout:g}s ({len(received)} bytes)"
            else:
                detail = f"no answer within {timeout:g}s"
            raise HttpError("timeout", detail) from None
        except OSError as exc:
            if not received:
                raise HttpError("closed", exc.strerror or str(exc)) from None
            # A reset after a complete response is still a response.
    finally:
        sock.close()
    return parse_response(bytes(received))


def _read_response(sock: socket.socket, deadline: float, data: bytearray) -> None:
    """Read into `data` until the response is complete or the server closes."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        sock.settimeout(remaining)
        chunk = sock.recv(65536)
        if not chunk:
            return
        data += chunk
        if len(data) > MAX_RESPONSE:
            raise HttpError("protocol", f"response larger than {MAX_RESPONSE} bytes")
        if _complete(data):
            return


def _split_head(data: bytes | bytearray) -> tuple[str, dict[str, str], bytes] | None:
    """(status line, lower-cased headers, body) once the head is complete, else None."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(data[:end]).decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, bytes(data[end + 4 :])


def _content_length(headers: dict[str, str]) -> int | None:
    """The declared body length; a malformed or oversized one is a protocol error."""
    if "content-length" not in headers or "chunked" in headers.get("transfer-encoding", ""):
        return None
    value = headers["content-length"]
    if not _is_int(value):
        raise HttpError("protocol", f"bad Content-Length {value[:40]!r}")
    length = int(value)
    if length > MAX_RESPONSE:
        raise HttpError("protocol", f"response larger than {MAX_RESPONSE} bytes ({length})")
    return length


def _complete(data: bytearray) -> bool:
    """True once a response with Content-Length or chunked encoding is fully read."""
    parts = _split_head(data)
    if parts is None:
        return False
    _, headers, body = parts
    if "chunked" in headers.get("transfer-encoding", ""):
        return body.endswith(b"0\r\n\r\n")
    length = _content_length(headers)
    return length is not None and len(body) >= length


def parse_response(raw: bytes) -> HttpResponse:
    if not raw:
        raise HttpError("closed", "the server closed the connection without a response")
    parts = _split_head(raw)
    if parts is None:
        raise HttpError("closed", "the server closed the connection in the middle of the headers")
    status_line, headers, body = parts
    fields = status_line.split(" ", 2)
    if len(fields) < 2 or not fields[0].startswith("HTTP/") or not _is_int(fields[1]):
        raise HttpError("protocol", f"not an HTTP response: {status_line[:80]!r}")
    if "chunked" in headers.get("transfer-encoding", ""):
        body = _dechunk(body)
    else:
        length = _content_length(headers)
        if length is not None:
            if len(body) < length:
                raise HttpError(
                    "closed",
                    f"the server closed the connection in the middle of the answer "
                    f"({len(body)} of {length} body bytes)",
                )
            body = body[:length]
    return HttpResponse(int(fields[1]), fields[2] if len(fields) > 2 else "", headers, body)


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
        if not size_text or size_text.strip(b"0123456789abcdefABCDEF"):
            raise HttpError("protocol", "bad chunk size")
        size = int(size_text, 16)
        if size == 0:
            return bytes(out)
        start = line_end + 2
        if start + size > len(data):
            raise HttpError("protocol", "truncated chunked body")
        out += data[start : start + size]
        pos = start + size + 2
