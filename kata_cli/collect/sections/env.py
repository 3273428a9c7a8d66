"""The `env` report, computed in-process once from the core library."""

from __future__ import annotations

from collections.abc import Iterator

from kata_cli.collect.context import Context
from kata_cli.collect.model import FAILED, Item
from kata_cli.collect.section import Section


def env_probe(ctx: Context) -> Iterator[Item]:
    config = ctx.config()
    if config is None:
        yield ctx.unconfigured("env")
        return
    from kata_cli.envinfo import build_env_info, to_toml  # (a failure is the runner's item)
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


SECTION = Section(
    id="env",
    title="Runtime environment",
    description="The `kata-cli env` report (TOML), computed in-process once.",
    probe=env_probe,
)
