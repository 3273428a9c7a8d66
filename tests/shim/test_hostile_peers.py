"""Hostile shims (HTTP on Unix sockets): bounded, linear reads and short, clear errors.

Each fake peer is a raw Unix-socket server in a tmp dir running a `serve(conn)` script,
so it can send what no real HTTP server would: endless headers, 5000-digit numbers,
bodies past the cap, NULs, resets and silence.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kata_cli.shim.http import MAX_HEAD, MAX_RESPONSE, HttpError, unix_http_request

from .conftest import bind_unix

Serve = Callable[[socket.socket], None]
OK_HEAD = b"HTTP/1.1 200 OK\r\n"


class RawPeer:
    """Accepts connections on `path`; each one reads the request, then runs `serve`."""

    def __init__(self, path: Path, serve: Serve) -> None:
        self.path = path
        self.serve = serve
        self.stop = threading.Event()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        bind_unix(self.server, path)
        self.server.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(10)
                request = b""
                while b"\r\n\r\n" not in request:
                    data = conn.recv(65536)
                    if not data:
                        return
                    request += data
                self.serve(conn)
            except OSError:
                pass  # the client gave up (its cap or timeout): expected

    def close(self) -> None:
        self.stop.set()
        self.server.close()


@pytest.fixture
def peer(tmp_path: Path) -> Iterator[Callable[..., RawPeer]]:
    peers: list[RawPeer] = []

    def make(serve: Serve, path: Path | None = None) -> RawPeer:
        made = RawPeer(path or tmp_path / "peer.sock", serve)
        peers.append(made)
        return made

    yield make
    for made in peers:
        made.close()


def send(payload: bytes) -> Serve:
    return lambda conn: conn.sendall(payload)


def forever(first: bytes, piece: bytes) -> Serve:
    def serve(conn: socket.socket) -> None:
        conn.sendall(first)
        block = piece * max(1, 65536 // len(piece))
        while True:
            conn.sendall(block)

    return serve


def _get(peer: RawPeer, timeout: float = 5.0):
    return unix_http_request(str(peer.path), "GET", "/metrics", timeout=timeout)


def _fails(peer: RawPeer, kind: str, needle: str, timeout: float = 5.0) -> HttpError:
    with pytest.raises(HttpError) as info:
        _get(peer, timeout)
    assert info.value.kind == kind, info.value.detail
    assert needle in info.value.detail
    assert len(info.value.detail) < 300
    return info.value


# -- size and time ---------------------------------------------------------------------


def _chunked(body: bytes, size: int) -> bytes:
    parts = [
        b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


@pytest.mark.parametrize("mib", [12, 24, 48])
@pytest.mark.parametrize("framing", ["length", "close", "chunked"])
def test_big_answers_are_read_in_linear_time(peer, mib, framing):
    body = bytes(range(256)) * (mib * 4096)
    if framing == "length":
        payload = OK_HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body
    elif framing == "close":
        payload = OK_HEAD + b"\r\n" + body
    else:
        payload = OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(body, 4096)
    started = time.monotonic()
    response = _get(peer(send(payload)), timeout=60)
    elapsed = time.monotonic() - started
    assert response.body == body
    # quadratic reading took 2.2 s for 12 MiB and timed out at 24; linear is well under
    # a second per 12 MiB even on a loaded machine: the bound is generous on purpose
    assert elapsed < mib / 2, f"{mib} MiB took {elapsed:.2f}s"


@pytest.mark.parametrize(
    "serve",
    [
        pytest.param(
            send(OK_HEAD + b"Content-Length: %d\r\n\r\n" % (MAX_RESPONSE + 1)), id="length"
        ),
        pytest.param(forever(OK_HEAD + b"\r\n", b"x"), id="endless-body"),
        pytest.param(
            forever(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n", b"4\r\nabcd\r\n"),
            id="endless-chunks",
        ),
        pytest.param(
            send(OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + b"f" * 5000 + b"\r\n"),
            id="5000-hex-digit-chunk",
        ),
        pytest.param(
            send(OK_HEAD + b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n"), id="5000-digit-length"
        ),
        pytest.param(forever(OK_HEAD, b"X-Endless: yes\r\n"), id="endless-headers"),
        pytest.param(forever(b"HTTP/1.1 200 ", b"O"), id="endless-status-line"),
        pytest.param(send(OK_HEAD + b"X: y\r\n" * 500 + b"\r\n"), id="too-many-headers"),
        pytest.param(
            send(
                OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n" + b"T: x\r\n" * 500
            ),
            id="too-many-trailers",
        ),
    ],
)
def test_too_large_is_said_so_within_the_cap(peer, serve):
    error = _fails(peer(serve), "protocol", "answer too large", timeout=30)
    assert str(MAX_RESPONSE) in error.detail


@pytest.mark.parametrize(
    ("payload", "kind", "needle"),
    [
        (b"HTTP/1.1 " + b"2" * 5000 + b" OK\r\n\r\n", "protocol", "not an HTTP response"),
        (b"HTTP/1.1 2000 OK\r\n\r\n", "protocol", "not an HTTP response"),
        (b"HTTP/1.1 -20 OK\r\n\r\n", "protocol", "not an HTTP response"),
        (b"HTTP/1.1 \xd9\xa2\xd9\xa0\xd9\xa0 OK\r\n\r\n", "protocol", "not an HTTP response"),
        (OK_HEAD + b"Content-Length: 1e3\r\n\r\n", "protocol", "bad Content-Length"),
        (OK_HEAD + b"Content-Length: \xd9\xa3\r\n\r\n", "protocol", "bad Content-Length"),
        (
            OK_HEAD + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            "protocol",
            "conflicting",
        ),
        (OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcXY", "protocol", "bad chunk"),
        (OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", "protocol", "bad chunk size"),
        (OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nab", "closed", "truncated"),
        (OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n", "closed", "truncated"),
        (OK_HEAD + b"Content-Length: 10\r\n\r\nabc", "closed", "3 of 10 body bytes"),
        (OK_HEAD + b"Content-Le", "closed", "middle of the headers"),
        (b"SSH-2.0-OpenSSH_9.2\r\n", "protocol", "not an HTTP response"),
        (b"\x00" * 100, "protocol", "not an HTTP response"),
        (b"", "closed", "without a response"),
    ],
)
def test_broken_answers_are_clear_errors(peer, payload, kind, needle):
    _fails(peer(send(payload)), kind, needle)


def test_silent_peer_times_out(peer):
    target = peer(lambda conn: target.stop.wait(10))
    started = time.monotonic()
    _fails(target, "timeout", "no answer within 0.3s", timeout=0.3)
    assert time.monotonic() - started < 5


def test_trickling_peer_is_bounded_by_the_total_timeout(peer):
    def trickle(conn: socket.socket) -> None:
        conn.sendall(OK_HEAD + b"Content-Length: 1000\r\n\r\n")
        while not target.stop.wait(0.05):
            conn.sendall(b"x")

    target = peer(trickle)
    started = time.monotonic()
    _fails(target, "timeout", "not complete within 0.5s", timeout=0.5)
    assert time.monotonic() - started < 5


# -- what is accepted -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "body"),
    [
        (OK_HEAD + b"Content-Length: 4\r\n\r\n\x00\xff\xfe\x00", b"\x00\xff\xfe\x00"),
        (OK_HEAD + b"X-Bin: \xff\x00\x01\r\nContent-Length: 2\r\n\r\nok", b"ok"),
        (OK_HEAD + b"Content-Length: 0002\r\n\r\nok", b"ok"),
        (OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n2;ext=1\r\nok\r\n0\r\nT: v\r\n\r\n", b"ok"),
        (OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n", b"ok"),  # close after
        (OK_HEAD + b"Transfer-Encoding: Chunked\r\n\r\n00002\r\nok\r\n0\r\n\r\n", b"ok"),
        (b"HTTP/1.1 200\r\n\r\nno reason phrase", b"no reason phrase"),
    ],
)
def test_odd_but_valid_answers(peer, payload, body):
    assert _get(peer(send(payload))).body == body


def test_reset_after_a_complete_answer_is_the_answer(peer):
    def reset(conn: socket.socket) -> None:
        conn.sendall(OK_HEAD + b"\r\nwhole body")
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")

    assert _get(peer(reset)).body == b"whole body"


def test_head_limit_is_documented_and_sane():
    assert 4096 <= MAX_HEAD <= MAX_RESPONSE


# -- through the commands: one short line on stderr ------------------------------------


@pytest.fixture
def run(cli, fake_host):
    def invoke(*args):
        return cli("--host-root", str(fake_host.root), *args)

    return invoke


def _one_short_line(result, limit: int = 1400) -> str:
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr[:300]
    assert len(result.stderr) < limit, len(result.stderr)
    return result.stderr


def test_huge_error_body_is_quoted_short(run, shim):
    shim("sb").reply("/metrics", b"E" * (10 * 1024 * 1024), status=500)
    line = _one_short_line(run("metrics", "sb"))
    assert "status code: 500" in line
    assert "more characters)" in line


def test_control_characters_of_a_body_are_escaped(run, shim):
    shim("sb").reply("/metrics", b"bad\x1b[2J\x07 news", status=500)
    line = _one_short_line(run("metrics", "sb"))
    assert "\x1b" not in line and "\x07" not in line
    assert "bad\\x1b[2J\\x07 news" in line


HOSTILE_BODY = b"up 1\x1b]0;owned\x07\x1b[2J\r\nrule\tA\n"
PEER_OUTPUTS = [
    (("metrics", "sb"), "/metrics"),
    (("iptables", "get", "--sandbox-id", "sb"), "/iptables"),
]


@pytest.mark.parametrize(("args", "endpoint"), PEER_OUTPUTS, ids=["metrics", "iptables"])
def test_a_peers_answer_is_escaped_on_a_terminal_and_verbatim_in_a_pipe(
    run, cli, shim, args, endpoint
):
    """An escape sequence in a shim's answer used to act on the user's terminal (set
    its title, clear the screen); a pipe still gets the bytes as sent."""
    shim("sb").reply(endpoint, HOSTILE_BODY)
    piped = run(*args)
    assert (piped.exit_code, piped.stdout) == (0, HOSTILE_BODY.decode() + "\n")
    cli.environment["stdout_isatty"] = True
    shown = run(*args)
    assert shown.exit_code == 0
    assert shown.stdout == "up 1\\x1b]0;owned\\x07\\x1b[2J\\r\nrule\tA\n\n"


def test_volume_stats_are_escaped_on_a_terminal(run, cli, shim, fake_host):
    from kata_cli.shim.volumes import VOLUMES_ROOT

    info = '{"volume-type": "block", "device": "/dev/sda", "fstype": "ext4"}'
    fake_host.file(f"{VOLUMES_ROOT}/L2EvYi9j/mountInfo.json", info)
    fake_host.file(f"{VOLUMES_ROOT}/L2EvYi9j/sb", "")
    shim("sb").reply("/direct-volume/stats", b'{"usage":"\x1b[2J"}')
    assert run("direct-volume", "stats", "--volume-path", "/a/b/c").stdout == (
        '{"usage":"\x1b[2J"}\n'
    )
    cli.environment["stdout_isatty"] = True
    shown = run("direct-volume", "stats", "--volume-path", "/a/b/c")
    assert shown.stdout == '{"usage":"\\x1b[2J"}\n'


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("vsock://" + "9" * 5000 + ":1024", "vsock addr CID is INVALID"),
        ("vsock://3:" + "9" * 5000, "invalid port in agent URL"),
        ("vsock://99999999999:1024", "vsock addr CID is INVALID"),
        ("vsock://3:4294967296", "invalid port in agent URL"),
        ("hvsock:///run/x:" + "7" * 5000, "invalid port in agent URL"),
        ("x" * (10 * 1024 * 1024), "invalid agent URL"),
        ("vsock://" + ":" * 100000, "Invalid vsock scheme"),
        ("ftp" * 100000 + "://x", "not found"),
        ("vsock://\u0663:1024", "vsock addr CID is INVALID"),  # an Arabic-Indic digit
    ],
)
def test_absurd_agent_urls_are_clear_errors(run, shim, url, needle):
    shim("sb").reply("/agent-url", url)
    line = _one_short_line(run("exec", "sb", "--", "true"), limit=2600)
    assert needle in line


def test_absurd_status_from_a_shim(run, fake_host, peer):
    path = fake_host.local("/run/vc/sbs/sb/shim-monitor.sock")
    peer(send(b"HTTP/1.1 " + b"5" * 5000 + b" Oops\r\n\r\n"), path=path)
    line = _one_short_line(run("metrics", "sb"))
    assert "not an HTTP response" in line


def test_endless_headers_from_a_shim(run, fake_host, peer):
    path = fake_host.local("/run/vc/sbs/sb/shim-monitor.sock")
    peer(forever(OK_HEAD, b"X-More: yes\r\n"), path=path)
    line = _one_short_line(run("metrics", "sb"))
    assert "answer too large" in line


def test_answer_past_the_cap_from_a_shim(run, fake_host, peer):
    path = fake_host.local("/run/vc/sbs/sb/shim-monitor.sock")
    peer(send(OK_HEAD + b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n"), path=path)
    line = _one_short_line(run("iptables", "get", "--sandbox-id", "sb"))
    assert "answer too large" in line
