"""Fixtures for the linter tests: rule fixtures by code, and a helper to lint them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kata_cli.host import Host
from kata_cli.lint.engine import Options, lint_sources
from kata_cli.lint.model import Finding
from kata_cli.lint.source import load_source

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_options(data: bytes) -> dict[str, str]:
    """`# lint-options: flavour=rs arch=s390x files=/a,/b executables=/c` on line 1.

    Host files: `files` (small regular files), `executables`, `empty` (zero bytes),
    `sparse=/path:MiB` (large sparse files). Any of them gives the lint a host root.
    """
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    if not first.startswith("# lint-options:"):
        return {}
    pairs = first.split(":", 1)[1].split()
    return dict(pair.split("=", 1) for pair in pairs)


LintFixture = Callable[[str], list[Finding]]


@pytest.fixture
def lint_fixture(tmp_path: Path) -> LintFixture:
    """Lint `fixtures/<name>` as its first-line options say (a host root only with files=)."""

    def run(name: str) -> list[Finding]:
        data = (FIXTURES / name).read_bytes()
        opts = fixture_options(data)
        host = None
        if {"files", "executables", "empty", "sparse"} & set(opts):
            root = tmp_path / "host"
            for kind in ("files", "executables", "empty", "sparse"):
                for entry in filter(None, opts.get(kind, "").split(",")):
                    host_path, _, mib = entry.partition(":")
                    local = root / host_path.lstrip("/")
                    local.parent.mkdir(parents=True, exist_ok=True)
                    local.write_bytes(b"" if kind == "empty" else b"\x7fELF")
                    if kind == "sparse":  # a large file that takes no disk space
                        with local.open("r+b") as handle:
                            handle.truncate(int(mib) * 1024 * 1024)
                    local.chmod(0o755 if kind == "executables" else 0o644)
            host = Host(root)
        options = Options(flavour=opts.get("flavour"), arch=opts.get("arch", "amd64"), host=host)
        return lint_sources([load_source(name, data)], options).findings

    return run
