"""`kata-cli version`."""

from __future__ import annotations

import click


@click.command()
def version() -> None:
    """Show version details (also: kata-cli --version, -v)."""
    from kata_cli.render.terminal import out
    from kata_cli.version import version_text

    out(version_text(), end="")
