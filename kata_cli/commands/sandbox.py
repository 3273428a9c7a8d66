"""`kata-cli sandbox list` (alias `ps`): the sandboxes running on this host."""

from __future__ import annotations

import click

from kata_cli.appctx import AppContext
from kata_cli.commands.options import pass_app


@click.group(invoke_without_command=True)
@click.pass_context
def sandbox(ctx: click.Context) -> None:
    """List and inspect running sandboxes."""
    if ctx.invoked_subcommand is None:
        from kata_cli.render.terminal import out

        out(ctx.get_help())


@sandbox.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--no-probe", is_flag=True, help="Do not ask each shim socket whether it answers.")
@pass_app
def list_(app: AppContext, as_json: bool, no_probe: bool) -> None:
    """Every sandbox under /run/vc/sbs (Go runtime) and /run/kata (runtime-rs)."""
    from kata_cli.render.sandbox_list import render
    from kata_cli.shim.sandboxes import list_sandboxes

    render(list_sandboxes(app.host, probe=not no_probe), as_json)
