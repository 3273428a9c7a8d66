"""The commit a copy runs from: read from the git checkout, or recorded in the wheel."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from kata_cli.version import checkout_commit
from tests.conftest import REPO

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_checkout_with_a_git_directory(tmp_path):
    (tmp_path / ".git/refs/heads").mkdir(parents=True)
    (tmp_path / ".git/HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / ".git/refs/heads/main").write_text(SHA + "\n")
    assert checkout_commit(tmp_path) == SHA


def test_worktree_reads_refs_from_the_common_directory(tmp_path):
    common = tmp_path / "repo/.git"
    (common / "refs/heads").mkdir(parents=True)
    (common / "refs/heads/topic").write_text(SHA + "\n")
    gitdir = common / "worktrees/topic"
    gitdir.mkdir(parents=True)
    (gitdir / "HEAD").write_text("ref: refs/heads/topic\n")
    (gitdir / "commondir").write_text("../..\n")
    tree = tmp_path / "topic"
    tree.mkdir()
    (tree / ".git").write_text(f"gitdir: {gitdir}\n")
    assert checkout_commit(tree) == SHA


def test_packed_refs_and_detached_head(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git/HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / ".git/packed-refs").write_text(f"# pack-refs\n{SHA} refs/heads/main\n")
    assert checkout_commit(tmp_path) == SHA
    (tmp_path / ".git/HEAD").write_text(SHA.replace("0", "f") + "\n")
    assert checkout_commit(tmp_path) == SHA.replace("0", "f")


@pytest.mark.parametrize("head", ["", "garbage\n", "ref: refs/heads/none\n", "\xff"])
def test_no_commit_without_a_usable_checkout(tmp_path, head):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git/HEAD").write_text(head)
    assert checkout_commit(tmp_path) == ""
    assert checkout_commit(tmp_path / "nowhere") == ""


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.skipif(
    importlib.util.find_spec("hatchling") is None,
    reason="hatchling is not installed (pip install -e '.[test]')",
)
def test_a_wheel_records_the_commit_it_was_built_from(tmp_path):
    expected = checkout_commit(REPO)
    if not expected:
        pytest.skip(f"{REPO} is not a git checkout")
    # build from a copy, so the working tree stays untouched
    source = tmp_path / "src"
    shutil.copytree(
        REPO,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__", ".*_cache", "dist", "build"),
    )
    if (REPO / ".git").is_file():  # a worktree: point the copy at the same git directory
        text = (REPO / ".git").read_text().strip()[8:]
        (source / ".git").write_text(f"gitdir: {(REPO / text).resolve()}\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("kata_cli-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert f'COMMIT = "{expected}"' in archive.read("kata_cli/_build_info.py").decode()
        archive.extractall(tmp_path / "installed")
    # installed from the wheel (no .git around it): version and env report that commit
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "installed")}
    out = subprocess.run(
        [sys.executable, "-c", "from kata_cli.version import commit; print(commit())"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert out.stdout.strip() == expected
