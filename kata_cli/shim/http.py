"""A small HTTP/1.1 client over a Unix socket with a real total timeout.

One request per connection (`Connection: close`), the response read until the server
closes it (or until Content-Length / the last chunk), all within `timeout` seconds.
The peer is not trusted: the head is bounded by MAX_HEAD bytes and MAX_HEADERS lines,
the body by MAX_RESPONSE bytes ("answer too large" beyond), every number it sends is
length-checked before conversion, and reading is linear in the size of the answer.
"""

from __future__ import annotations

import socket
import time

from kata_cli.host import Host, connect_local_unix
from kata_cli.record import field, record

# The largest answer accepted (a shim's /metrics is well under 1 MiB; iptables dumps of
# big hosts a few MiB).
MAX_RESPONSE = 64 * 1024 * 1024
MAX_HEAD = 64 * 1024
MAX_HEADERS = 100
_CHUNK = 256 * 1024
# more hex digits than this cannot be a chunk size under MAX_RESPONSE
_MAX_HEX_DIGITS = 16
# Go's net/http sends a chunk per 4 KiB buffer (or per flush): this many chunks are far
# past the cap for any real server, and tiny chunks would otherwise cost seconds of CPU
MAX_CHUNKS = 256 * 1024


class HttpError(Exception):
    """Transport-level failure; `kind` is missing | refused | denied | timeout | closed | protocol."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@record
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
        reader = _Reader(sock, deadline)
        try:
            try:
                sock.sendall(request)
            except OSError:
                pass  # a server that answers without reading the request: read its answer
            return read_response(reader)
        except TimeoutError:
            if reader.received:
                detail = (
                    f"the answer was not complete within {timeout:g}s ({reader.received} bytes)"
                )
            else:
                detail = f"no answer within {timeout:g}s"
            raise HttpError("timeout", detail) from None
    finally:
        sock.close()


class _Reader:
    """Buffered reads from the socket, each bounded by the overall deadline."""

    def __init__(self, sock: socket.socket | None, deadline: float, data: bytes = b"") -> None:
        self.sock = sock
        self.deadline = deadline
        self.buffer = bytearray(data)
        self.received = len(data)
        self.eof = sock is None

    def fill(self) -> bool:
        """Read once more; False at the end of the stream."""
        if self.eof or self.sock is None:
            return False
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(_CHUNK)
        except TimeoutError:
            raise
        except OSError as exc:
            if not self.received:
                raise HttpError("closed", exc.strerror or str(exc)) from None
            chunk = b""  # a reset is an end of stream; what it cut short says so below
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        self.received += len(chunk)
        return True

    def until(self, separator: bytes, limit: int) -> bytes | None:
        """Bytes up to (excluding) `separator`, consumed with it; None at the end of stream.

        Raises "answer too large" when `limit` bytes go by without the separator.
        """
        start = 0
        while True:
            index = self.buffer.find(separator, start)
            if index >= 0:
                if index > limit:
                    break
                data = bytes(self.buffer[:index])
                del self.buffer[: index + len(separator)]
                return data
            if len(self.buffer) > limit:
                break
            start = max(0, len(self.buffer) - len(separator) + 1)
            if not self.fill():
                return None
        raise too_large(f"no line end within {limit} bytes")

    def exactly(self, count: int) -> bytes | None:
        """`count` bytes, or None when the stream ends first (the buffer keeps what came)."""
        while len(self.buffer) < count:
            if not self.fill():
                return None
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def rest(self, limit: int) -> bytes:
        """Everything until the peer closes, at most `limit` bytes."""
        while self.fill():
            if len(self.buffer) > limit:
                raise too_large("the body goes on past the limit")
        if len(self.buffer) > limit:
            raise too_large("the body goes on past the limit")
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def too_large(detail: str) -> HttpError:
    return HttpError(
        "protocol", f"answer too large: {detail} (kata-cli reads at most {MAX_RESPONSE} bytes)"
    )


def read_response(reader: _Reader) -> HttpResponse:
    """Read and parse one response from `reader`."""
    head = reader.until(b"\r\n\r\n", MAX_HEAD)
    if head is None:
        if not reader.received:
            raise HttpError("closed", "the server closed the connection without a response")
        if not bytes(reader.buffer[:5]).startswith(b"HTTP/"[: len(reader.buffer)]):
            raise HttpError("protocol", f"not an HTTP response: {_shown(bytes(reader.buffer))}")
        raise HttpError("closed", "the server closed the connection in the middle of the headers")
    status, reason, headers = _parse_head(head)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _read_chunked(reader)
    else:
        length = _content_length(headers)
        if length is None:
            body = reader.rest(MAX_RESPONSE)
        else:
            data = reader.exactly(length)
            if data is None:
                raise HttpError(
                    "closed",
                    "the server closed the connection in the middle of the answer "
                    f"({len(reader.buffer)} of {length} body bytes)",
                )
            body = data
    return HttpResponse(status, reason, headers, body)


def parse_response(raw: bytes) -> HttpResponse:
    """Parse a complete response already in memory."""
    return read_response(_Reader(None, float("inf"), raw))


def _shown(data: bytes, limit: int = 80) -> str:
    text = repr(data[:limit].decode("latin-1"))
    if len(text) > limit:
        text = text[:limit]
    return text + ("..." if len(data) > limit or len(text) == limit else "")


def _parse_head(head: bytes) -> tuple[int, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    if len(lines) > MAX_HEADERS + 1:
        raise too_large(f"more than {MAX_HEADERS} header lines")
    fields = lines[0].split(" ", 2)
    if (
        len(fields) < 2
        or not fields[0].startswith("HTTP/")
        or len(fields[1]) != 3
        or not _is_int(fields[1])
    ):
        raise HttpError("protocol", f"not an HTTP response: {_shown(head)}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        value = value.strip()
        if name == "content-length" and headers.get(name, value) != value:
            raise HttpError("protocol", "conflicting Content-Length headers")
        headers[name] = value
    reason = fields[2] if len(fields) > 2 else ""
    return int(fields[1]), reason, headers


def _content_length(headers: dict[str, str]) -> int | None:
    """The declared body length; a malformed or oversized one is a protocol error."""
    if "content-length" not in headers:
        return None
    value = headers["content-length"]
    if not _is_int(value):
        raise HttpError("protocol", f"bad Content-Length {value[:40]!r}")
    # compare digit counts first: int() of thousands of digits is refused by Python
    if len(value.lstrip("0")) > len(str(MAX_RESPONSE)) or int(value) > MAX_RESPONSE:
        raise too_large(f"Content-Length {_digits(value)}")
    return int(value)


def _digits(value: str) -> str:
    digits = value.lstrip("0") or "0"
    return digits if len(digits) <= 20 else f"of {len(digits)} digits"


def _is_int(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _read_chunked(reader: _Reader) -> bytes:
    out = bytearray()
    for _ in range(MAX_CHUNKS):
        line = reader.until(b"\r\n", 4096)
        if line is None:
            raise HttpError("closed", "truncated chunked body")
        size_text = line.split(b";")[0].strip()
        if not size_text or size_text.strip(b"0123456789abcdefABCDEF"):
            raise HttpError("protocol", "bad chunk size")
        if len(size_text.lstrip(b"0")) > _MAX_HEX_DIGITS:
            raise too_large(f"a chunk size of more than {_MAX_HEX_DIGITS} hex digits")
        size = int(size_text, 16)
        if size == 0:
            _skip_trailers(reader)
            return bytes(out)
        if len(out) + size > MAX_RESPONSE:
            raise too_large("the chunks go on past the limit")
        data = reader.exactly(size)
        if data is None:
            raise HttpError("closed", "truncated chunked body")
        out += data
        end = reader.exactly(2)
        if end is None:
            raise HttpError("closed", "truncated chunked body")
        if end != b"\r\n":
            raise HttpError("protocol", "bad chunk: no line end after its data")
    raise too_large(f"more than {MAX_CHUNKS} chunks")


def _skip_trailers(reader: _Reader) -> None:
    """Trailer lines after the last chunk, up to the empty line (a close also ends them)."""
    for _ in range(MAX_HEADERS + 1):
        line = reader.until(b"\r\n", MAX_HEAD)
        if not line:  # the empty line, or the peer closed: the body is complete either way
            return
    raise too_large(f"more than {MAX_HEADERS} trailer lines")
