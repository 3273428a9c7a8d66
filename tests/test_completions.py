"""Shell completion: `kata-cli completion SHELL`, the generated files, dynamic answers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_docs import assert_generated_files_current

REPO = Path(__file__).resolve().parent.parent


def test_completions_are_up_to_date():
    assert_generated_files_current("gen_completions.py")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_command_prints_the_shipped_script(cli, shell):
    result = cli("completion", shell)
    assert result.exit_code == 0
    assert result.output == (REPO / "completions" / f"kata-cli.{shell}").read_text()
    assert "_KATA_CLI_COMPLETE" in result.output


def test_completion_rejects_an_unknown_shell(cli):
    result = cli("completion", "tcsh")
    assert result.exit_code == 2


@pytest.fixture
def kata_on_path(tmp_path):
    """A `kata-cli` on PATH that runs this checkout (what the completion script calls)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    wrapper = bindir / "kata-cli"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m kata_cli "$@"\n')
    wrapper.chmod(0o755)
    env = dict(os.environ)
    env["PATH"] = f"{bindir}:{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _bash_complete(env: dict[str, str], line: str) -> list[str]:
    """What the shipped bash script offers for `line` (the cursor at its end)."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    if line.endswith(" "):
        words.append("")
    array = " ".join(f"'{w}'" for w in words)
    script = (
        f"source {REPO / 'completions' / 'kata-cli.bash'}; "
        'compopt() { echo "compopt:$1 $2"; }; '
        f"COMP_WORDS=({array}); COMP_CWORD={cword}; _kata_cli_completion kata-cli; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    proc = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0, proc.stderr
    return [w for w in proc.stdout.splitlines() if w]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_offers_commands(kata_on_path):
    assert _bash_complete(kata_on_path, "kata-cli ver") == ["version"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_offers_files_for_config_and_directories_for_host_root(kata_on_path):
    assert _bash_complete(kata_on_path, "kata-cli --config ") == ["compopt:-o default"]
    assert _bash_complete(kata_on_path, "kata-cli --host-root /") == ["compopt:-o dirnames"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_offers_vm_names(kata_on_path, tmp_path):
    run_dir = tmp_path / "run"
    for name in ("alpha", "beta", "other"):
        (run_dir / "vms" / name).mkdir(parents=True)
    (run_dir / "vms" / ".lock").write_text("")
    # not VM names: a newline would hand the shell two candidates, "evil" and "gamma"
    (run_dir / "vms" / "evil\ngamma").mkdir()
    (run_dir / "vms" / "-dash").mkdir()
    env = dict(kata_on_path, KATA_CLI_RUN_DIR=str(run_dir))
    assert _bash_complete(env, "kata-cli vm stop ") == ["alpha", "beta", "other"]
    assert _bash_complete(env, "kata-cli vm inspect b") == ["beta"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_offers_sandbox_ids_under_the_host_root(kata_on_path, tmp_path):
    root = tmp_path / "host"
    for sandbox in ("abc123", "abd456"):
        directory = root / "run" / "vc" / "sbs" / sandbox
        directory.mkdir(parents=True)
        (directory / "shim-monitor.sock").write_text("")
    line = f"kata-cli --host-root {root} exec ab"
    assert _bash_complete(kata_on_path, line) == ["abc123", "abd456"]
    line = f"kata-cli --host-root {root} iptables get --sandbox-id abc"
    assert _bash_complete(kata_on_path, line) == ["abc123"]


def test_completers_never_raise_on_a_hostile_host(tmp_path, monkeypatch):
    import click

    from kata_cli.commands import completers

    root = tmp_path / "host"
    (root / "run" / "vc").mkdir(parents=True)
    (root / "run" / "vc" / "sbs").symlink_to(root / "run" / "vc" / "sbs")  # a loop
    monkeypatch.setenv("KATA_HOST_ROOT", str(root))
    monkeypatch.setenv("KATA_CLI_RUN_DIR", str(tmp_path / "missing"))
    ctx = click.Context(click.Command("x"))
    param = click.Argument(["x"])
    assert completers.sandbox_ids(ctx, param, "") == []
    assert completers.vm_names(ctx, param, "") == []
