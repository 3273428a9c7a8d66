"""`vm plan` and `vm run` as library calls: a request becomes a plan, a plan a running VM.

`prepare()` turns the command-line request and the configuration into a launch plan
(sizing, accelerator, test guest, shares). `run()` boots it: the `--sandbox` shim
endpoint, the wait for the ready marker, hot-plugged disks, then (in the foreground)
the wait until the guest powers off or the user stops it. Ctrl-C and SIGTERM stop the
VM the same way; the result says which of them ended the run, so the command can exit
130 or 143. Whatever fails after the supervisor started stops the VM before raising.
Nothing here prints: notices and results are handed back as data.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from kata_cli.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, KataError, Terminated
from kata_cli.record import field, record
from kata_cli.vm import lifecycle
from kata_cli.vm import state as st
from kata_cli.vm.shares import mount_command

if TYPE_CHECKING:
    from kata_cli.config.loader import Config
    from kata_cli.host import Host
    from kata_cli.vm.plan import LaunchPlan

RUN_SCHEMA = "kata-cli/vm-run/1"
AGENT_VSOCK_PORT = 1024  # the agent's port in agent URLs; exec swaps in the debug port
SANDBOXES = "/run/vc/sbs"  # the Go runtime's sandbox directories (host path)
ALIVE_POLL = 0.2
SIGNALS = (signal.SIGINT, signal.SIGTERM)


@record
class PlanRequest:
    """What `vm plan` and `vm run` were asked for on the command line."""

    name: str = ""
    accel: str = "auto"
    memory_limit: str = ""
    cpus: str = ""
    test_guest: bool = False
    shares: tuple[str, ...] = ()
    share_mode: str = "auto"


@record
class Prepared:
    plan: LaunchPlan
    ready_marker: str
    notices: list[str] = field(default_factory=list)


@record
class RunOptions:
    detach: bool = False
    disks: tuple[str, ...] = ()
    ready_timeout: float = 120.0
    ready_marker: str = ""
    sandbox: bool = False
    accel_auto: bool = True


@record
class ShareInfo:
    source: str
    tag: str
    mode: str
    mount: str  # the guest's command that mounts it


@record
class VmRunResult:
    schema: str
    name: str
    status: str
    accel: str
    ready_seconds: float | None
    pid: int | None
    directory: str
    hvsock: str
    console: str
    disks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    shares: list[ShareInfo] = field(default_factory=list)


@record
class RunEnd:
    """How a `vm run` ended: detached (VM left running), powered-off (by the guest),
    interrupted (Ctrl-C) or terminated (SIGTERM); `stop` is the teardown when we did one."""

    name: str
    how: str
    stop: lifecycle.StopResult | None = None

    @property
    def exit_status(self) -> int:
        return {"interrupted": EXIT_INTERRUPTED, "terminated": EXIT_TERMINATED}.get(self.how, 0)


class NoTestGuest(KataError):
    """`--test-guest` with an empty cache (on a terminal, the command offers to build it)."""


class BootInterrupted(KataError):
    """Ctrl-C or SIGTERM during the boot: the VM was stopped; exit 130 or 143."""

    def __init__(self, end: RunEnd) -> None:
        super().__init__("")
        self.end = end
        self.exit_code = end.exit_status


# -- prepare ----------------------------------------------------------------------------
def prepare(host: Host, config: Config, request: PlanRequest) -> Prepared:
    """The plan, the ready marker, and notices about the accelerator (for stderr)."""
    from kata_cli.vm.accel import choose_accel
    from kata_cli.vm.guest import DEFAULT_MARKER, find_test_guest
    from kata_cli.vm.plan import build_plan
    from kata_cli.vm.sizing import parse_cpus, parse_memory, vm_size

    guest = None
    if request.test_guest:
        guest = find_test_guest(host.env)
        if guest is None:
            raise NoTestGuest("no test guest is cached", "build it with: kata-cli vm guest build")
    hv = config.hypervisor
    size = vm_size(
        hv.default_vcpus,
        hv.default_maxvcpus,
        hv.default_memory,
        hv.default_maxmemory,
        memory_limit_mib=parse_memory(request.memory_limit) if request.memory_limit else 0,
        cpus=parse_cpus(request.cpus) if request.cpus else 0.0,
    )
    name = st.check_name(request.name or f"kata-cli-{os.getpid()}")
    choice = choose_accel(host, request.accel)
    plan = build_plan(
        host,
        config,
        name=name,
        directory=st.vm_dir(name, host.env),
        accel=choice.accel,
        size=size,
        guest=guest,
        shares=list(request.shares),
        share_mode=request.share_mode,
    )
    notices = [choice.notice] if choice.notice else []
    return Prepared(plan, guest.ready_marker if guest else DEFAULT_MARKER, notices)


# -- the sandbox endpoint ------------------------------------------------------------------
def sandbox_endpoint(host: Host, plan: LaunchPlan) -> st.SandboxEndpoint:
    """Where `--sandbox` answers GET /agent-url, the URL it answers, and the directories
    it creates (removed again, when empty, by whoever stops the VM)."""
    host_dir = f"{SANDBOXES}/{plan.name}"
    if host.lexists(host_dir):
        raise KataError(f"a sandbox named {plan.name!r} already exists ({host_dir})")
    if not Path(plan.sockets["hvsock"]).is_relative_to(host.root):
        # `kata-cli exec` reads the URL as a host path and looks for it under the root
        raise KataError(
            f"--sandbox: the run directory {st.run_root(host.env)} is outside the host root "
            f"{host.root}, so `kata-cli exec` could not reach the VM",
            f"set KATA_CLI_RUN_DIR to a directory under {host.root}",
        )
    link = host.first_symlink(host_dir)
    if link is not None:  # the shim socket and its directories are never made through one
        raise KataError(
            f"--sandbox: {link} is a symbolic link under the host root",
            "refusing to create the sandbox's shim socket through it",
        )
    made: list[str] = []
    parent = host_dir
    while parent != "/" and not host.lexists(parent):
        made.append(str(host.path(parent)))
        parent = os.path.dirname(parent)
    hvsock = host.to_host_path(plan.sockets["hvsock"])
    return st.SandboxEndpoint(
        str(host.path(f"{host_dir}/shim-monitor.sock")),
        f"hvsock://{hvsock}:{AGENT_VSOCK_PORT}",
        made,
    )


# -- run --------------------------------------------------------------------------------------
@contextmanager
def _signals_stop_the_vm() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt and SIGTERM Terminated while the VM is ours to
    stop; the first of them also ignores any further one, so the teardown that follows
    cannot be cut short and leave the VM behind (stop() is bounded by its timeouts)."""

    def _interrupt(signum: int, _frame: object) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt

    previous = {signum: signal.signal(signum, _interrupt) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def _shielded() -> Iterator[None]:
    """A second Ctrl-C or SIGTERM during the teardown must not leave the VM half
    stopped: both are ignored until stop() (bounded by its timeouts) returns."""
    previous = {}
    try:
        for signum in SIGNALS:
            previous[signum] = signal.signal(signum, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to shield from
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def share_infos(plan: LaunchPlan) -> list[ShareInfo]:
    return [
        ShareInfo(share.source, share.tag, share.mode, mount_command(share.tag, share.mode))
        for share in plan.shares
    ]


def run(
    host: Host,
    prepared: Prepared,
    options: RunOptions,
    on_ready: Callable[[VmRunResult, str], None],
) -> RunEnd:
    """Boot the plan and wait until it is ready (`on_ready(result, detail)` is called
    then); in the foreground, stay until the guest powers off, Ctrl-C or SIGTERM."""
    from kata_cli.vm.disks import check_disk, hotplug_disk

    plan = prepared.plan
    for disk in options.disks:  # before the boot, not after it
        check_disk(disk, "--disk")
    sandbox = sandbox_endpoint(host, plan) if options.sandbox else None
    directory: Path | None = None
    ready = False
    with _signals_stop_the_vm():
        try:
            # inside the try: a signal right after start() returns must still stop the
            # VM (start() itself stops what it started when interrupted)
            directory = lifecycle.start(
                plan,
                ready_marker=options.ready_marker or prepared.ready_marker,
                ready_timeout=options.ready_timeout,
                accel_auto=options.accel_auto,
                detach=options.detach,
                sandbox=sandbox,
                env=host.env,
            )
            state = lifecycle.wait_ready(directory, options.ready_timeout, host.env)
            record = st.judge(plan.name, directory)
            plugged = [hotplug_disk(record, disk) for disk in options.disks]
            ready = True
            result = VmRunResult(
                RUN_SCHEMA,
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
                share_infos(plan),
            )
            on_ready(result, state.detail)
            if options.detach:
                return RunEnd(plan.name, "detached")
            while st.judge(plan.name, directory).qemu_alive:
                time.sleep(ALIVE_POLL)
            how = "powered-off"
        except KeyboardInterrupt as exc:
            # Ctrl-C is how a foreground VM is stopped; during the boot it also ends us
            how = "terminated" if isinstance(exc, Terminated) else "interrupted"
            if not ready and directory is None:
                raise BootInterrupted(RunEnd(plan.name, how)) from None
        except KataError:
            if directory is not None:
                with _shielded():
                    lifecycle.stop(st.judge(plan.name, directory), grace=0.5)
            raise
        assert directory is not None
        grace = lifecycle.DEFAULT_GRACE if ready else 0.5
        with _shielded():
            stopped = lifecycle.stop(st.judge(plan.name, directory), grace=grace)
    end = RunEnd(plan.name, how, stopped)
    if not ready:
        raise BootInterrupted(end)
    return end
