"""`printable()`: what host data may not do to a terminal line."""

from __future__ import annotations

import pytest

from kata_cli.render.text import printable


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x1b[31mb", "a\\x1b[31mb"),
        ("line\nforged", "line\\nforged"),
        ("nel\x85", "nel\\x85"),
        ("tab\tstays", "tab\tstays"),
        # bidirectional override / isolate marks reorder what follows on display
        ("evil\u202egpj.exe", "evil\\u202egpj.exe"),
        ("\u2066x\u2069", "\\u2066x\\u2069"),
        ("\u200f\u061c", "\\u200f\\u061c"),
        # line and paragraph separators break a line in some terminals and editors
        ("a\u2028b\u2029c", "a\\u2028b\\u2029c"),
        # ordinary non-ASCII text is left alone
        ("caf\u00e9 \u4e2d \u2603 \U0001f600", "caf\u00e9 \u4e2d \u2603 \U0001f600"),
    ],
)
def test_printable_escapes_what_drives_or_reorders_the_line(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_fleet_report_escapes_a_bidi_override_in_a_node_name(cli, tmp_path) -> None:
    document = (
        '{"schema": "kata-cli/check/1", "capable": true, "checks": [], "node": "worker\u202e1-a"}\n'
    )
    (tmp_path / "n.json").write_text(document)
    result = cli("fleet", "report", str(tmp_path / "n.json"))
    assert result.exit_code == 0
    assert "worker\\u202e1-a" in result.stdout and "\u202e" not in result.stdout
