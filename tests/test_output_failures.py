"""Standard output that cannot be written: one line naming it, status 1, never "internal
error"; a closed pipe stays silent; empty output file names are usage errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import MINIMAL_QEMU_CONFIG, PINNED_ENV, REPO, FakeHost


def _installed(fake: FakeHost) -> None:
    fake.cpuinfo()
    fake.modules("kvm", "kvm_intel", "vhost", "vhost_net", "vhost_vsock")
    fake.meminfo()
    fake.os_release()
    fake.proc_version()
    fake.config(MINIMAL_QEMU_CONFIG)
    fake.assets(MINIMAL_QEMU_CONFIG)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PINNED_ENV}
    env.update({"NO_COLOR": "1", "PYTHONPATH": str(REPO)})
    return env


def _shell(command: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m kata_cli ARGS` with the shell redirection `command` ("{cli}" marks it)."""
    cli = " ".join([sys.executable, "-m", "kata_cli", *(f"'{a}'" for a in args)])
    return subprocess.run(
        ["sh", "-c", command.format(cli=cli)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )


ARGVS = [
    ["--version"],  # answered before click
    ["--help"],  # click's own echo
    ["env"],  # the fast path
    ["env", "--json"],
    ["check", "-n", "-v"],
    ["config", "show"],  # through click
]


@pytest.mark.parametrize("argv", ARGVS, ids=" ".join)
def test_a_full_disk_is_named_in_one_line(fake_host, argv):
    _installed(fake_host)
    proc = _shell("exec {cli} > /dev/full", "--host-root", str(fake_host.root), *argv)
    assert proc.returncode == 1
    assert proc.stderr == "kata-cli: cannot write standard output: No space left on device\n"


@pytest.mark.parametrize("argv", ARGVS, ids=" ".join)
def test_a_closed_standard_output_is_named_in_one_line(fake_host, argv):
    _installed(fake_host)
    proc = _shell("exec {cli} >&-", "--host-root", str(fake_host.root), *argv)
    assert proc.returncode == 1
    assert proc.stderr == "kata-cli: cannot write standard output: Bad file descriptor\n"


def test_a_command_that_writes_nothing_to_a_closed_stdout_keeps_its_status(fake_host):
    # check without -v writes its verdict to stderr only when the host is not capable
    proc = _shell("exec {cli} >&-", "--host-root", str(fake_host.root), "check", "-n")
    assert proc.returncode == 1
    assert proc.stderr.endswith("ERROR: System is not capable of running Kata Containers\n")
    assert "cannot write" not in proc.stderr


@pytest.mark.parametrize("argv", [["env"], ["config", "show"], ["--help"]], ids=" ".join)
def test_a_closed_stderr_is_no_crash(fake_host, argv):
    _installed(fake_host)
    proc = _shell("exec {cli} 2>&-", "--host-root", str(fake_host.root), *argv)
    assert proc.returncode == 0
    assert proc.stdout


def test_a_reader_that_stops_early_is_silent(fake_host):
    _installed(fake_host)
    root = str(fake_host.root)
    # `config show` is long enough to fill the pipe after `head` has gone
    proc = _shell(
        "{cli} | head -c 1 >/dev/null; exit ${{PIPESTATUS:-0}}",
        "--host-root",
        root,
        "config",
        "show",
    )
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


ESCAPED = """
import sys
import kata_cli.version
kata_cli.version.version_text = lambda name="kata-cli": "name \\udcff\\n"
sys.argv = ["kata-cli", "--version"]
from kata_cli.main import main
main()
"""


def test_text_no_renderer_escaped_prints_escaped_not_a_crash():
    env = _env()
    env["PYTHONIOENCODING"] = "utf-8"  # strict errors, as on a UTF-8 locale
    proc = subprocess.run(
        [sys.executable, "-c", ESCAPED], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "name \\udcff\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["env", "-f", ""], "--file '': name a file (or - for standard output)\n"),
        (["env", "--file="], "--file '': name a file (or - for standard output)\n"),
        (["check", "--junit", ""], "--junit '': name a file\n"),
        (["check", "--state-file", "", "--every", "1m"], "--state-file '': name a file\n"),
        (["--config", "", "env"], "--config '': name a file (or leave --config out to search)\n"),
        (
            ["--config=", "config", "show"],
            "--config '': name a file (or leave --config out to search)\n",
        ),
    ],
)
def test_empty_output_names_are_usage_errors(cli, fake_host, argv, message):
    _installed(fake_host)
    result = cli("--host-root", str(fake_host.root), *argv)
    assert result.exit_code == 2
    assert result.stderr == message
    assert result.stdout == ""


@pytest.mark.parametrize("redirect", ["2>&-", "2>/dev/full"])
@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (["--host-root", "/nonexistent-root", "check"], 2),  # the fast path's usage error
        (["--host-root", "/nonexistent-root", "config", "show"], 2),  # through click
        (["check", "--no-such-option"], 2),  # click's own usage error
        (["env"], 0),  # a warning (no kernel, no image) before the report
        (["check", "-n"], 1),  # not capable: ERROR lines
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else str(value),
)
def test_an_unwritable_stderr_keeps_the_status_and_the_output(fake_host, redirect, argv, status):
    # diagnostics that cannot be written are lost, the outcome is not: a usage error stays
    # 2, a report with a warning is still printed and still 0
    _installed(fake_host)
    fake_host.remove("/opt/kata/share/kata-containers/vmlinux.container")  # env warns
    proc = _shell(f"exec {{cli}} {redirect}", "--host-root", str(fake_host.root), *argv)
    assert proc.returncode == status
    if argv == ["env"]:
        assert proc.stdout.startswith("[Kernel]\n")


FIRST_FILE = """
import os, sys
from kata_cli.funnel import guarded
# the first file a command opens must not become a standard stream
sys.exit(guarded(lambda: 0 if os.open(os.devnull, os.O_RDONLY) > 2 else 9))
"""


@pytest.mark.parametrize("redirection", ["<&-", ">&-", "2>&-", "<&- >&- 2>&-"])
def test_closed_standard_descriptors_are_not_handed_to_the_next_file(redirection):
    command = f'exec {sys.executable} -c "$PROBE" {redirection}'
    proc = subprocess.run(
        ["sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=60,
        env={**_env(), "PROBE": FIRST_FILE},
    )
    assert proc.returncode == 0


INTERRUPTED_IMPORT = """
import sys

class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == "kata_cli.fastpath":
            raise KeyboardInterrupt  # Ctrl-C while the command's modules load
        return None

sys.meta_path.insert(0, Interrupt())
sys.argv = ["kata-cli", "env"]
from kata_cli.main import main
main()
"""


def test_ctrl_c_before_the_command_runs_is_exit_130_without_a_traceback():
    proc = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_IMPORT],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )
    assert proc.returncode == 130
    assert proc.stderr == "\ninterrupted\n"
