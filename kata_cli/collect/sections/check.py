"""`check` results, computed in-process from the core library."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kata_cli.collect.context import Context, yes_no
from kata_cli.collect.model import Item
from kata_cli.collect.section import Section


def check_probe(ctx: Context) -> Iterator[Item]:
    config = ctx.config()
    if config is None:
        yield ctx.unconfigured("check")
        return
    from kata_cli.checks import report_data, run_checks  # (a failure is the runner's item)

    report = run_checks(ctx.host, config, kvm=True)
    data = report_data(report)
    yield Item("data", "kata-cli check", text=check_text(data), data=data)


def check_text(data: dict[str, Any]) -> str:
    """One line per check (`status id: detail`), the verdict first; JSON keeps every field."""
    capable, can_create = yes_no(data.get("capable")), yes_no(data.get("can_create"))
    lines = [f"capable: {capable}, can create: {can_create}"]
    for entry in data.get("checks", []):
        if not isinstance(entry, dict):
            continue
        line = f"{entry.get('status', '?'):<5} {entry.get('id', '?')}: {entry.get('detail', '')}"
        lines.append(line.rstrip(": "))
    return "\n".join(lines) + "\n"


SECTION = Section(
    id="check",
    title="Host check",
    description="What `kata-cli check` concludes about this host (computed in-process).",
    probe=check_probe,
)
