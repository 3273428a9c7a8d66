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
        click.option("--name", default=None, help="VM name (default: kata-cli-<pid>)."),
        click.option(
            "--accel", type=ACCELS, default="auto", show_default=True, help="Accelerator."
        ),
        click.option(
            "--memory-limit",
            default=None,
            metavar="QUANTITY",
            help="Container memory limit added to default_memory (e.g. 512Mi).",
        ),
        click.option(
            "--cpus",
            default=None,
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
    from kata_cli.vm import sizing
    from kata_cli.vm import state as st
    from kata_cli.vm.runner import NoTestGuest, PlanRequest, prepare

    # given but empty (an unset shell variable) is refused as any bad value is; left
    # out, the default applies (`--name ''` used to boot a VM called kata-cli-<pid>)
    for key, check in (
        ("name", st.check_name),
        ("memory_limit", sizing.parse_memory),
        ("cpus", sizing.parse_cpus),
    ):
        if request.get(key) is None:
            request[key] = ""
        elif not request[key]:
            check("")
    config = app.load_config(flavour=flavour)
    try:
        return prepare(app.host, config, PlanRequest(**request))
    except NoTestGuest:
        if not _offer_guest_build(app):
            raise
    return prepare(app.host, config, PlanRequest(**request))


def _offer_guest_build(app: AppContext) -> bool:
    """On a terminal, offer to build the missing test guest now; True once it is built."""

    from kata_cli.render.terminal import stderr_is_tty, stdin_is_tty

    if not (stdin_is_tty() and stderr_is_tty()):
        return False
    prompt = "No test guest is cached. Build it now (kata-cli vm guest build)?"
    if not click.confirm(prompt, default=False, err=True):
        return False
    _build_guest(app, rebuild=False, as_result=False)
    return True


def _build_guest(app: AppContext, rebuild: bool, as_result: bool = True) -> None:
    from kata_cli.render.vm_guest import build_progress, render_guest_build
    from kata_cli.vm.guest_build import build_guest

    host = app.host.this_machine()  # the guest is for this machine
    with build_progress() as progress:
        build = build_guest(host, progress, rebuild=rebuild)
    render_guest_build(build, as_result)


@click.group(name="vm")
def vm() -> None:
    """Boot, inspect and tear down VMs with QEMU.

    VMs are recorded under the run directory: KATA_CLI_RUN_DIR when set, else
    /run/kata-cli as root, else $XDG_RUNTIME_DIR/kata-cli.

    \f
    `kata-cli vm` boots, inspects and tears down real QEMU VMs from the effective Kata
    configuration (the same runtime core `check --boot` uses). Only the `qemu` hypervisor
    is supported.

    ```sh
    kata-cli vm plan [--json]                     # the QEMU command line, nothing started
    kata-cli vm run --test-guest --detach --name demo [--memory-limit 512Mi] [--cpus 1.5] \\
        [--share DIR[:9p|:virtio-fs]]... [--share-mode auto|virtio-fs|9p] [--disk FILE]... \\
        [--accel auto|kvm|tcg] [--flavour go|rs] [--sandbox] [--ready-timeout 120] \\
        [--ready-marker LINE] [--json]
    kata-cli vm list [--json]                     # name, state, QMP status, pid, vCPUs, memory, uptime, accelerator
    kata-cli vm inspect demo [--json]             # QMP status/CPUs/memory/disks, RSS, sockets, plan
    kata-cli vm exec demo -- uname -r             # one-shot command (--timeout, default 60 s); its exit status is ours
    kata-cli vm console demo                      # serial console; Ctrl-] then q leaves
    kata-cli vm disk-add demo FILE [--read-only]  # hot-plug a virtio-blk disk (QMP), prints its id
    kata-cli vm stop demo [--grace 5] [--json]    # ACPI power-down, then QMP quit, then SIGKILL
    kata-cli vm prune [--json]                    # stop orphaned VMs, remove dead ones' state
    kata-cli vm guest build [--rebuild]           # build (or find) the test guest; prints its directory
    ```

    `vm plan` takes `vm run`'s `--name`, `--accel`, `--memory-limit`, `--cpus`,
    `--test-guest`, `--share`, `--share-mode` and `--flavour`, so it shows exactly what that
    `vm run` would start. Without `--name` a VM is called `kata-cli-<pid>`. The `--json`
    documents carry a `schema` key: `kata-cli/vm-plan/1`, `kata-cli/vm-list/1`, ...

    - **Launch plan.** Built as data from the effective values: `path`, `machine_type` +
      `machine_accelerators`, `cpu_features`, sizing, `kernel`, `image` (read-only NVDIMM on
      q35/pc unless `disable_image_nvdimm`, else read-only virtio-blk) or `initrd`,
      `-nodefaults -no-user-config -nographic`, a QMP socket, a serial console socket (with
      `logfile=`, so output is kept while nobody is attached) and a virtio-serial debug port.
      The kernel command line is `console=ttyS0 reboot=k panic=1`, the root device
      parameters for an image, then exactly `env`'s `Kernel.Parameters` (one function), so
      the user's `kernel_params` come last and win.
    - **Sizing** (Kata user guide): `default_memory` + `--memory-limit` (Kubernetes
      quantities: `512Mi`, `1G`), `default_vcpus` + `--cpus` rounded up to whole CPUs, clamped
      to `default_maxvcpus` / `default_maxmemory` (a note says so).
    - **Accelerator.** `auto` uses KVM when `/dev/kvm` answers `KVM_GET_API_VERSION`, else TCG
      with a notice. On hosts whose `/dev/kvm` is the paravirtual `kvm_pvm` (as on our build
      machines) QEMU's `-cpu host` aborts on an MSR and a stock kernel prints nothing after
      the firmware, so `auto` picks TCG there and says why (`--accel kvm` forces KVM). With an
      ordinary `/dev/kvm`, a guest that prints no kernel output within 8 s under KVM is
      restarted under TCG and the notice says so.
    - **Lifecycle.** `vm run` writes `launch.json` and double-forks a small supervisor
      (`python -m kata_cli.vm.supervisor`) that keeps QEMU (and virtiofsd) as direct
      children, relays hybrid vsock (`hvsock.sock`: `CONNECT 1026` → `OK 1026`, the protocol
      `kata-cli exec` speaks) to the debug port, waits for the ready marker on the console
      and records pids with their start times in `state.json` (atomic writes, mode 0600).
      Without `--detach`, `vm run` stays until the VM powers off or Ctrl-C (or SIGTERM)
      stops it; it then prints how it ended and the teardown (`demo: interrupted; stopped
      (powerdown) in 0.41s`, on stderr with `--json`) and exits 130 after Ctrl-C, 143 after
      SIGTERM, 0 when the guest powered off. The last VM's `vm stop` also removes the lock
      file, and `--sandbox` the `/run/vc/sbs` directories it created.
      Names are claimed atomically (a lock, and a directory renamed into place), so of two
      `vm run --name X` at once exactly one wins; the other is told `X` already exists.
      Bad input (`--name a/b`, `--memory-limit 1Zi`, `--cpus -1`, a missing `--disk` or
      `--share`) is rejected before anything starts; a failed boot leaves no QEMU and no
      state behind.
    - **Ready marker.** `vm run` counts the guest ready when a console line contains the
      marker: `KATA-CLI-GUEST-READY` (what the test guest prints) unless
      `--ready-marker LINE` names another, e.g. a line your image's init prints. A Kata
      image's kernel and agent never print the default marker, so booting configured Kata
      assets needs `--ready-marker` (e.g. `Freeing unused kernel image`, printed as the
      kernel hands over to init unless `quiet` is among the kernel parameters) or fails at
      stage `ready` after `--ready-timeout`.
      Timeouts name the stage: `firmware`/`kernel` when the guest printed nothing on the
      serial console (ttyS0): a kernel without a serial console, or logging to `hvc0`,
      looks like this; `ready` when the kernel runs but the marker never came. The last
      console and QEMU lines follow the error. `check --boot` reports the same stages
      (booting configured Kata assets is untested: no Kata image on the build machines).
    - **As a sandbox.** `vm run --sandbox` also serves `GET /agent-url` (answering
      `hvsock://<run dir>/vms/<name>/hvsock.sock:1024`) on `/run/vc/sbs/<name>/shim-monitor.sock`
      under the host root, so `kata-cli exec <name> [-- CMD]` and `kata-cli sandbox list`
      treat the VM like a Go-runtime sandbox. It is removed with the VM. With
      `--host-root`, the run directory must lie under that root (`kata-cli exec` looks
      for the relay there), else `vm run --sandbox` refuses up front.
    - **State** lives in `KATA_CLI_RUN_DIR` when set, else `/run/kata-cli` as root, else
      `$XDG_RUNTIME_DIR/kata-cli`, under `vms/<name>/`. A VM whose CLI was killed is listed
      as `orphaned` (a `--detach` one too when its CLI died before the guest was ready:
      nobody was told it exists); one whose processes are gone as `dead`/`exited`/`stale`
      (liveness is pid + start time via psutil, never a bare pid); `vm stop` and `vm prune`
      clean both. `vm stop` skips the grace period when QMP is unreachable (straight to
      SIGKILL). `vm console` refuses a console another client holds (QEMU serves one at a
      time; a second client would otherwise wait silently).
    - **Storage.** `--share DIR`: virtio-fs when the configured `virtio_fs_daemon` is
      executable (one daemon per virtio-fs share, started before QEMU and stopped with it;
      the Rust virtiofsd and QEMU's C `/usr/lib/qemu/virtiofsd` are both understood),
      otherwise 9p with a warning (slow, not POSIX-complete). `--share-mode` sets the
      default; a `DIR:9p` or `DIR:virtio-fs` suffix overrides it for one share. Tags are
      `kata-share0`, `kata-share1`, ... in order; `vm run`, `vm plan` and `vm inspect` (also
      `shares` in their JSON) show each tag with the guest's mount command, e.g.
      `mount -t virtiofs kata-share0 /mnt/kata-share0` or
      `mount -t 9p -o trans=virtio,version=9p2000.L kata-share1 /mnt/kata-share1`. `--disk FILE`
      hot-plugs a virtio-blk disk through QMP (`blockdev-add` + `device_add` on a PCIe root
      port) once the guest is ready (a missing file is refused before the boot), and
      `vm disk-add` does the same for a running VM (one disk per root port:
      `max(2, pcie_root_port)`); `vm inspect` lists them.
    - **Test guest.** `kata-cli vm guest build` (`scripts/build-test-guest.sh` calls it) builds
      a tiny guest, with progress for the download, unpack and initrd stages, and prints
      `${XDG_CACHE_HOME:-~/.cache}/kata-cli/test-guest/<kernel package>-<version>-g<format>/`
      (the guest format in the key lets checkouts of different ages share the cache): the
      kernel of the package `linux-image-amd64` depends on (fetched with `apt-get download`,
      unpacked with `dpkg-deb`, never installed) decompressed to `vmlinux`, and a
      busybox-static initrd that loads the virtio, virtiofs and 9p modules, powers off on the
      ACPI power button, prints `KATA-CLI-GUEST-READY` and serves a shell on the console and
      one per connection on the `kata.debug` virtio-serial port. Cached runs take about a
      second. `--test-guest` boots it (the configured QEMU, or `qemu-system-x86_64` on PATH).
      Override the cache with `KATA_CLI_GUEST_CACHE` or name a guest with `KATA_CLI_TEST_GUEST`.

    Measured here (TCG, `python3 bench/vm.py`, medians of 3, a loaded 2-core machine):
    `vm run --detach` to ready 2.56 s against 2.36 s for raw QEMU with the same command
    line and marker (ratio 1.09, goal 1.2); `vm stop` 0.30 s (goal < 1 s); `vm list`
    starts in about 2.2x bare `python3 -c pass` (80 ms against 36 ms).
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
@click.option("--ready-marker", default=None, help="Console line that means ready.")
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
    ready_marker: str | None,
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
        check_disk(disk, "--disk")
    from kata_cli.errors import UsageError

    if ready_marker is not None and not ready_marker.strip():
        # an unset variable: it used to mean the default marker, silently
        raise UsageError(
            f"--ready-marker {ready_marker!r}: name the console line that means ready",
            "or leave the option out for KATA-CLI-GUEST-READY",
        )
    prepared = _prepare(app, **options)
    render_notices(prepared.notices + prepared.plan.notes)
    run_options = runner.RunOptions(
        detach=detach,
        disks=disks,
        ready_timeout=ready_timeout,
        ready_marker=ready_marker or "",
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
@pass_app
def guest_build_cmd(app: AppContext, rebuild: bool) -> None:
    """Download the kernel package (apt-get download, never installed), unpack it and
    assemble a busybox initrd; print the cache directory.

    Needs apt-get, dpkg-deb, kmod (depmod, modprobe) and busybox-static.
    """
    _build_guest(app, rebuild)


@vm.command(name="disk-add")
@click.argument("name", shell_complete=completers.vm_names)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--read-only", is_flag=True, help="Attach the disk read-only.")
@pass_app
def disk_add_cmd(app: AppContext, name: str, file: str, read_only: bool) -> None:
    """Hot-plug FILE into a running VM as a virtio-blk disk (QMP); prints its id."""
    from kata_cli.render.terminal import out
    from kata_cli.vm import state as st
    from kata_cli.vm.disks import hotplug_disk

    out(hotplug_disk(st.require_running(name, app.env), file, read_only=read_only))


@vm.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def list_cmd(app: AppContext, as_json: bool) -> None:
    """List VMs started by kata-cli (running, orphaned, dead)."""
    from kata_cli.render.vm import render_list
    from kata_cli.vm.lifecycle import list_vms

    render_list(list_vms(app.env), as_json)


@vm.command(name="inspect")
@click.argument("name", shell_complete=completers.vm_names)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def inspect_cmd(app: AppContext, name: str, as_json: bool) -> None:
    """QMP status, vCPUs, memory, disks, RSS, sockets and launch plan of a VM."""
    from kata_cli.render.vm import render_inspect
    from kata_cli.vm import lifecycle
    from kata_cli.vm import state as st

    render_inspect(lifecycle.inspect(st.find_record(name, app.env)), as_json)


def _debug_socket(app: AppContext, name: str, timeout: float) -> Any:
    import time

    from kata_cli.config.kernel_params import DEBUG_CONSOLE_VPORT
    from kata_cli.console.hvsock import connect_hybrid_vsock
    from kata_cli.vm import state as st

    record = st.require_running(name, app.env)
    path = str(record.directory / st.HVSOCK_SOCKET)
    return connect_hybrid_vsock(path, DEBUG_CONSOLE_VPORT, deadline=time.monotonic() + timeout)


@vm.command(name="console")
@click.argument("name", shell_complete=completers.vm_names)
@pass_app
def console_cmd(app: AppContext, name: str) -> None:
    """Attach to the VM's serial console (Ctrl-] then q leaves; the VM keeps running)."""

    from kata_cli.console.serial import connect_serial_console
    from kata_cli.console.session import ESCAPE_HELP, interactive_session
    from kata_cli.errors import KataError
    from kata_cli.render.terminal import err, stdin_is_tty
    from kata_cli.vm import state as st
    from kata_cli.vm.lifecycle import console_in_use

    record = st.require_running(name, app.env)
    if console_in_use(record):
        raise KataError(
            f"the console of {name} is in use by another client",
            "QEMU serves one console client at a time; detach the other one first",
        )
    with connect_serial_console(str(record.directory / st.CONSOLE_SOCKET), name) as sock:
        if stdin_is_tty():
            err(f"attached to {name}; {ESCAPE_HELP}")
        interactive_session(sock)


@vm.command(name="exec", context_settings={"ignore_unknown_options": True})
@click.argument("name", shell_complete=completers.vm_names)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--timeout", type=Seconds(0.1), default=60.0, show_default=True)
@pass_app
def exec_cmd(app: AppContext, name: str, command: tuple[str, ...], timeout: float) -> None:
    """Run `-- CMD ARGS...` in the guest's debug shell; its exit status becomes ours."""
    from kata_cli.console.oneshot import run_oneshot
    from kata_cli.errors import VerdictFailure
    from kata_cli.render.terminal import out_bytes

    sock = _debug_socket(app, name, 5.0)
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
@pass_app
def stop_cmd(app: AppContext, name: str, grace: float, as_json: bool) -> None:
    """Power the VM down (then quit, then SIGKILL) and remove its sockets and state."""
    from kata_cli.render.vm import render_stops
    from kata_cli.vm import lifecycle
    from kata_cli.vm import state as st

    render_stops([lifecycle.stop(st.find_record(name, app.env), grace)], as_json)


@vm.command(name="prune")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def prune_cmd(app: AppContext, as_json: bool) -> None:
    """Stop orphaned VMs and remove the state of dead ones."""
    from kata_cli.render.vm import render_stops
    from kata_cli.vm.lifecycle import prune

    render_stops(prune(env=app.env), as_json)
