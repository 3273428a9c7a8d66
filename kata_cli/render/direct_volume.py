"""`kata-cli direct-volume` output: the volume table (or JSON) and the add/remove notes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kata_cli.render import terminal
from kata_cli.render.listing import render_listing

if TYPE_CHECKING:
    from kata_cli.shim.volumes import VolumeEntry

JSON_SCHEMA = "kata-cli/direct-volume-list/1"
COLUMNS = ("VOLUME PATH", "TYPE", "DEVICE", "FSTYPE", "SANDBOXES")


def render_list(volumes: list[VolumeEntry], as_json: bool) -> None:
    render_listing(
        volumes,
        as_json,
        schema=JSON_SCHEMA,
        key="volumes",
        columns=COLUMNS,
        row=row,
        empty="no direct volumes",
    )


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
    """The guest's statistics, as the shim answered them (plus a newline, as upstream)."""
    from kata_cli.render.text import peer_text

    peer_text(text)


def confirm(text: str) -> None:
    """`added ...` / `removed ...`: only for a person at a terminal (scripts get silence)."""
    from kata_cli.render.text import printable

    if terminal.stderr_is_tty():
        terminal.err(printable(text))  # the volume path is the caller's: never drives a tty
