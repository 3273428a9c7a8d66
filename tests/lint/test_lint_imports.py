"""`config lint` stays light: no rich for plain output, no heavy libraries at all."""

from __future__ import annotations

from tests.test_imports import _modules_after

from .conftest import FIXTURES


def test_lint_help_imports_nothing_heavy() -> None:
    assert _modules_after(["config", "lint", "--help"]) == []


def test_plain_lint_run_imports_nothing_heavy() -> None:
    args = ["config", "lint", "--ignore", "KATA9", str(FIXTURES / "KATA401.bad.toml")]
    assert _modules_after(args) == []
    assert _modules_after([*args[:-1], "--format", "sarif", args[-1]]) == []
