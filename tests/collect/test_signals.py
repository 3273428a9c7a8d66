"""SIGTERM ends collect-data like Ctrl-C (exit 143), and no child outlives a SIGKILLed kata-cli."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.collect.conftest import stub
from tests.conftest import PINNED_ENV, REPO
from tests.processes import process_gone, reaped, wait_for


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
    with reaped(proc):
        assert wait_for(lambda: len(list(pids.iterdir())) >= 2), "stubs never started"
        started = _started(pids)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == status, err
    assert err.rstrip().endswith(word), err
    assert b"Traceback" not in err
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".never.tar.gz")]
    assert wait_for(lambda: all(process_gone(pid) for pid in started)), started


def test_children_die_with_a_sigkilled_kata_cli(seeded, stubs, tmp_path):
    target = tmp_path / "never.tar.gz"
    proc, pids = _start(seeded, stubs, tmp_path, target)
    with reaped(proc):
        assert wait_for(lambda: len(list(pids.iterdir())) >= 2), "stubs never started"
        started = _started(pids)
        assert not any(process_gone(pid) for pid in started)
        proc.kill()  # SIGKILL: no handler, no cleanup of ours runs
        proc.wait(timeout=30)
    # the kernel's parent-death signal ends them, not us
    assert wait_for(lambda: all(process_gone(pid) for pid in started)), started


def test_the_sigterm_handler_lasts_only_while_a_command_runs(cli):
    before = signal.getsignal(signal.SIGTERM)
    assert cli("--version").exit_code == 0
    assert signal.getsignal(signal.SIGTERM) is before
