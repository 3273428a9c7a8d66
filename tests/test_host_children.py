"""Programs started through the host die with kata-cli, even when it is SIGKILLed."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from kata_cli.host import run_command, with_parent_death
from tests.conftest import REPO
from tests.processes import process_gone, wait_for

# a parent that starts one hanging program, then waits to be killed: through run_command
# (setpriv on this machine), or with the pre-exec step used where setpriv is missing
PARENT = """
import subprocess, sys
from kata_cli.host import die_with_parent, run_command
argv = ["/bin/sh", "-c", "echo $$ > " + sys.argv[2] + "; exec /bin/sleep 120"]
if sys.argv[1] == "run_command":
    run_command(argv, timeout=120)
else:
    subprocess.run(argv, preexec_fn=die_with_parent(), start_new_session=True, timeout=120)
"""


@pytest.mark.parametrize("way", ["run_command", "pre-exec"])
def test_child_dies_with_a_sigkilled_parent(tmp_path, way):
    pid_file = tmp_path / "pid"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    parent = subprocess.Popen([sys.executable, "-c", PARENT, way, str(pid_file)], env=env)
    try:
        assert wait_for(lambda: pid_file.exists() and pid_file.read_text().strip() != "")
        child = int(pid_file.read_text())
        assert not process_gone(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
    assert wait_for(lambda: process_gone(child)), f"child {child} outlived its parent"


def test_missing_programs_are_still_not_found():
    assert run_command(["kata-cli-no-such-program"], timeout=5).error == "not found"
    assert run_command(["/nonexistent/program"], timeout=5).error == "not found"
    assert run_command(["true"], timeout=5).returncode == 0


def test_the_wrapper_keeps_the_programs_own_name():
    argv, _ = with_parent_death(["sh", "-c", "true"], None, None)
    assert argv[-3:] == ["sh", "-c", "true"]  # argv[0] unchanged: multi-call binaries rely on it
    assert run_command(["sh", "-c", 'echo "$0"'], timeout=5).stdout == b"sh\n"


def test_a_program_that_is_not_executable(tmp_path):
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\nexit 0\n")
    assert run_command([str(script)], timeout=5).error == "permission denied"
    script.chmod(0o755)
    assert run_command([str(script)], timeout=5).returncode == 0
