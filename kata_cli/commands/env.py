"""`kata-cli env` (alias `kata-env`): the effective settings report, TOML or JSON."""

from __future__ import annotations

import click

from kata_cli.appctx import AppContext
from kata_cli.commands.options import flavour_option, pass_app


@click.command()
@click.option("--json", "as_json", is_flag=True, help="JSON (Go encoder layout) instead of TOML.")
@click.option(
    "-f",
    "--file",
    "file_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report to FILE (atomically) instead of stdout (- is stdout).",
)
@flavour_option
@pass_app
def env(app: AppContext, as_json: bool, file_path: str | None, flavour: str | None) -> None:
    """Show the effective runtime, hypervisor, agent and host settings.

    The layout is upstream kata-runtime's (format 1.0.27), which scripts parse. Missing
    assets are reported as configured, with a warning on stderr; `kata-cli check`
    is the command that fails on them.
    """
    from kata_cli.envinfo import build_env_info, to_json, to_toml
    from kata_cli.errors import KataError
    from kata_cli.render.terminal import out, warn

    config = app.load_config(flavour=flavour, allow_embedded=False)
    info = build_env_info(app.host, config)
    from kata_cli.render.text import printable

    for text in info.warnings:
        warn(printable(text))  # warnings quote configured paths: no terminal escapes
    text = to_json(info) if as_json else to_toml(info)
    if file_path is None or file_path == "-":  # `-f -` is stdout, not a file called '-'
        out(text, end="")
        return
    from kata_cli.host import atomic_write

    try:
        atomic_write(file_path, text.encode(), mode=0o644)
    except OSError as exc:
        raise KataError(
            f"cannot write {file_path}: {exc.strerror or exc}",
            "check the directory exists and is writable",
        ) from None
