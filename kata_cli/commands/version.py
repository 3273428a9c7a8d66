"""`kata-cli version`."""

from __future__ import annotations

import click


@click.command()
def version() -> None:
    """Show version details (also: kata-cli --version, -v).

    \f
    `kata-cli version` (also `--version`, `-v`) prints three lines, in `kata-runtime`'s layout:

    ```
    kata-cli  : 0.1.0
       commit   : <40-hex commit, or <<unknown>>>
       OCI specs: 1.2.1
    ```

    It needs no configuration file.
    """
    from kata_cli.render.terminal import out
    from kata_cli.version import version_text

    out(version_text(), end="")
