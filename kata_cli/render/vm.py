"""Human and JSON renderings of `kata-cli vm` results (written through render.terminal)."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from kata_cli.render.jsonout import dumps
from kata_cli.render.terminal import err, note, out, warn
from kata_cli.vm.shares import mount_command

if TYPE_CHECKING:
    from kata_cli.vm.lifecycle import StopResult, VmInspect, VmList
    from kata_cli.vm.plan import LaunchPlan
    from kata_cli.vm.runner import RunEnd, VmRunResult


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        out("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def render_plan(plan: LaunchPlan, as_json: bool) -> None:
    if as_json:
        out(dumps(plan), end="")
        return
    out(f"name:          {plan.name}")
    out(f"accelerator:   {plan.accel}")
    out(f"vCPUs:         {plan.vcpus} (max {plan.max_vcpus})")
    out(f"memory:        {plan.memory_mib} MiB")
    out(f"kernel:        {plan.kernel}")
    if plan.initrd:
        out(f"initrd:        {plan.initrd}")
    if plan.image:
        out(f"image:         {plan.image} ({plan.image_device}, read-only)")
    out(f"kernel params: {plan.kernel_params}")
    for share in plan.shares:
        out(f"share:         {share.source} -> tag {share.tag} ({share.mode})")
        out(f"               in the guest: {mount_command(share.tag, share.mode)}")
    for text in plan.notes:
        out(f"note:          {text}")
    out("command line:")
    out(
        " \\\n".join("  " + " ".join(shlex.quote(a) for a in group) for group in _groups(plan.argv))
    )


def _groups(argv: list[str]) -> list[list[str]]:
    """The binary, then each option with its value: one per line."""
    groups: list[list[str]] = [[argv[0]]] if argv else []
    for arg in argv[1:]:
        if arg.startswith("-") or len(groups[-1]) > 1 or groups[-1][0] == argv[0]:
            groups.append([arg])
        else:
            groups[-1].append(arg)
    return groups


def render_notices(notices: list[str]) -> None:
    """Notes about the plan on stderr; the 9p slow path is a warning."""
    for text in notices:
        (warn if "9p" in text else note)(text)


def render_run(result: VmRunResult, as_json: bool) -> None:
    if as_json:
        out(dumps(result), end="")
        return
    seconds = f"{result.ready_seconds:.2f}s" if result.ready_seconds is not None else "?"
    out(f"{result.name}: ready in {seconds} ({result.accel}), pid {result.pid}")
    out(f"  debug console (hybrid vsock): {result.hvsock}")
    out(f"  serial console: {result.console}")
    for disk in result.disks:
        out(f"  hot-plugged disk: {disk}")
    for share in result.shares:
        out(f"  share {share.source} -> tag {share.tag} ({share.mode}); in the guest:")
        out(f"    {share.mount}")


_ENDED = {
    "powered-off": "the guest powered off",
    "interrupted": "interrupted",
    "terminated": "terminated (SIGTERM)",
}


def render_run_end(end: RunEnd, as_json: bool) -> None:
    """How a foreground run ended: on stdout after the ready line, on stderr with --json
    (stdout holds one JSON document)."""
    if end.how == "detached":
        return
    line = f"{end.name}: {_ENDED.get(end.how, end.how)}"
    if end.stop is not None and end.stop.method == "none":  # nothing was left to stop
        line += f"; state removed in {end.stop.seconds:.2f}s"
    elif end.stop is not None:
        line += f"; stopped ({end.stop.method}) in {end.stop.seconds:.2f}s"
    (err if as_json else out)(line)


def render_boot_output(lines: list[str]) -> None:
    """The last lines a VM printed before its boot failed (stderr, under the error)."""
    for line in lines:
        err(f"  | {line}")


def render_list(listing: VmList, as_json: bool) -> None:
    if as_json:
        out(dumps(listing), end="")
        return
    rows = [["NAME", "STATE", "QMP", "PID", "VCPUS", "MEMORY", "UPTIME", "ACCEL"]]
    for vm in listing.vms:
        rows.append(
            [
                vm.name,
                vm.condition,
                vm.qmp_status,
                str(vm.pid or "-"),
                str(vm.vcpus or "-"),
                f"{vm.memory_mib}M" if vm.memory_mib else "-",
                f"{vm.uptime_seconds:.0f}s" if vm.uptime_seconds is not None else "-",
                vm.accel or "-",
            ]
        )
    _table(rows)


def render_inspect(info: VmInspect, as_json: bool) -> None:
    if as_json:
        out(dumps(info), end="")
        return
    status = info.status.get("status", "-") if isinstance(info.status, dict) else "-"
    out(f"name:      {info.name}")
    out(f"state:     {info.condition} (QMP: {status})")
    out(f"pid:       {info.pid or '-'}")
    if info.rss_bytes is not None:
        out(f"rss:       {info.rss_bytes // (1024 * 1024)} MiB")
    if isinstance(info.cpus, list):
        out(f"vCPUs:     {len(info.cpus)}")
    if isinstance(info.memory, dict):
        out(f"memory:    {int(info.memory.get('base-memory', 0)) // (1024 * 1024)} MiB")
    for disk in info.block or []:
        ro = " (read-only)" if disk.get("read_only") else ""
        out(f"disk:      {disk.get('qdev') or disk.get('device')}: {disk.get('file')}{ro}")
    for key, path in info.sockets.items():
        out(f"socket:    {key} {path}")
    for share in info.shares:
        out(f"share:     {share['source']} -> tag {share['tag']} ({share['mode']})")
        out(f"           in the guest: {share['mount']}")
    if info.plan:
        out("command line:")
        out("  " + " ".join(shlex.quote(arg) for arg in info.plan.get("argv", [])))


def render_stops(results: list[StopResult], as_json: bool) -> None:
    if as_json:
        out(dumps(results), end="")
        return
    for result in results:
        out(f"{result.name}: stopped ({result.method}) in {result.seconds:.2f}s")
