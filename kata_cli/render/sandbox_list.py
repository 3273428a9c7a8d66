"""`kata-cli sandbox list` (alias `ps`): a table of sandboxes, or its JSON document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kata_cli.render.terminal import console, out

if TYPE_CHECKING:
    from kata_cli.shim.sandboxes import SandboxInfo

JSON_SCHEMA = "kata-cli/sandbox-list/1"
COLUMNS = ("SANDBOX ID", "RUNTIME", "STATE", "HYPERVISOR PID", "ALIVE", "SHIM")


def render(found: list[SandboxInfo], as_json: bool) -> None:
    if as_json:
        from kata_cli.render.jsonout import dumps

        out(dumps({"schema": JSON_SCHEMA, "sandboxes": found}), end="")
        return
    if not found:
        out("no sandboxes found")
        return
    from rich.table import Table
    from rich.text import Text

    from kata_cli.render.text import printable

    table = Table(box=None, pad_edge=False)
    for title in COLUMNS:
        table.add_column(title, no_wrap=True)
    for info in found:
        # the state comes from the sandbox's persist.json: escaped, never rich markup
        table.add_row(*(Text(printable(value)) for value in row(info)))
    console().print(table)


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
