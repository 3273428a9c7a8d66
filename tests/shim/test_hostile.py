"""Hostile shims, sockets, state files and arguments: one line on stderr, never a hang."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from kata_cli.errors import KataError
from kata_cli.host import Host
from kata_cli.shim.http import HttpError, unix_http_request
from kata_cli.shim.sandboxes import list_sandboxes

from .conftest import refusing_socket


@pytest.fixture
def run(cli, fake_host):
    def invoke(*args):
        return cli("--host-root", str(fake_host.root), *args)

    return invoke


@pytest.fixture
def raw_shim(fake_host):
    """A shim socket for sandbox `sb` that answers every request with fixed bytes."""
    servers: list[socket.socket] = []
    stop = threading.Event()

    def make(payload: bytes, then_hang: bool = False, sandbox: str = "sb") -> None:
        path = fake_host.local(f"/run/vc/sbs/{sandbox}/shim-monitor.sock")
        path.parent.mkdir(parents=True, exist_ok=True)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(path))
        server.listen(4)
        servers.append(server)

        def serve() -> None:
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn:
                    conn.recv(65536)
                    conn.sendall(payload)
                    if then_hang:
                        stop.wait(10)

        threading.Thread(target=serve, daemon=True).start()

    yield make
    stop.set()
    for server in servers:
        server.close()


def _request(fake_host, timeout: float = 2.0):
    path = fake_host.local("/run/vc/sbs/sb/shim-monitor.sock")
    return unix_http_request(str(path), "GET", "/metrics", timeout=timeout)


@pytest.mark.parametrize(
    ("payload", "kind", "needle"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc", "closed", "3 of 100 body bytes"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nabc", "protocol", "bad Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", "protocol", "answer too large"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", "closed", "middle of the headers"),
        (b"\x00\xffgarbage\r\n\r\n", "protocol", "not an HTTP response"),
    ],
)
def test_broken_answers_are_errors_not_data(fake_host, raw_shim, payload, kind, needle):
    raw_shim(payload)
    with pytest.raises(HttpError) as info:
        _request(fake_host)
    assert info.value.kind == kind
    assert needle in info.value.detail


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"-5\r\nabc\r\n0\r\n\r\n", "protocol"),
        (b"0x3\r\nabc\r\n0\r\n\r\n", "protocol"),
        (b"ff\r\nabc\r\n0\r\n\r\n", "closed"),  # the peer closed inside the 255-byte chunk
    ],
)
def test_bad_chunks_never_loop_or_pass(fake_host, raw_shim, body, kind):
    raw_shim(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    with pytest.raises(HttpError) as info:
        _request(fake_host)
    assert info.value.kind == kind


def test_partial_answer_then_silence_says_so(fake_host, raw_shim):
    raw_shim(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nabc", then_hang=True)
    start = time.monotonic()
    with pytest.raises(HttpError) as info:
        _request(fake_host, timeout=0.3)
    assert time.monotonic() - start < 2
    assert info.value.kind == "timeout"
    assert "not complete" in info.value.detail


def test_truncated_answer_through_the_cli(run, raw_shim):
    raw_shim(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
    result = run("metrics", "sb")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "middle of the answer (3 of 100 body bytes)" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(("kind", "name"), [("file", "regular file"), ("dir", "directory")])
def test_socket_path_that_is_not_a_socket(run, fake_host, kind, name):
    path = "/run/vc/sbs/sb/shim-monitor.sock"
    if kind == "file":
        fake_host.file(path, "x")
    else:
        fake_host.local(path).mkdir(parents=True)
    result = run("metrics", "sb")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path} is not a socket (it is a {name})")
    assert result.stderr.count("\n") == 1


def test_permission_denied_on_the_socket(run, cli, fake_host):
    class DenyingConnects(Host):
        def connect_unix(self, host_path, timeout):
            raise PermissionError(13, "Permission denied")

    cli.host_type = DenyingConnects
    with refusing_socket(fake_host.local("/run/vc/sbs/sb/shim-monitor.sock")):
        result = run("metrics", "sb")
    assert result.exit_code == 1
    assert "permission denied" in result.stderr
    assert "sudo" in result.stderr
    assert result.stderr.count("\n") == 1


def test_very_long_id_is_one_line(run):
    result = run("exec", "a" * 5000)
    assert result.exit_code == 1
    assert result.stderr.startswith("invalid container/sandbox ID (longer than 255 characters)")
    assert len(result.stderr) < 200


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ("{not json", "is not valid JSON"),
        ("[" * 100000, "is not valid JSON"),
        ("[1, 2]", "does not hold a JSON object"),
        ('{"AgentState": {"URL": ["x"]}}', "holds no agent URL"),
    ],
)
def test_unusable_persist_json_is_named_when_falling_back(run, fake_host, state, reason):
    fake_host.file("/run/vc/sbs/sb/persist.json", state)
    with refusing_socket(fake_host.local("/run/vc/sbs/sb/shim-monitor.sock")):
        result = run("exec", "sb", "--", "true")
    assert result.exit_code == 1
    assert f"no agent URL to fall back on: /run/vc/sbs/sb/persist.json {reason}" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("pid", [2**70, 2**40, True, -3, "12"])
def test_implausible_hypervisor_pids_are_ignored(fake_host, pid):
    import json

    fake_host.file("/run/vc/sbs/sb/persist.json", json.dumps({"HypervisorState": {"Pid": pid}}))
    (info,) = list_sandboxes(fake_host.host)
    assert (info.hypervisor_pid, info.hypervisor_alive) == (None, None)


def test_deeply_nested_state_does_not_break_the_list(run, fake_host):
    fake_host.file("/run/vc/sbs/sb/persist.json", "[" * 100000)
    result = run("sandbox", "list", "--json", "--no-probe")
    assert result.exit_code == 0
    assert '"id": "sb"' in result.stdout


def test_hybrid_vsock_path_that_is_a_regular_file_says_why(tmp_path):
    from kata_cli.console.hvsock import connect_hybrid_vsock

    (tmp_path / "kata.hvsock").write_text("x")
    with pytest.raises(KataError) as info:
        connect_hybrid_vsock(str(tmp_path / "kata.hvsock"), 1026, deadline=time.monotonic() + 0.2)
    assert "timed out connecting to hybrid vsocket" in info.value.message
    assert "Connection refused" in (info.value.hint or "")


def test_hung_shims_are_probed_in_parallel(fake_host, shim):
    for index in range(6):
        shim(f"hung{index}").hang("/agent-url")
    start = time.monotonic()
    found = list_sandboxes(fake_host.host, probe=True, timeout=0.5)
    assert time.monotonic() - start < 2.5  # one timeout, not six
    assert [info.shim_answers for info in found] == [False] * 6


def test_iptables_file_that_is_a_directory(run, shim, tmp_path):
    shim("sb")
    result = run("iptables", "set", "--sandbox-id", "sb", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == f"iptables file is a directory: {tmp_path}\n"


def test_iptables_rules_from_a_pipe(run, shim):
    import os

    server = shim("sb")
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"*filter\nCOMMIT\n")
    os.close(write_fd)
    try:
        result = run("iptables", "set", "--sandbox-id", "sb", f"/dev/fd/{read_fd}")
    finally:
        os.close(read_fd)
    assert (result.exit_code, result.stderr) == (0, "")
    assert server.requests[0].body == b"*filter\nCOMMIT\n"


DIGITS = "9" * 5000


@pytest.mark.parametrize(
    "payload",
    [
        f"HTTP/1.1 {DIGITS} OK\r\nContent-Length: 2\r\n\r\nok".encode(),
        f"HTTP/1.1 200 OK\r\nContent-Length: {DIGITS}\r\n\r\nok".encode(),
        b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
    ],
    ids=["5000-digit-status", "5000-digit-content-length", "4-digit-status"],
)
@pytest.mark.parametrize(
    "args",
    [
        ("metrics", "sb"),
        ("iptables", "get", "--sandbox-id", "sb"),
        ("sandbox", "list"),
    ],
    ids=lambda args: args[0],
)
def test_absurd_numbers_from_a_shim_are_protocol_errors(run, raw_shim, payload, args):
    raw_shim(payload)
    result = run(*args)
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    if args[0] != "sandbox":
        assert result.exit_code == 1
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert len(result.stderr) < 1500  # the number is quoted short, not whole
