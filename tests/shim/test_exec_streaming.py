"""One-shot `exec` against hostile guests: streamed output, bounded memory, clean signals."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading

import pytest

from tests.console.conftest import FakeHybridVsock
from tests.processes import reaped

HVSOCK = "/run/vc/vm/abc/kata.hvsock"
# Measured in a wrapper process so the figure is this kata-cli alone, not earlier children.
_MEASURE = """
import resource, subprocess, sys
with open(sys.argv[1], "wb") as sink:
    done = subprocess.run(sys.argv[2:], stdout=sink, stderr=subprocess.PIPE, timeout=120)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(done.returncode, usage.ru_maxrss, done.stderr.decode("utf-8", "replace").strip())
"""


def read_marker(conn: socket.socket) -> bytes | None:
    """The one-shot marker kata-cli sends (`M=KATACLI...;`), or None if it hangs up first."""
    received = bytearray()
    while (match := re.search(rb"M=(KATACLI[0-9a-f]+);", received)) is None:
        data = conn.recv(4096)
        if not data:
            return None
        received += data
    return match.group(1)


class MarkerGuest:
    """Answers kata-cli's marker line with BEGIN (and `first` output), sets `started`,
    then does `after_begin`; kata-cli closing the connection ends it."""

    first = b""

    def __init__(self) -> None:
        self.started = threading.Event()

    def __call__(self, conn: socket.socket) -> None:
        marker = read_marker(conn)
        if marker is None:
            return
        conn.sendall(marker + b"-BEGIN\n" + self.first)
        self.started.set()
        try:
            self.after_begin(conn)
        except OSError:
            return  # kata-cli gave up (its timeout, a signal) and closed

    def after_begin(self, conn: socket.socket) -> None:
        raise NotImplementedError


class EndlessGuest(MarkerGuest):
    """`y` lines as fast as the reader takes them."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def after_begin(self, conn: socket.socket) -> None:
        chunk = b"y\n" * (512 * 1024)
        while True:
            conn.sendall(chunk)
            self.sent += len(chunk)


@pytest.fixture
def serve(fake_host, shim):
    """Start sandbox `abc` with `guest` behind its debug console; stopped after the test.
    Returns the argv of kata-cli on that host root and the environment to run it in."""
    servers = []

    def start(guest: MarkerGuest) -> tuple[list[str], dict[str, str]]:
        shim("abc").reply("/agent-url", f"hvsock://{HVSOCK}:1024\n")
        servers.append(FakeHybridVsock(fake_host.local(HVSOCK), guest).start())
        env = {**os.environ, "PYTHONPATH": os.getcwd(), "NO_COLOR": "1"}
        return [sys.executable, "-m", "kata_cli", "--host-root", str(fake_host.root)], env

    yield start
    for server in servers:
        server.stop()


def test_exec_of_endless_output_stays_small(serve, tmp_path):
    guest = EndlessGuest()
    argv, env = serve(guest)
    argv += ["exec", "--timeout", "8", "abc", "--", "yes"]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(tmp_path / "out"), *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=150,
    )
    status, max_rss_kib, stderr = done.stdout.split(" ", 2)
    assert guest.started.is_set()
    assert status == "1"
    assert "timed out after 8s waiting for the command to finish" in stderr
    written = (tmp_path / "out").stat().st_size
    report = {"sent_mib": guest.sent >> 20, "written_mib": written >> 20, "rss_kib": max_rss_kib}
    print(json.dumps(report))
    # enough output went through that keeping it would have blown the bound
    assert guest.sent > 150 * 1024 * 1024, report
    assert written > 150 * 1024 * 1024, report
    assert int(max_rss_kib) < 100 * 1024, report


class HangingGuest(MarkerGuest):
    """Starts the command, prints a line, then never ends it; records an interrupt."""

    first = b"working\n"

    def __init__(self) -> None:
        super().__init__()
        self.interrupted = threading.Event()

    def after_begin(self, conn: socket.socket) -> None:
        conn.settimeout(60)
        while data := conn.recv(4096):
            if b"\x03" in data:  # kata-cli passed the interrupt on to the guest command
                self.interrupted.set()


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_exec_signal_stops_the_guest_command(serve, signum, status):
    guest = HangingGuest()
    argv, env = serve(guest)
    proc = subprocess.Popen(
        [*argv, "exec", "--timeout", "120", "abc", "--", "sleep", "1000"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    with reaped(proc):
        assert guest.started.wait(30), "the command never started"
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"working\n"  # streamed before the end
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
        assert guest.interrupted.wait(10)
    assert proc.returncode == status, err
    assert b"Traceback" not in err
