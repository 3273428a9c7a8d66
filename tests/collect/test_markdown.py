"""Markdown well-formedness on hostile content, and the size budget."""

from __future__ import annotations

from kata_cli.collect.model import SCHEMA, Item, Report, SectionResult
from kata_cli.render import collect_markdown as markdown
from tests.collect.markdown_check import assert_well_formed

HOSTILE = (
    "```\nfenced\n```\n````toml\nx\n</details>\n<details><summary>evil</summary>\n"
    "<script>alert(1)</script>\n\x1b[31mred\x1b[0m\x00\n"
)


def report(*sections: SectionResult) -> Report:
    return Report(
        schema=SCHEMA,
        tool="kata-cli collect-data",
        version="0",
        started="2026-01-01T00:00:00Z",
        duration=0.1,
        options={"deadline": 60},
        redaction={"enabled": True, "hosts": False, "counts": {}},
        sections=list(sections),
    )


def test_hostile_content_cannot_break_the_layout():
    section = SectionResult(
        "x",
        "Title </details> <b>",
        items=[
            Item("command", "cat </details>", text=HOSTILE, status="failed", detail="exit 1"),
            Item("text", "short `x` *y*", text=HOSTILE),
            Item("file", "/etc/empty", status="not-found", detail="could not read: </details>"),
        ],
        notes=["note with </details>"],
    )
    text = markdown.render(report(section))
    assert_well_formed(text)
    assert "\x1b" not in text and "\x00" not in text
    assert "<summary>Title &lt;/details&gt; &lt;b&gt;</summary>" in text
    assert "`````" in text  # fence longer than the 4-backtick run inside


def test_fence_outgrows_content():
    assert markdown.fence("a ``` b\n").startswith("````\n")
    assert markdown.fence("plain", "toml") == "```toml\nplain\n```\n"


def test_budget_shortens_outputs_and_says_so():
    big = "".join(f"line {n} " + "x" * 80 + "\n" for n in range(5000))
    sections = [
        SectionResult("logs", "Logfiles", items=[Item("command", "journalctl", text=big)]),
        SectionResult("config", "Config", items=[Item("file", "/etc/big", text=big)]),
    ]
    text = markdown.render(report(*sections))
    assert len(text) <= markdown.BUDGET
    assert_well_formed(text)
    assert "first lines not shown here" in text  # logs keep their tail
    assert "last lines not shown here" in text  # files keep their head
    assert "line 4999 " in text and "line 0 " in text
    full = markdown.render(report(*sections), budget=None)
    assert len(full) > 2 * len(big)


def test_absurd_reports_fall_back_to_a_summary():
    sections = [
        SectionResult(
            f"s{n}", f"S{n}", items=[Item("text", f"t{m}", detail="x" * 200) for m in range(40)]
        )
        for n in range(40)
    ]
    text = markdown.render(report(*sections))
    assert len(text) <= markdown.BUDGET
    assert "attach the --output archive" in text
    assert_well_formed(text)


def test_json_survives_values_json_lacks():
    import datetime
    import json

    from kata_cli.render import collect_json as jsonreport

    item = Item("data", "t", data={"when": datetime.date(2026, 1, 1)})
    data = json.loads(jsonreport.render(report(SectionResult("x", "X", items=[item]))))
    assert data["sections"][0]["items"][0]["data"] == {"when": "2026-01-01"}


def test_c1_control_characters_are_dropped():
    from kata_cli.render.collect_markdown import clean

    assert clean("a\x9b31mb\x1b[0mc") == "a31mb[0mc"
