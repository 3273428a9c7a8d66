"""`kata-cli sandbox list` (alias `ps`): the sandboxes running on this host."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kata_cli.appctx import AppContext
from kata_cli.commands.options import pass_app

if TYPE_CHECKING:
    from kata_cli.shim.sandboxes import SandboxInfo

JSON_SCHEMA = "kata-cli/sandbox-list/1"


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
    from kata_cli.shim.sandboxes import list_sandboxes

    found = list_sandboxes(app.host, probe=not no_probe)
    if as_json:
        from kata_cli.render.jsonout import dumps
        from kata_cli.render.terminal import out

        out(dumps({"schema": JSON_SCHEMA, "sandboxes": found}), end="")
        return
    _render(found)


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _render(found: list[SandboxInfo]) -> None:
    from kata_cli.render.terminal import console, out

    if not found:
        out("no sandboxes found")
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for title in ("SANDBOX ID", "RUNTIME", "STATE", "HYPERVISOR PID", "ALIVE", "SHIM"):
        table.add_column(title, no_wrap=True)
    for info in found:
        shim = "missing" if not info.socket_present else _shim_text(info.shim_answers)
        table.add_row(
            info.id,
            "go" if info.flavour == "go" else "runtime-rs",
            info.state or "-",
            str(info.hypervisor_pid) if info.hypervisor_pid else "-",
            _yes_no(info.hypervisor_alive),
            shim,
        )
    console().print(table)


def _shim_text(answers: bool | None) -> str:
    if answers is None:
        return "present"
    return "answers" if answers else "not answering"
