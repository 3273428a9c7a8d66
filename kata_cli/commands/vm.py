"""`kata-cli vm`: boot, inspect and tear down QEMU VMs from the Kata configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kata_cli.appctx import AppContext
from kata_cli.commands.options import Seconds, flavour_option, pass_app

if TYPE_CHECKING:
    from kata_cli.vm.plan import LaunchPlan

ACCELS = click.Choice(["auto", "kvm", "tcg"])
AGENT_VSOCK_PORT = 1024  # the agent's port in agent URLs; exec swaps in the debug port


def _plan_options(func: Any) -> Any:
    options = [
        click.option("--name", default="", help="VM name (default: kata-cli-<pid>)."),
        click.option(
            "--accel", type=ACCELS, default="auto", show_default=True, help="Accelerator."
        ),
        click.option(
            "--memory-limit",
            default="",
            metavar="QUANTITY",
            help="Container memory limit added to default_memory (e.g. 512Mi).",
        ),
        click.option(
            "--cpus",
            default="",
            metavar="N",
            help="Container CPU constraint added to default_vcpus, rounded up (e.g. 1.5).",
        ),
        click.option(
            "--test-guest",
            is_flag=True,
            help="Boot the cached test guest (scripts/build-test-guest.sh) instead of the "
            "configured kernel and image.",
        ),
        click.option(
            "--share",
            "shares",
            multiple=True,
            metavar="DIR[:9p|:virtio-fs]",
            help="Share a host directory (virtio-fs with a virtiofsd, one per share, else "
            "9p; a :9p or :virtio-fs suffix overrides --share-mode). Repeatable.",
        ),
        click.option(
            "--share-mode",
            type=click.Choice(["auto", "virtio-fs", "9p"]),
            default="auto",
            show_default=True,
        ),
        flavour_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _build(
    app: AppContext,
    *,
    name: str,
    accel: str,
    memory_limit: str,
    cpus: str,
    test_guest: bool,
    shares: tuple[str, ...],
    share_mode: str,
    flavour: str | None,
) -> tuple[LaunchPlan, str]:
    """The plan and the ready marker; notices about the accelerator go to stderr."""
    import os

    from kata_cli.errors import KataError
    from kata_cli.render.terminal import note
    from kata_cli.vm import state as st
    from kata_cli.vm.accel import choose_accel
    from kata_cli.vm.guest import DEFAULT_MARKER, find_test_guest
    from kata_cli.vm.plan import build_plan
    from kata_cli.vm.sizing import parse_cpus, parse_memory, vm_size

    config = app.load_config(flavour=flavour)
    guest = None
    if test_guest:
        guest = find_test_guest()
        if guest is None:
            raise KataError("no test guest found", "run scripts/build-test-guest.sh")
    hv = config.hypervisor
    size = vm_size(
        hv.default_vcpus,
        hv.default_maxvcpus,
        hv.default_memory,
        hv.default_maxmemory,
        memory_limit_mib=parse_memory(memory_limit) if memory_limit else 0,
        cpus=parse_cpus(cpus) if cpus else 0.0,
    )
    name = st.check_name(name or f"kata-cli-{os.getpid()}")
    choice = choose_accel(app.host, accel)
    if choice.notice:
        note(choice.notice)
    plan = build_plan(
        app.host,
        config,
        name=name,
        directory=st.vm_dir(name),
        accel=choice.accel,
        size=size,
        guest=guest,
        shares=list(shares),
        share_mode=share_mode,
    )
    return plan, guest.ready_marker if guest else DEFAULT_MARKER


@click.group(name="vm")
def vm() -> None:
    """Boot, inspect and tear down VMs with QEMU.

    VMs are recorded under the run directory: KATA_CLI_RUN_DIR when set, else
    /run/kata-cli as root, else $XDG_RUNTIME_DIR/kata-cli.
    """


@vm.command(name="plan")
@_plan_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def plan_cmd(app: AppContext, as_json: bool, **options: Any) -> None:
    """Print the QEMU command line the configuration gives, without starting anything."""
    from kata_cli.vm.report import render_plan

    plan, _marker = _build(app, **options)
    render_plan(plan, as_json)


@vm.command(name="run")
@_plan_options
@click.option("--detach", "-d", is_flag=True, help="Return once the guest is ready.")
@click.option(
    "--disk",
    "disks",
    multiple=True,
    metavar="FILE",
    help="Hot-plug FILE as a virtio-blk disk once ready (QMP). Repeatable.",
)
@click.option("--ready-timeout", type=Seconds(1), default=120.0, show_default=True)
@click.option("--ready-marker", default="", help="Console line that means ready.")
@click.option(
    "--sandbox",
    is_flag=True,
    help="Also answer like a Go-runtime sandbox (GET /agent-url on "
    "/run/vc/sbs/NAME/shim-monitor.sock under the host root), so `kata-cli exec NAME` works.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def run_cmd(
    app: AppContext,
    detach: bool,
    sandbox: bool,
    disks: tuple[str, ...],
    ready_timeout: float,
    ready_marker: str,
    as_json: bool,
    **options: Any,
) -> None:
    """Boot a VM and wait until its guest is ready.

    Without --detach, stay until the VM powers off or Ctrl-C (which stops it).
    """
    import time
    from pathlib import Path

    from kata_cli.errors import KataError
    from kata_cli.render.terminal import err, note, warn
    from kata_cli.vm import lifecycle
    from kata_cli.vm import state as st
    from kata_cli.vm.disks import check_disk, hotplug_disk
    from kata_cli.vm.report import render_run

    for disk in disks:  # before the boot, not after it
        check_disk(disk)
    plan, marker = _build(app, **options)
    for text in plan.notes:
        (warn if "9p" in text else note)(text)
    shim = None
    if sandbox:
        host_dir = f"/run/vc/sbs/{plan.name}"
        if app.host.lexists(host_dir):
            raise KataError(f"a sandbox named {plan.name!r} already exists ({host_dir})")
        if not Path(plan.sockets["hvsock"]).is_relative_to(app.host.root):
            # `kata-cli exec` reads the URL as a host path and looks for it under the root
            raise KataError(
                f"--sandbox: the run directory {st.run_root()} is outside the host root "
                f"{app.host.root}, so `kata-cli exec` could not reach the VM",
                f"set KATA_CLI_RUN_DIR to a directory under {app.host.root}",
            )
        hvsock = app.host.to_host_path(plan.sockets["hvsock"])
        shim = (
            str(app.host.path(f"{host_dir}/shim-monitor.sock")),
            f"hvsock://{hvsock}:{AGENT_VSOCK_PORT}",
        )
    if not detach:
        # SIGTERM (a service manager, `kill`) stops a foreground VM the way Ctrl-C does
        import signal

        def _terminate(_signum: int, _frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _terminate)
    ready = False
    directory = None
    try:
        # inside the try: a signal right after start() returns must still stop the VM
        # (start() itself stops what it started when interrupted)
        directory = lifecycle.start(
            plan,
            ready_marker=ready_marker or marker,
            ready_timeout=ready_timeout,
            accel_auto=options["accel"] == "auto",
            detach=detach,
            sandbox=shim,
        )
        state = lifecycle.wait_ready(directory, ready_timeout)
        record = st.judge(plan.name, directory)
        plugged = [hotplug_disk(record, disk) for disk in disks]
        ready = True
        if state.detail:
            note(state.detail)
        result = lifecycle.RunResult(
            lifecycle.RUN_SCHEMA,
            plan.name,
            state.status,
            state.accel,
            state.ready_seconds,
            state.qemu.pid if state.qemu else None,
            str(directory),
            str(directory / st.HVSOCK_SOCKET),
            str(directory / st.CONSOLE_SOCKET),
            plugged,
            plan.notes,
        )
        render_run(result, as_json)
        if detach:
            return
        while st.judge(plan.name, directory).qemu_alive:
            time.sleep(0.2)
    except KeyboardInterrupt:
        # Ctrl-C is how a foreground VM is stopped; during the boot it also interrupts us
        if not ready:
            if directory is not None:
                lifecycle.stop(st.judge(plan.name, directory), grace=0.5)
            raise
    except KataError as exc:
        if isinstance(exc, lifecycle.BootFailed):
            for line in exc.last_output:
                err(f"  | {line}")
        if directory is not None:
            lifecycle.stop(st.judge(plan.name, directory), grace=0.5)
        raise
    assert directory is not None
    lifecycle.stop(st.judge(plan.name, directory))


@vm.command(name="disk-add")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--read-only", is_flag=True, help="Attach the disk read-only.")
def disk_add_cmd(name: str, file: str, read_only: bool) -> None:
    """Hot-plug FILE into a running VM as a virtio-blk disk (QMP); prints its id."""
    from kata_cli.errors import KataError
    from kata_cli.render.terminal import out
    from kata_cli.vm import state as st
    from kata_cli.vm.disks import hotplug_disk

    record = st.find_record(name)
    if not record.qemu_alive:
        raise KataError(f"VM {name!r} is not running ({record.condition})")
    out(hotplug_disk(record, file, read_only=read_only))


@vm.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(as_json: bool) -> None:
    """List VMs started by kata-cli (running, orphaned, dead)."""
    from kata_cli.vm.lifecycle import list_vms
    from kata_cli.vm.report import render_list

    render_list(list_vms(), as_json)


@vm.command(name="inspect")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def inspect_cmd(name: str, as_json: bool) -> None:
    """QMP status, vCPUs, memory, disks, RSS, sockets and launch plan of a VM."""
    from kata_cli.vm import lifecycle
    from kata_cli.vm import state as st
    from kata_cli.vm.report import render_inspect

    render_inspect(lifecycle.inspect(st.find_record(name)), as_json)


def _debug_socket(name: str, timeout: float) -> Any:
    import time

    from kata_cli.config.kernel_params import DEBUG_CONSOLE_VPORT
    from kata_cli.console.hvsock import connect_hybrid_vsock
    from kata_cli.errors import KataError
    from kata_cli.vm import state as st

    record = st.find_record(name)
    if not record.qemu_alive:
        raise KataError(f"VM {name!r} is not running ({record.condition})")
    path = str(record.directory / st.HVSOCK_SOCKET)
    return connect_hybrid_vsock(path, DEBUG_CONSOLE_VPORT, deadline=time.monotonic() + timeout)


@vm.command(name="console")
@click.argument("name")
def console_cmd(name: str) -> None:
    """Attach to the VM's serial console (Ctrl-] then q leaves; the VM keeps running)."""
    import socket
    import sys

    from kata_cli.console.session import ESCAPE_HELP, interactive_session
    from kata_cli.errors import KataError
    from kata_cli.render.terminal import err, stream_is_tty
    from kata_cli.vm import state as st
    from kata_cli.vm.lifecycle import console_in_use

    record = st.find_record(name)
    if not record.qemu_alive:
        raise KataError(f"VM {name!r} is not running ({record.condition})")
    if console_in_use(record):
        raise KataError(
            f"the console of {name} is in use by another client",
            "QEMU serves one console client at a time; detach the other one first",
        )
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(3.0)
    try:
        sock.connect(str(record.directory / st.CONSOLE_SOCKET))
    except OSError as exc:
        sock.close()
        raise KataError(f"cannot attach to the console of {name}: {exc.strerror or exc}") from None
    with sock:
        if stream_is_tty(sys.stdin):
            err(f"attached to {name}; {ESCAPE_HELP}")
        interactive_session(sock)


@vm.command(name="exec", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--timeout", type=Seconds(0.1), default=60.0, show_default=True)
def exec_cmd(name: str, command: tuple[str, ...], timeout: float) -> None:
    """Run `-- CMD ARGS...` in the guest's debug shell; its exit status becomes ours."""
    from kata_cli.console.oneshot import run_oneshot
    from kata_cli.errors import VerdictFailure
    from kata_cli.render.terminal import out_bytes

    sock = _debug_socket(name, 5.0)
    with sock:
        output, status = run_oneshot(sock, list(command), timeout=timeout)
    out_bytes(output)
    if status != 0:
        raise VerdictFailure("", exit_code=status & 0xFF)


@vm.command(name="stop")
@click.argument("name")
@click.option(
    "--grace",
    type=Seconds(0),
    default=5.0,
    show_default=True,
    help="Seconds to wait after the ACPI power-down before QMP quit.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stop_cmd(name: str, grace: float, as_json: bool) -> None:
    """Power the VM down (then quit, then SIGKILL) and remove its sockets and state."""
    from kata_cli.vm import lifecycle
    from kata_cli.vm import state as st
    from kata_cli.vm.report import render_stops

    render_stops([lifecycle.stop(st.find_record(name), grace)], as_json)


@vm.command(name="prune")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def prune_cmd(as_json: bool) -> None:
    """Stop orphaned VMs and remove the state of dead ones."""
    from kata_cli.vm.lifecycle import prune
    from kata_cli.vm.report import render_stops

    render_stops(prune(), as_json)
