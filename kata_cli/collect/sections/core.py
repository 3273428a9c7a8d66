"""`check` results and the `env` report, computed in-process from the core library."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kata_cli.collect.model import FAILED, SKIPPED, Item, Section
from kata_cli.collect.runner import Context


def _no_config(ctx: Context, what: str) -> Item:
    return Item(
        "text",
        what,
        status=SKIPPED,
        detail=f"no usable configuration: {ctx.config_error}",
    )


def check_probe(ctx: Context) -> Iterator[Item]:
    config = ctx.config()
    if config is None:
        yield _no_config(ctx, "check")
        return
    try:
        from kata_cli.checks import report_data, run_checks
    except ImportError as exc:
        yield Item("text", "check", status=SKIPPED, detail=f"check is not available: {exc}")
        return
    report = run_checks(ctx.host, config, kvm=True)
    data = report_data(report)
    yield Item("data", "kata-cli check", text=check_text(data), data=data)


def check_text(data: dict[str, Any]) -> str:
    """One line per check (`status id: detail`), the verdict first; JSON keeps every field."""
    lines = [f"capable: {data.get('capable')}, can create: {data.get('can_create')}"]
    for entry in data.get("checks", []):
        if not isinstance(entry, dict):
            continue
        line = f"{entry.get('status', '?'):<5} {entry.get('id', '?')}: {entry.get('detail', '')}"
        lines.append(line.rstrip(": "))
    return "\n".join(lines) + "\n"


def env_probe(ctx: Context) -> Iterator[Item]:
    config = ctx.config()
    if config is None:
        yield _no_config(ctx, "env")
        return
    try:
        from kata_cli.envinfo import build_env_info, to_toml
    except ImportError as exc:
        yield Item("text", "env", status=SKIPPED, detail=f"env is not available: {exc}")
        return
    from kata_cli.errors import KataError

    try:
        info = build_env_info(ctx.host, config)
    except KataError as exc:  # what `kata-cli env` would print, as the finding
        yield Item("text", "kata-cli env", status=FAILED, detail=exc.one_line())
        return
    text = to_toml(info)
    if info.warnings:
        text = "".join(f"# warning: {line}\n" for line in info.warnings) + text
    yield Item("data", "kata-cli env", text=text, lang="toml")


CHECK = Section(
    id="check",
    title="Host check",
    description="What `kata-cli check` concludes about this host (computed in-process).",
    probe=check_probe,
)
ENV = Section(
    id="env",
    title="Runtime environment",
    description="The `kata-cli env` report (TOML), computed in-process once.",
    probe=env_probe,
)
