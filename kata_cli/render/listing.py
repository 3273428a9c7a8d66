"""The output of a command that lists things (`sandbox list`, `direct-volume list`): one
JSON document, or a table whose every cell is host data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from kata_cli.render.terminal import color_enabled, console, out

Entry = TypeVar("Entry")


def render_listing(
    entries: Sequence[Entry],
    as_json: bool,
    *,
    schema: str,
    key: str,
    columns: Sequence[str],
    row: Callable[[Entry], tuple[str, ...]],
    empty: str,
    no_wrap: bool = False,
) -> None:
    """`{"schema": schema, key: entries}` as JSON; else a table of `row(entry)` under
    `columns`, or the line `empty` when there is nothing to list."""
    if as_json:
        from kata_cli.render.jsonout import dumps

        out(dumps({"schema": schema, key: list(entries)}), end="")
        return
    if not entries:
        out(empty)
        return
    from rich.table import Table
    from rich.text import Text

    from kata_cli.render.text import printable

    table = Table(box=None, pad_edge=False)
    for title in columns:
        table.add_column(title, no_wrap=no_wrap)
    for entry in entries:
        # host data (peers' answers, persist.json, mount info): escaped, never rich markup
        table.add_row(*(Text(printable(value)) for value in row(entry)))
    screen = console()
    if color_enabled():
        screen.print(table)
        return
    # plain output is for scripts and files: no column padding after the last cell
    with screen.capture() as captured:
        screen.print(table)
    out("\n".join(line.rstrip() for line in captured.get().splitlines()))
