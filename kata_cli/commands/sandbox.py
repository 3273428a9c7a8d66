"""`kata-cli sandbox list` (alias `ps`): the sandboxes running on this host."""

from __future__ import annotations

import click

from kata_cli.appctx import AppContext
from kata_cli.commands.options import pass_app


@click.group(invoke_without_command=True)
@click.pass_context
def sandbox(ctx: click.Context) -> None:
    """List running sandboxes (Go and runtime-rs).

    \f
    ```
    kata-cli sandbox list [--json] [--no-probe]
    kata-cli ps                                   # the same
    ```

    `kata-cli sandbox list` shows every sandbox under `/run/vc/sbs` (Go runtime) and
    `/run/kata` (runtime-rs): id, runtime, state and hypervisor pid from the persisted state,
    whether that process is alive, and whether the shim socket answers (`GET /agent-url`,
    all sockets probed in parallel within 1 s in all, however many hang; a socket not
    reached in that second shows `present`; `--no-probe` skips it). A state file that is
    missing or not JSON only leaves its columns empty. `--json`:

    ```
    {"schema": "kata-cli/sandbox-list/1",
     "sandboxes": [{"id": "...", "flavour": "go",            # or "rs"
                    "state_dir": "/run/vc/sbs/<id>", "socket_path": ".../shim-monitor.sock",
                    "socket_present": true, "state": "running",  # null when unknown
                    "hypervisor_pid": 4242, "hypervisor_alive": true,  # null when unknown
                    "agent_url": "hvsock://...:1024",        # saved in the persisted state
                    "containers": ["<container id>", ...],   # Go runtime only
                    "shim_answers": true}]}                  # null: not probed
    ```

    With no sandbox the human output is `no sandboxes found`. Exit statuses: 0 done, 1 an
    error, 2 a usage error.
    """
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
