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


class EndlessGuest:
    """Answers the marker line with BEGIN, then `y` lines as fast as the reader takes them."""

    def __init__(self) -> None:
        self.sent = 0
        self.started = threading.Event()

    def __call__(self, conn: socket.socket) -> None:
        marker = read_marker(conn)
        if marker is None:
            return
        conn.sendall(marker + b"-BEGIN\n")
        self.started.set()
        chunk = b"y\n" * (512 * 1024)
        try:
            while True:
                conn.sendall(chunk)
                self.sent += len(chunk)
        except OSError:
            return  # kata-cli gave up (its timeout) and closed


def test_exec_of_endless_output_stays_small(fake_host, shim, tmp_path):
    shim("abc").reply("/agent-url", f"hvsock://{HVSOCK}:1024\n")
    guest = EndlessGuest()
    server = FakeHybridVsock(fake_host.local(HVSOCK), guest).start()
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "kata_cli", "--host-root", str(fake_host.root)]
    argv += ["exec", "--timeout", "8", "abc", "--", "yes"]
    try:
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(tmp_path / "out"), *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=150,
        )
    finally:
        server.stop()
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


class HangingGuest:
    """Starts the command (BEGIN), prints a line, then never ends it; records what arrives."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.interrupted = threading.Event()

    def __call__(self, conn: socket.socket) -> None:
        marker = read_marker(conn)
        if marker is None:
            return
        conn.sendall(marker + b"-BEGIN\nworking\n")
        self.started.set()
        conn.settimeout(60)
        try:
            while data := conn.recv(4096):
                if b"\x03" in data:  # kata-cli passed the interrupt on to the guest command
                    self.interrupted.set()
        except OSError:
            return


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_exec_signal_stops_the_guest_command(fake_host, shim, signum, status):
    shim("abc").reply("/agent-url", f"hvsock://{HVSOCK}:1024\n")
    guest = HangingGuest()
    server = FakeHybridVsock(fake_host.local(HVSOCK), guest).start()
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "kata_cli", "--host-root", str(fake_host.root)]
    proc = subprocess.Popen(
        [*argv, "exec", "--timeout", "120", "abc", "--", "sleep", "1000"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert guest.started.wait(30), "the command never started"
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"working\n"  # streamed before the end
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
        assert guest.interrupted.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.stop()
    assert proc.returncode == status, err
    assert b"Traceback" not in err
