"""Every planted kind is masked on its own; ordinary configuration stays readable."""

from __future__ import annotations

from pathlib import Path

import pytest

from kata_cli.redaction import MASK, Redactor
from tests.redaction.kinds import KINDS, ORDINARY

SHARED_CONFIGS = Path(__file__).resolve().parents[2] / ".." / "shared" / "kata-configs"


def test_at_least_eighty_distinct_kinds():
    assert len({kind.name for kind in KINDS}) == len(KINDS) >= 80


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_kind_is_masked(kind):
    redactor = Redactor()
    out = redactor.text(kind.text)
    assert kind.secret not in out
    assert MASK in out
    assert sum(redactor.counts.values()) >= 1


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_values_stay_readable(text):
    redactor = Redactor()
    assert redactor.text(text) == text
    assert redactor.counts == {}


def test_shipped_kata_configurations_are_not_redacted():
    """The real Kata 4.1.0 configurations hold no secret: nothing in them is masked."""
    if not SHARED_CONFIGS.is_dir():
        pytest.skip(f"{SHARED_CONFIGS} is absent (the shared Kata 4.1.0 configurations)")
    files = sorted(SHARED_CONFIGS.rglob("*.toml"))
    assert files
    for path in files:
        redactor = Redactor()
        text = path.read_text()
        assert redactor.text(text) == text, (path.name, redactor.counts)
