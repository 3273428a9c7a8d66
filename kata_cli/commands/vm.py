"""`kata-cli vm`: boot, inspect and tear down QEMU VMs from the Kata configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kata_cli.appctx import AppContext
from kata_cli.commands import completers
from kata_cli.commands.options import Seconds, flavour_option, pass_app

if TYPE_CHECKING:
    from kata_cli.vm.runner import Prepared

ACCELS = click.Choice(["auto", "kvm", "tcg"])


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
            help="Boot the cached test guest (kata-cli vm guest build) instead of the "
            "configured kernel and image.",
        ),
        click.option(
            "--share",
            "shares",
            multiple=True,
            metavar="DIR[:9p|:virtio-fs]",
            help="Share a host directory (virtio-fs with a virtiofsd, one per share, else "
            "9p; a :9p or :virtio-fs suffix overrides --share-mode). Repeatable. The "
            "guest mounts share N with tag kata-shareN; `vm run` prints the command.",
        ),
        click.option(
            "--share-mode",
            type=click.Choice(["auto", "virtio-fs", "9p"]),
            default="auto",
            show_default=True,
            help="How --share directories reach the guest: auto is virtio-fs when the "
            "configured virtio_fs_daemon is executable, else 9p.",
        ),
        flavour_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _prepare(app: AppContext, flavour: str | None, **request: Any) -> Prepared:
    from kata_cli.vm.runner import NoTestGuest, PlanRequest, prepare

    config = app.load_config(flavour=flavour)
    try:
        return prepare(app.host, config, PlanRequest(**request))
    except NoTestGuest:
        if not _offer_guest_build():
            raise
    return prepare(app.host, config, PlanRequest(**request))


def _offer_guest_build() -> bool:
    """On a terminal, offer to build the missing test guest now; True once it is built."""
    import sys

    from kata_cli.render.terminal import stream_is_tty

    if not (stream_is_tty(sys.stdin) and stream_is_tty(sys.stderr)):
        return False
    prompt = "No test guest is cached. Build it now (kata-cli vm guest build)?"
    if not click.confirm(prompt, default=False, err=True):
        return False
    _build_guest(rebuild=False, as_result=False)
    return True


def _build_guest(rebuild: bool, as_result: bool = True) -> None:
    from kata_cli.host import Host
    from kata_cli.render.vm_guest import build_progress, render_guest_build
    from kata_cli.vm.guest_build import build_guest

    with build_progress() as progress:
        build = build_guest(Host("/"), progress, rebuild=rebuild)  # the guest is for this machine
    render_guest_build(build, as_result)


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
    from kata_cli.render.vm import render_notices, render_plan

    prepared = _prepare(app, **options)
    render_notices(prepared.notices)
    render_plan(prepared.plan, as_json)


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
@click.option(
    "--ready-timeout",
    type=Seconds(1),
    default=120.0,
    show_default=True,
    help="Seconds to wait for the ready marker; the VM is stopped when it does not come.",
)
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
) -> int:
    """Boot a VM and wait until its guest is ready.

    Without --detach, stay until the VM powers off, Ctrl-C or SIGTERM (which stop it;
    exit status 130 and 143).
    """
    from kata_cli.render.terminal import note
    from kata_cli.render.vm import render_boot_output, render_notices, render_run, render_run_end
    from kata_cli.vm import lifecycle, runner
    from kata_cli.vm.disks import check_disk

    for disk in disks:  # before the configuration is even read, let alone a VM booted
        check_disk(disk)
    prepared = _prepare(app, **options)
    render_notices(prepared.notices + prepared.plan.notes)
    run_options = runner.RunOptions(
        detach=detach,
        disks=disks,
        ready_timeout=ready_timeout,
        ready_marker=ready_marker,
        sandbox=sandbox,
        accel_auto=options["accel"] == "auto",
    )

    def on_ready(result: runner.VmRunResult, detail: str) -> None:
        if detail:
            note(detail)
        render_run(result, as_json)

    try:
        end = runner.run(app.host, prepared, run_options, on_ready)
    except runner.BootInterrupted as exc:
        render_run_end(exc.end, as_json)
        raise
    except lifecycle.BootFailed as exc:
        render_boot_output(exc.last_output)
        raise
    render_run_end(end, as_json)
    return end.exit_status


@vm.group(name="guest")
def guest_group() -> None:
    """The test guest: a Debian kernel and a busybox initrd, cached per kernel version.

    `vm run --test-guest` and `check --boot-guest` boot it. The cache is
    KATA_CLI_GUEST_CACHE when set, else $XDG_CACHE_HOME/kata-cli/test-guest.
    """


@guest_group.command(name="build")
@click.option("--rebuild", is_flag=True, help="Build again even when the guest is cached.")
def guest_build_cmd(rebuild: bool) -> None:
    """Download the kernel package (apt-get download, never installed), unpack it and
    assemble a busybox initrd; print the cache directory.

    Needs apt-get, dpkg-deb, kmod (depmod, modprobe) and busybox-static.
    """
    _build_guest(rebuild)


@vm.command(name="disk-add")
@click.argument("name", shell_complete=completers.vm_names)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--read-only", is_flag=True, help="Attach the disk read-only.")
def disk_add_cmd(name: str, file: str, read_only: bool) -> None:
    """Hot-plug FILE into a running VM as a virtio-blk disk (QMP); prints its id."""
    from kata_cli.render.terminal import out
    from kata_cli.vm import state as st
    from kata_cli.vm.disks import hotplug_disk

    out(hotplug_disk(st.require_running(name), file, read_only=read_only))


@vm.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(as_json: bool) -> None:
    """List VMs started by kata-cli (running, orphaned, dead)."""
    from kata_cli.render.vm import render_list
    from kata_cli.vm.lifecycle import list_vms

    render_list(list_vms(), as_json)


@vm.command(name="inspect")
@click.argument("name", shell_complete=completers.vm_names)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def inspect_cmd(name: str, as_json: bool) -> None:
    """QMP status, vCPUs, memory, disks, RSS, sockets and launch plan of a VM."""
    from kata_cli.render.vm import render_inspect
    from kata_cli.vm import lifecycle
    from kata_cli.vm import state as st

    render_inspect(lifecycle.inspect(st.find_record(name)), as_json)


def _debug_socket(name: str, timeout: float) -> Any:
    import time

    from kata_cli.config.kernel_params import DEBUG_CONSOLE_VPORT
    from kata_cli.console.hvsock import connect_hybrid_vsock
    from kata_cli.vm import state as st

    record = st.require_running(name)
    path = str(record.directory / st.HVSOCK_SOCKET)
    return connect_hybrid_vsock(path, DEBUG_CONSOLE_VPORT, deadline=time.monotonic() + timeout)


@vm.command(name="console")
@click.argument("name", shell_complete=completers.vm_names)
def console_cmd(name: str) -> None:
    """Attach to the VM's serial console (Ctrl-] then q leaves; the VM keeps running)."""
    import sys

    from kata_cli.console.serial import connect_serial_console
    from kata_cli.console.session import ESCAPE_HELP, interactive_session
    from kata_cli.errors import KataError
    from kata_cli.render.terminal import err, stream_is_tty
    from kata_cli.vm import state as st
    from kata_cli.vm.lifecycle import console_in_use

    record = st.require_running(name)
    if console_in_use(record):
        raise KataError(
            f"the console of {name} is in use by another client",
            "QEMU serves one console client at a time; detach the other one first",
        )
    with connect_serial_console(str(record.directory / st.CONSOLE_SOCKET), name) as sock:
        if stream_is_tty(sys.stdin):
            err(f"attached to {name}; {ESCAPE_HELP}")
        interactive_session(sock)


@vm.command(name="exec", context_settings={"ignore_unknown_options": True})
@click.argument("name", shell_complete=completers.vm_names)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--timeout", type=Seconds(0.1), default=60.0, show_default=True)
def exec_cmd(name: str, command: tuple[str, ...], timeout: float) -> None:
    """Run `-- CMD ARGS...` in the guest's debug shell; its exit status becomes ours."""
    from kata_cli.console.oneshot import run_oneshot
    from kata_cli.errors import VerdictFailure
    from kata_cli.render.terminal import out_bytes

    sock = _debug_socket(name, 5.0)
    with sock:  # streamed, not kept: a guest that prints forever costs no memory
        _, status = run_oneshot(sock, list(command), timeout=timeout, on_output=out_bytes)
    if status != 0:
        raise VerdictFailure("", exit_code=status & 0xFF)


@vm.command(name="stop")
@click.argument("name", shell_complete=completers.vm_names)
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
    from kata_cli.render.vm import render_stops
    from kata_cli.vm import lifecycle
    from kata_cli.vm import state as st

    render_stops([lifecycle.stop(st.find_record(name), grace)], as_json)


@vm.command(name="prune")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def prune_cmd(as_json: bool) -> None:
    """Stop orphaned VMs and remove the state of dead ones."""
    from kata_cli.render.vm import render_stops
    from kata_cli.vm.lifecycle import prune

    render_stops(prune(), as_json)
