"""The image: the Containerfile's shape, and its file tree built without a container
engine (`pip install --target` of this source tree, as the image installs the wheel),
running `check --every` for a few iterations against a fixture host."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTAINERFILE = REPO / "Containerfile"


def instructions() -> list[tuple[str, str]]:
    text = CONTAINERFILE.read_text().replace("\\\n", " ")
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            rows.append((word.upper(), rest.strip()))
    return rows


def test_containerfile_shape():
    rows = instructions()
    bases = [rest for word, rest in rows if word == "FROM"]
    assert bases and all(re.search(r"python:3\.\d+-slim\b", b) for b in bases)
    runs = " ".join(rest for word, rest in rows if word == "RUN")
    assert "--wheel" in runs and "pip install" in runs and ".whl" in runs
    (entrypoint,) = [json.loads(rest) for word, rest in rows if word == "ENTRYPOINT"]
    assert entrypoint == ["kata-cli"]
    (cmd,) = [json.loads(rest) for word, rest in rows if word == "CMD"]
    assert cmd[:3] == ["--host-root", "/host", "check"] and "--every" in cmd


@pytest.fixture(scope="module")
def image_tree(tmp_path_factory) -> Path:
    """The image's site-packages: the project installed with pip --target (no network:
    --no-index, --no-deps; the build backend and the dependencies are installed already)."""
    target = tmp_path_factory.mktemp("image") / "site"
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            *("--no-deps", "--no-index", "--no-build-isolation", "--target", str(target)),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0 and "hatchling" in proc.stderr:
        pytest.skip("the build backend hatchling is not installed (pip install -e '.[test]')")
    assert proc.returncode == 0, proc.stderr
    return target


def image_env(target: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KATA_")}
    env["PYTHONPATH"] = str(target)  # before site-packages: the image's copy wins
    env["NO_COLOR"] = "1"
    return env


def test_the_tree_holds_the_wheel_contents(image_tree):
    assert (image_tree / "bin" / "kata-cli").is_file()
    assert (image_tree / "kata_cli" / "_share").is_dir()
    assert not (image_tree / "tests").exists()
    proc = subprocess.run(
        [sys.executable, "-c", "import kata_cli; print(kata_cli.__file__)"],
        capture_output=True,
        text=True,
        env=image_env(image_tree),
        cwd=image_tree.parent,  # not the source tree: `-c` puts the cwd first on sys.path
        timeout=60,
    )
    assert Path(proc.stdout.strip()).is_relative_to(image_tree)


def test_periodic_check_runs_from_the_image_tree(image_tree, fake_host, tmp_path):
    fake_host.intel()
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run(
        [
            sys.executable,
            str(image_tree / "bin" / "kata-cli"),
            *("--host-root", str(fake_host.root), "check", "--every", "0.05s", "--count", "3"),
            *("--json", "--nfd", str(out / "kata-cli"), "--prometheus", str(out / "k.prom")),
            *("--state-file", str(out / "state.json"), "--node-name", "image-node"),
        ],
        capture_output=True,
        text=True,
        env=image_env(image_tree),
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(docs) == 3 and {d["node"] for d in docs} == {"image-node"}
    state = json.loads((out / "state.json").read_text())
    assert state["iterations"] == 3
    assert "runtime.kata=" in (out / "kata-cli").read_text()
    assert "kata_check_capable" in (out / "k.prom").read_text()
    assert "verdict none ->" in proc.stderr
