"""Every rule has a fixture that triggers it and one that does not (named by rule code)."""

from __future__ import annotations

import pytest

from kata_cli.lint.registry import RULES

from .conftest import FIXTURES, LintFixture

# rules whose triggering input cannot be a file in the repository (tested in test_cli.py:
# unreadable files, symlinks around the discovered configuration, drop-in names: test_qa.py)
NO_BAD_FIXTURE = {"KATA003", "KATA903", "KATA904", "KATA909"}


@pytest.mark.parametrize("code", [r.code for r in RULES if r.code not in NO_BAD_FIXTURE])
def test_bad_fixture_triggers_its_rule(code: str, lint_fixture: LintFixture) -> None:
    findings = lint_fixture(f"{code}.bad.toml")
    assert code in [f.code for f in findings], findings


@pytest.mark.parametrize("code", [r.code for r in RULES])
def test_good_fixture_does_not(code: str, lint_fixture: LintFixture) -> None:
    findings = lint_fixture(f"{code}.good.toml")
    assert code not in [f.code for f in findings], findings


def test_good_fixtures_have_no_errors_at_all(lint_fixture: LintFixture) -> None:
    for path in sorted(FIXTURES.glob("*.good.toml")):
        errors = [f for f in lint_fixture(path.name) if f.severity == "error"]
        assert errors == [], path.name


def test_every_fixture_names_a_rule() -> None:
    codes = {r.code for r in RULES}
    for path in FIXTURES.iterdir():
        assert path.name.split(".")[0] in codes, path.name
