"""Speed: --version and --help must not import the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("rich", "requests", "yaml", "psutil")

PROBE = """
import json, sys
from kata_cli.cli import run
code = run({args!r})
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})
sys.stderr.write(json.dumps(heavy))
"""


def _modules_after(args: list[str]) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(proc.stderr.strip().splitlines()[-1])


def test_version_imports_nothing_heavy():
    assert _modules_after(["--version"]) == []


def test_help_imports_nothing_heavy():
    assert _modules_after(["--help"]) == []


def test_version_command_imports_nothing_heavy():
    assert _modules_after(["version"]) == []


# what `kata-cli --version` may import beyond a bare interpreter's start-up (`_build_info`:
# the commit recorded in a wheel, read when the checkout's HEAD cannot be, e.g. mid-rebase)
VERSION_MODULES = {
    "kata_cli",
    "kata_cli.__main__",
    "kata_cli.main",
    "kata_cli.version",
    "kata_cli._build_info",
}
NOT_FOR_VERSION = ("click", "typing", "inspect", "dataclasses", "pathlib", *HEAVY)


def _imported(*args: str, status: int = 0) -> set[str]:
    """Modules `python -X importtime ARGS` imports (read from the import-time report)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    assert proc.returncode == status, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}


def test_version_is_answered_before_click_and_typing():
    bare = _imported("-c", "pass")
    extra = _imported("-m", "kata_cli", "--version") - bare
    assert "kata_cli.version" in extra  # the report was read
    ours = {name for name in extra if name.split(".")[0] == "kata_cli"}
    assert ours <= VERSION_MODULES
    assert sorted(name for name in extra if name.split(".")[0] in NOT_FOR_VERSION) == []


def test_short_version_flag_takes_the_same_path():
    assert _imported("-m", "kata_cli", "-v") & {"click", "kata_cli.cli"} == set()


# what a plain `check` never needs: the fleet outputs' node document, the release
# comparison, the JSON encoder (only --json)
NOT_FOR_PLAIN_CHECK = ("kata_cli.fleet.node", "kata_cli.checks.semver", "json")


def test_plain_check_imports_only_what_it_uses(tmp_path):
    imported = _imported("-m", "kata_cli", "--host-root", str(tmp_path), "check", "-n", status=1)
    assert "kata_cli.checks.registry" in imported  # the checks ran
    assert sorted(imported & set(NOT_FOR_PLAIN_CHECK)) == []


FAST_EXIT = """
import atexit, sys
marker, root = sys.argv[1:3]
atexit.register(lambda: open(marker, "w").write("ran"))
sys.stdout.write("buffered|")  # a pipe is block-buffered: the exit must flush it
sys.argv = ["kata-cli", "--host-root", root, "check", "-n"]
from kata_cli.main import main
main()
"""


def test_entry_point_exit_flushes_output_and_runs_atexit(tmp_path):
    marker = tmp_path / "marker"
    root = tmp_path / "root"
    root.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", FAST_EXIT, str(marker), str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("buffered|")
    assert proc.stderr.endswith("ERROR: System is not capable of running Kata Containers\n")
    assert marker.read_text() == "ran"
