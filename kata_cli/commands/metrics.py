"""`kata-cli metrics`: a sandbox's Prometheus metrics from its shim."""

from __future__ import annotations

import click

from kata_cli.appctx import AppContext
from kata_cli.commands import completers
from kata_cli.commands.options import pass_app


@click.command()
@click.argument("sandbox_id", required=False, default="", shell_complete=completers.sandbox_ids)
@pass_app
def metrics(app: AppContext, sandbox_id: str) -> None:
    """Print the Prometheus metrics (shim, hypervisor, agent) of SANDBOX_ID."""
    from kata_cli.render.terminal import out
    from kata_cli.shim.client import client_for

    text = client_for(app.host, sandbox_id).metrics()
    out(text, end="" if text.endswith("\n") else "\n")
