"""Running sandboxes: the sandbox listing (or the run directories), their VM processes and,
with `--sandbox ID`, the persisted state of that sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator

from kata_cli.collect.context import Context
from kata_cli.collect.model import FAILED, NOT_FOUND, Item
from kata_cli.collect.section import Section
from kata_cli.record import asdict, is_record

RUN_DIRS = ("/run/vc/sbs", "/run/kata")
STATE_FILES = tuple(f"{directory}/{{sandbox}}/*.json" for directory in RUN_DIRS)
NOT_SANDBOXES = frozenset({"firecracker"})
PROCESS_NAMES = (
    "qemu-system",
    "qemu-kvm",
    "cloud-hypervisor",
    "firecracker",
    "dragonball",
    "virtiofsd",
    "containerd-shim-kata-v2",
    "kata-monitor",
)
MAX_CMDLINE = 400


def processes(ctx: Context) -> list[tuple[int, str]]:
    """(pid, command line) of the hypervisor, virtiofsd and shim processes on the host."""
    found = []
    for name in ctx.host.listdir_or_empty("/proc"):
        if not (name.isascii() and name.isdigit()):  # (a "²" entry is not a pid)
            continue
        raw = ctx.read_text_or(f"/proc/{name}/cmdline")
        if not raw:
            continue
        cmdline = raw.replace("\0", " ").strip()
        program = cmdline.split(" ", 1)[0]
        if any(p in program for p in PROCESS_NAMES):
            found.append((int(name), cmdline))
    return sorted(found)


def _listing(ctx: Context) -> Item:
    try:
        from kata_cli.shim.sandboxes import list_sandboxes  # type: ignore[import-not-found,unused-ignore]

        found = list_sandboxes(ctx.host)
        rows = [asdict(s) if is_record(s) else vars(s) for s in found]
        text = json.dumps(rows, indent=2, default=str) + "\n" if rows else "No sandboxes.\n"
        return Item("data", "Sandboxes", text=text, lang="json" if rows else "", data=rows)
    except Exception as exc:
        fallback = f"sandbox listing unavailable ({type(exc).__name__}: {exc}); run directories"
    rows = []
    for directory in RUN_DIRS:
        for entry in ctx.host.listdir_or_empty(directory):
            if entry not in NOT_SANDBOXES and ctx.host.is_dir(f"{directory}/{entry}"):
                rows.append({"id": entry, "state_dir": f"{directory}/{entry}"})
    lines = [f"{row['id']} ({row['state_dir']})" for row in rows]
    return Item(
        "data",
        "Sandboxes (from run directories)",
        text="\n".join(lines) + "\n" if lines else "No sandbox state directories.\n",
        detail=fallback,
        data=rows,
    )


def _process_item(title: str, procs: list[tuple[int, str]]) -> Item:
    lines = [f"{pid} {cmd[:MAX_CMDLINE]}" for pid, cmd in procs]
    return Item(
        "data",
        title,
        text="\n".join(lines) + "\n" if lines else "None running.\n",
        data=[{"pid": pid, "cmdline": cmd} for pid, cmd in procs],
    )


def probe(ctx: Context) -> Iterator[Item]:
    sandbox = ctx.options.sandbox
    yield _listing(ctx)
    procs = processes(ctx)
    if not sandbox:
        yield _process_item("Hypervisor, virtiofsd and shim processes", procs)
        return
    from kata_cli.shim.layout import validate_id

    validate_id(sandbox)
    state_dirs = [f"{d}/{sandbox}" for d in RUN_DIRS if ctx.host.is_dir(f"{d}/{sandbox}")]
    if not state_dirs:
        yield Item(
            "text",
            f"State of {sandbox}",
            status=NOT_FOUND,
            detail=f"no state directory in {' or '.join(RUN_DIRS)}",
        )
    for directory in state_dirs:
        names = ctx.host.listdir_or_empty(directory)
        yield Item("text", f"{directory}", text="\n".join(names) + "\n")
        for name in names:
            if name.endswith(".json"):
                yield ctx.read_file(f"{directory}/{name}", lang="json")
    mine = [(pid, cmd) for pid, cmd in procs if sandbox in cmd]
    item = _process_item(f"Processes of {sandbox}", mine)
    if not mine:
        item.status = FAILED
        item.detail = "no hypervisor or virtiofsd process carries this id"
    yield item


SECTION = Section(
    id="sandboxes",
    title="Running sandboxes",
    description="Sandboxes (listing, else /run/vc/sbs and /run/kata), VM and shim processes; "
    "with --sandbox, its persisted state and processes.",
    probe=probe,
    reads=("/proc/*/cmdline", *STATE_FILES),  # the state files with --sandbox
)
