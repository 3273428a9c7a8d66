"""`kata-cli sandbox list` (alias `ps`): a table of sandboxes, or its JSON document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kata_cli.render.listing import render_listing

if TYPE_CHECKING:
    from kata_cli.shim.sandboxes import SandboxInfo

JSON_SCHEMA = "kata-cli/sandbox-list/1"
COLUMNS = ("SANDBOX ID", "RUNTIME", "STATE", "HYPERVISOR PID", "ALIVE", "SHIM")


def render(found: list[SandboxInfo], as_json: bool) -> None:
    render_listing(
        found,
        as_json,
        schema=JSON_SCHEMA,
        key="sandboxes",
        columns=COLUMNS,
        row=row,
        empty="no sandboxes found",
        no_wrap=True,
    )


def row(info: SandboxInfo) -> tuple[str, ...]:
    shim = "missing" if not info.socket_present else _shim_text(info.shim_answers)
    return (
        info.id,
        "go" if info.flavour == "go" else "runtime-rs",
        info.state or "-",
        str(info.hypervisor_pid) if info.hypervisor_pid else "-",
        _yes_no(info.hypervisor_alive),
        shim,
    )


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _shim_text(answers: bool | None) -> str:
    if answers is None:
        return "present"
    return "answers" if answers else "not answering"
