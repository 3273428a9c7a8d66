"""SIGTERM ends collect-data like Ctrl-C (exit 143), and no child outlives a SIGKILLed kata-cli."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.collect.conftest import stub
from tests.conftest import PINNED_ENV, REPO


def _wait_for(condition, limit: float = 15.0) -> bool:
    """Poll an observable condition (pid files, process states) up to a generous bound."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True
    return state in ("Z", "X")


def _start(seeded, stubs, tmp_path, target: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """collect-data with two stubs that record their pid and hang (exec: same process)."""
    pids = tmp_path / "pids"
    pids.mkdir()
    for name in ("docker", "kubectl"):
        stub(stubs, name, f"echo $$ > {pids}/{name}-$$\nexec /bin/sleep 120\n")
    env = {k: v for k, v in os.environ.items() if k not in PINNED_ENV}
    env.update({"PATH": f"{stubs}:/usr/bin:/bin", "NO_COLOR": "1", "PYTHONPATH": str(REPO)})
    argv = [sys.executable, "-m", "kata_cli", "--host-root", str(seeded.root), "collect-data"]
    proc = subprocess.Popen(
        [*argv, "--timeout", "120", "--deadline", "120", "--output", str(target)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    return proc, pids


def _started(pids: Path) -> list[int]:
    return [int(p.name.rsplit("-", 1)[1]) for p in pids.iterdir()]


@pytest.mark.parametrize(
    ("signum", "status", "word"),
    [(signal.SIGTERM, 143, b"terminated"), (signal.SIGINT, 130, b"interrupted")],
)
def test_signal_ends_collect_data_cleanly(seeded, stubs, tmp_path, signum, status, word):
    target = tmp_path / "never.tar.gz"
    proc, pids = _start(seeded, stubs, tmp_path, target)
    try:
        assert _wait_for(lambda: len(list(pids.iterdir())) >= 2), "stubs never started"
        started = _started(pids)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == status, err
    assert err.rstrip().endswith(word), err
    assert b"Traceback" not in err
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".never.tar.gz")]
    assert _wait_for(lambda: all(_gone(pid) for pid in started)), started


def test_children_die_with_a_sigkilled_kata_cli(seeded, stubs, tmp_path):
    target = tmp_path / "never.tar.gz"
    proc, pids = _start(seeded, stubs, tmp_path, target)
    try:
        assert _wait_for(lambda: len(list(pids.iterdir())) >= 2), "stubs never started"
        started = _started(pids)
        assert not any(_gone(pid) for pid in started)
        proc.kill()  # SIGKILL: no handler, no cleanup of ours runs
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # the kernel's parent-death signal ends them, not us
    assert _wait_for(lambda: all(_gone(pid) for pid in started)), started


def test_the_sigterm_handler_lasts_only_while_a_command_runs(cli):
    before = signal.getsignal(signal.SIGTERM)
    assert cli("--version").exit_code == 0
    assert signal.getsignal(signal.SIGTERM) is before
