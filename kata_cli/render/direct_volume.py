"""`kata-cli direct-volume` output: the volume table (or JSON) and the add/remove notes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kata_cli.render import terminal
from kata_cli.render.terminal import console, out

if TYPE_CHECKING:
    from kata_cli.shim.volumes import VolumeEntry

JSON_SCHEMA = "kata-cli/direct-volume-list/1"
COLUMNS = ("VOLUME PATH", "TYPE", "DEVICE", "FSTYPE", "SANDBOXES")


def render_list(volumes: list[VolumeEntry], as_json: bool) -> None:
    if as_json:
        from kata_cli.render.jsonout import dumps

        out(dumps({"schema": JSON_SCHEMA, "volumes": volumes}), end="")
        return
    if not volumes:
        out("no direct volumes")
        return
    from rich.table import Table
    from rich.text import Text

    from kata_cli.render.text import printable

    table = Table(box=None, pad_edge=False)
    for title in COLUMNS:
        table.add_column(title)
    for vol in volumes:
        # host data: control characters escaped, and never read as rich markup
        table.add_row(*(Text(printable(value)) for value in row(vol)))
    console().print(table)


def row(vol: VolumeEntry) -> tuple[str, ...]:
    info = vol.mount_info or {}
    return (
        vol.volume_path if vol.volume_path is not None else f"? ({vol.directory})",
        str(info.get("volume-type", "-")) if vol.error is None else f"({vol.error})",
        str(info.get("device", "-")),
        str(info.get("fstype", "-")),
        ", ".join(vol.sandboxes) or "-",
    )


def render_stats(text: str) -> None:
    """The guest's statistics, as the shim answered them."""
    out(text)


def confirm(text: str) -> None:
    """`added ...` / `removed ...`: only for a person at a terminal (scripts get silence)."""
    from kata_cli.render.text import printable

    if terminal.stderr_is_tty():
        terminal.err(printable(text))  # the volume path is the caller's: never drives a tty
