"""Log helpers: journal periods, runtime-rs lines, time ordering, bounds."""

from __future__ import annotations

import pytest

from kata_cli.collect.context import journal_since
from kata_cli.collect.sections import logs


@pytest.mark.parametrize(
    ("since", "expected"),
    [("24h", "-24h"), ("30min", "-30min"), ("2d", "-2d"), ("2026-11-25 08:00", "2026-11-25 08:00")],
)
def test_journal_since(since, expected):
    assert journal_since(since) == expected


def test_runtime_rs_json_lines_count_as_kata():
    assert logs.is_kata_line('containerd[7]: {"msg":"vmm started","level":"INFO","sid":"abc"}')
    assert logs.is_kata_line('containerd[7]: time="..." msg="starting kata shim"')
    assert not logs.is_kata_line('containerd[7]: time="..." msg="pulled image"')


def test_sort_key_orders_journal_and_logfmt_lines():
    lines = [
        "2026-11-25T11:00:00.5+0000 n kata[1]: b",
        'time="2026-11-25T10:30:00Z" level=info msg=a',
    ]
    assert sorted(lines, key=logs.sort_key) == lines[::-1]


def test_bounded_keeps_the_last_lines_and_counts_problems():
    lines = [f"level=info n={n}" for n in range(10)] + ['{"level":"ERRO","msg":"x"}']
    kept, note = logs.bounded(lines, 3)
    assert kept == ["level=info n=8", "level=info n=9", '{"level":"ERRO","msg":"x"}']
    assert note == "11 lines, 1 warnings or errors; last 3 shown"
