"""Human and JSON renderings of `kata-cli vm` results (written through render.terminal)."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from kata_cli.render.jsonout import dumps
from kata_cli.render.terminal import err, note, out, warn
from kata_cli.render.text import printable_lines
from kata_cli.vm.shares import mount_command

if TYPE_CHECKING:
    from kata_cli.vm.lifecycle import StopResult, VmInspect, VmList
    from kata_cli.vm.plan import LaunchPlan
    from kata_cli.vm.runner import RunEnd, VmRunResult


def _say(text: str = "") -> None:
    """A line of human output: paths and kernel parameters come from the host's
    configuration, so control characters are escaped (newlines between lines stay)."""
    out(printable_lines(text))


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        _say("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def render_plan(plan: LaunchPlan, as_json: bool) -> None:
    if as_json:
        out(dumps(plan), end="")
        return
    _say(f"name:          {plan.name}")
    _say(f"accelerator:   {plan.accel}")
    _say(f"vCPUs:         {plan.vcpus} (max {plan.max_vcpus})")
    _say(f"memory:        {plan.memory_mib} MiB")
    _say(f"kernel:        {plan.kernel}")
    if plan.initrd:
        _say(f"initrd:        {plan.initrd}")
    if plan.image:
        _say(f"image:         {plan.image} ({plan.image_device}, read-only)")
    _say(f"kernel params: {plan.kernel_params}")
    for share in plan.shares:
        _say(f"share:         {share.source} -> tag {share.tag} ({share.mode})")
        _say(f"               in the guest: {mount_command(share.tag, share.mode)}")
    for text in plan.notes:
        _say(f"note:          {text}")
    _say("command line:")
    _say(
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
    _say(f"{result.name}: ready in {seconds} ({result.accel}), pid {result.pid}")
    _say(f"  debug console (hybrid vsock): {result.hvsock}")
    _say(f"  serial console: {result.console}")
    for disk in result.disks:
        _say(f"  hot-plugged disk: {disk}")
    for share in result.shares:
        _say(f"  share {share.source} -> tag {share.tag} ({share.mode}); in the guest:")
        _say(f"    {share.mount}")


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
    if not listing.vms:  # as `sandbox list` and `direct-volume list` say it, not a bare header
        _say(f"no VMs in {listing.run_dir} (kata-cli vm run starts one)")
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
    _say(f"name:      {info.name}")
    _say(f"state:     {info.condition} (QMP: {status})")
    _say(f"pid:       {info.pid or '-'}")
    if info.rss_bytes is not None:
        _say(f"rss:       {info.rss_bytes // (1024 * 1024)} MiB")
    if isinstance(info.cpus, list):
        _say(f"vCPUs:     {len(info.cpus)}")
    if isinstance(info.memory, dict):
        _say(f"memory:    {int(info.memory.get('base-memory', 0)) // (1024 * 1024)} MiB")
    for disk in info.block or []:
        ro = " (read-only)" if disk.get("read_only") else ""
        _say(f"disk:      {disk.get('qdev') or disk.get('device')}: {disk.get('file')}{ro}")
    for key, path in info.sockets.items():
        _say(f"socket:    {key} {path}")
    for share in info.shares:
        _say(f"share:     {share['source']} -> tag {share['tag']} ({share['mode']})")
        _say(f"           in the guest: {share['mount']}")
    if info.plan:
        _say("command line:")
        _say("  " + " ".join(shlex.quote(arg) for arg in info.plan.get("argv", [])))


def render_stops(results: list[StopResult], as_json: bool) -> None:
    if as_json:
        out(dumps(results), end="")
        return
    if not results:  # vm prune with nothing to do: say so rather than print nothing
        _say("nothing to prune: no orphaned or dead VMs")
        return
    for result in results:
        _say(f"{result.name}: stopped ({result.method}) in {result.seconds:.2f}s")
