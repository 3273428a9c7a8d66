"""`kata-cli iptables get|set`: the guest's iptables rules, through the shim."""

from __future__ import annotations

import click

from kata_cli.appctx import AppContext
from kata_cli.commands import completers
from kata_cli.commands.options import pass_app

_sandbox_option = click.option(
    "--sandbox-id",
    required=True,
    metavar="ID",
    shell_complete=completers.sandbox_ids,
    help="Sandbox id (or unique prefix).",
)
_v6_option = click.option("--v6", is_flag=True, help="ip6tables instead of iptables.")


@click.group(invoke_without_command=True)
@click.pass_context
def iptables(ctx: click.Context) -> None:
    """Get or set iptables in a sandbox guest.

    \f
    ```
    kata-cli iptables get --sandbox-id SANDBOX [--v6]     # iptables-save text of the guest
    kata-cli iptables set --sandbox-id SANDBOX [--v6] FILE
    ```

    `--v6` works on the guest's ip6tables. The sandbox is found and the shim spoken to as for
    `metrics` above.
    """
    if ctx.invoked_subcommand is None:
        from kata_cli.render.terminal import out

        out(ctx.get_help())


@iptables.command()
@_sandbox_option
@_v6_option
@pass_app
def get(app: AppContext, sandbox_id: str, v6: bool) -> None:
    """Print the guest's rules (iptables-save format)."""
    from kata_cli.render.text import peer_text
    from kata_cli.shim.client import client_for

    peer_text(client_for(app.host, sandbox_id).iptables_get(v6))


@iptables.command(name="set")
@_sandbox_option
@_v6_option
@click.argument("file", required=False, metavar="FILE")
@pass_app
def set_(app: AppContext, sandbox_id: str, v6: bool, file: str | None) -> None:
    """Apply FILE (iptables-restore format) in the guest."""
    from kata_cli.errors import ShimError
    from kata_cli.shim.client import client_for, read_request_file

    data = read_request_file(file, "iptables")
    client = client_for(app.host, sandbox_id)
    try:
        client.iptables_set(data, v6)
    except ShimError as exc:
        raise ShimError(
            f"Error observed when making iptables-set request({file}): {exc.message}", exc.hint
        ) from None
