"""`kata-cli policy set`: replace the agent policy of a running sandbox."""

from __future__ import annotations

import click

from kata_cli.appctx import AppContext
from kata_cli.commands import completers
from kata_cli.commands.options import pass_app


@click.group(invoke_without_command=True)
@click.pass_context
def policy(ctx: click.Context) -> None:
    """Set the agent policy of a sandbox.

    \f
    ```
    kata-cli policy set --sandbox-id SANDBOX FILE         # replace the agent policy (Rego)
    ```

    The sandbox is found and the shim spoken to as for `metrics` above.

    `iptables set` and `policy set` read FILE from the local machine (a pipe such as
    `<(iptables-save)` works); `iptables file not provided` (`policy file not provided`) /
    `... does not exist` / `... is a directory` are errors (exit 1) before anything is sent;
    a missing `--sandbox-id` is a usage error (exit 2).
    """
    if ctx.invoked_subcommand is None:
        from kata_cli.render.terminal import out

        out(ctx.get_help())


@policy.command(name="set")
@click.option(
    "--sandbox-id",
    required=True,
    metavar="ID",
    shell_complete=completers.sandbox_ids,
    help="Sandbox id (or unique prefix).",
)
@click.argument("file", required=False, metavar="FILE")
@pass_app
def set_(app: AppContext, sandbox_id: str, file: str | None) -> None:
    """Send FILE (a Rego policy) to the sandbox's agent."""
    from kata_cli.errors import ShimError
    from kata_cli.shim.client import client_for, read_request_file

    data = read_request_file(file, "policy")
    client = client_for(app.host, sandbox_id)
    try:
        client.policy_set(data)
    except ShimError as exc:
        raise ShimError(
            f"Error observed when making policy-set request({file}): {exc.message}", exc.hint
        ) from None
