"""Conformance of the rule catalogue: codes, names, severities, documentation."""

from __future__ import annotations

import re

from kata_cli.lint import registry
from kata_cli.lint.model import SEVERITIES


def test_codes_and_names_are_unique_and_well_formed() -> None:
    codes = [r.code for r in registry.RULES]
    names = [r.name for r in registry.RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    for rule in registry.RULES:
        assert re.fullmatch(r"KATA\d{3}", rule.code), rule.code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name


def test_codes_are_sorted_and_families_match_their_hundreds() -> None:
    codes = [r.code for r in registry.RULES]
    assert codes == sorted(codes)
    prefix_of = {}
    for rule in registry.RULES:
        prefix_of.setdefault(rule.family, set()).add(rule.code[:5])
    for family, prefixes in prefix_of.items():
        assert len(prefixes) == 1, (family, prefixes)
        assert family in registry.FAMILIES


def test_every_rule_is_documented() -> None:
    for rule in registry.RULES:
        assert rule.severity in SEVERITIES
        assert rule.message and "\n" not in rule.message
        assert len(rule.rationale) > 30, rule.code
        assert rule.fix, rule.code


def test_prefix_matching() -> None:
    assert registry.matches("KATA201", ("KATA2",))
    assert registry.matches("KATA201", ("kata201",))
    assert not registry.matches("KATA201", ("KATA3",))
    assert registry.unknown_patterns(("KATA2", "KATA999", "FOO")) == ["KATA999", "FOO"]


def test_rule_reference_lists_every_rule() -> None:
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    text = doc.read_text()
    for rule in registry.RULES:
        assert f"### {rule.code} `{rule.name}` ({rule.severity})" in text, rule.code
