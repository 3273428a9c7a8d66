from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kata_cli.console.hvsock import connect_hybrid_vsock
from kata_cli.console.oneshot import MarkerParser, command_line, run_oneshot
from kata_cli.errors import KataError

from .conftest import shell_guest


def _connect(server):
    return connect_hybrid_vsock(str(server.path), 1026, deadline=time.monotonic() + 3)


def test_real_shell_output_and_status(hybrid_vsock):
    server = hybrid_vsock(shell_guest)
    with _connect(server) as sock:
        output, status = run_oneshot(
            sock, ["sh", "-c", "printf 'one\\ntwo\\n'; exit 42"], timeout=20
        )
    assert output == b"one\ntwo\n"
    assert status == 42


def test_real_shell_quotes_arguments_and_keeps_missing_newline(hybrid_vsock):
    server = hybrid_vsock(shell_guest)
    with _connect(server) as sock:
        output, status = run_oneshot(sock, ["printf", "%s|", "a b", "it's", "$HOME"], timeout=20)
    assert output == b"a b|it's|$HOME|"
    assert status == 0


def test_canned_shell_crlf_noise_and_status():
    marker = "KATACLItest"
    parser = MarkerParser(marker)
    stream = (
        b"banner\r\nguest# stty -opost\r\n"
        + f"{marker}-BEGIN\r\n".encode()
        + b"one\r\ntwo\r\n"
        + f"{marker}-END:42\r\n".encode()
    )
    for index in range(len(stream)):  # byte by byte: markers split across reads
        parser.feed(stream[index : index + 1])
    assert parser.done
    assert parser.output == b"one\ntwo\n"
    assert parser.status == 42


def test_output_without_trailing_newline_is_byte_exact():
    parser = MarkerParser("M1")
    parser.feed(b"M1-BEGIN\nno newline\r\x00M1-END:0\n")
    assert parser.output == b"no newline\r\x00"
    assert parser.status == 0


def test_echo_of_typed_line_is_not_taken_for_the_marker():
    line = command_line(["true"], "MX")
    parser = MarkerParser("MX")
    parser.feed(line.replace(b"\n", b"\r\n"))
    assert not parser.started


@given(st.binary(max_size=300), st.integers(min_value=0, max_value=255), st.integers(1, 50))
def test_any_output_round_trips(payload, status, chunk):
    parser = MarkerParser("KATACLIabc")
    stream = b"noise\nKATACLIabc-BEGIN\n" + payload + f"KATACLIabc-END:{status}\n".encode()
    for start in range(0, len(stream), chunk):
        parser.feed(stream[start : start + chunk])
    if b"KATACLIabc-END:" in payload:
        return  # a command printing our marker is indistinguishable from the end
    assert parser.output == payload
    assert parser.status == status


def test_guest_closing_early_is_an_error(hybrid_vsock):
    server = hybrid_vsock(lambda conn: None)
    with _connect(server) as sock, pytest.raises(KataError, match="closed before"):
        run_oneshot(sock, ["true"], timeout=5)


def test_silent_guest_times_out(hybrid_vsock):
    release = threading.Event()  # the guest stays silent, and open, until the test is done
    server = hybrid_vsock(lambda conn: conn.recv(10_000) and release.wait(30))
    try:
        with _connect(server) as sock, pytest.raises(KataError, match=r"timed out after 0\.3s"):
            run_oneshot(sock, ["true"], timeout=0.3)
    finally:
        release.set()


@given(st.binary(max_size=200), st.integers(1, 30), st.booleans())
def test_streamed_output_equals_final_output(payload, chunk, crlf):
    parser = MarkerParser("MK")
    end = b"\r\n" if crlf else b"\n"
    stream = b"MK-BEGIN" + end + payload + b"MK-END:3" + end
    if b"MK-END:" in payload:
        return
    streamed = b""
    for start in range(0, len(stream), chunk):
        parser.feed(stream[start : start + chunk])
        streamed += parser.take()
    streamed += parser.take()
    assert streamed == parser.output
    assert parser.status == 3


def test_run_oneshot_streams_to_callback(hybrid_vsock):
    server = hybrid_vsock(shell_guest)
    pieces = []
    with _connect(server) as sock:
        output, status = run_oneshot(
            sock, ["sh", "-c", "echo a; echo b"], timeout=20, on_output=pieces.append
        )
    assert b"".join(pieces) == b"a\nb\n"
    assert output == b""  # streamed output is handed out, not kept
    assert status == 0


@pytest.mark.parametrize(
    "status_line",
    [b"M1-END:" + b"9" * 5000 + b"\n", b"M1-END:" + b"9" * 5000],
)
def test_absurd_status_is_a_clear_error(status_line):
    parser = MarkerParser("M1")
    with pytest.raises(KataError, match="impossible exit status"):
        parser.feed(b"M1-BEGIN\nout\n" + status_line)


def test_marker_lookalike_with_long_tail_is_output_not_a_hang():
    parser = MarkerParser("M1", keep=False)
    taken = bytearray()
    parser.feed(b"M1-BEGIN\n")
    for _ in range(100):  # bounded memory: the lookalike is handed out as output
        parser.feed(b"M1-END:x" + b"z" * 1000)
        taken += parser.take()
    parser.feed(b"M1-END:3\n")
    taken += parser.take()
    assert parser.status == 3
    assert taken == (b"M1-END:x" + b"z" * 1000) * 100
