"""Start, wait for, list, inspect, stop and prune VMs (the library behind `kata-cli vm`)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kata_cli import record as records
from kata_cli.errors import KataError
from kata_cli.vm import state as st
from kata_cli.vm.qmp import Qmp, QmpError

if TYPE_CHECKING:  # the plan module pulls in the configuration: `vm list` needs neither
    from kata_cli.environment import Environment
    from kata_cli.vm.plan import LaunchPlan

LIST_SCHEMA = "kata-cli/vm-list/1"
INSPECT_SCHEMA = "kata-cli/vm-inspect/1"
STOP_SCHEMA = "kata-cli/vm-stop/1"
DEFAULT_GRACE = 5.0
QMP_TIMEOUT = 3.0
SPAWN_TIMEOUT = 10.0  # the supervisor writes its first state.json within this
POLL = 0.02


class BootFailed(KataError):
    def __init__(self, message: str, stage: str, last_output: list[str]) -> None:
        super().__init__(message)
        self.stage = stage
        self.last_output = last_output


def last_lines(directory: Path, count: int = 10) -> list[str]:
    """The last lines the VM printed (console), then QEMU's own messages."""
    lines: list[str] = []
    for name in (st.CONSOLE_LOG, st.QEMU_LOG):
        text = st.read_log_tail(directory, name).decode("utf-8", "replace")
        clean = [line.rstrip("\r") for line in text.splitlines() if line.strip()]
        lines += [line for line in clean if line.isprintable()][-count:]
    return lines[-count:]


def start(
    plan: LaunchPlan,
    *,
    ready_marker: str,
    ready_timeout: float,
    accel_auto: bool,
    detach: bool,
    kvm_progress_timeout: float = 8.0,
    sandbox: st.SandboxEndpoint | None = None,
    env: Environment | None = None,
) -> Path:
    """Create the VM directory and start its supervisor (which starts QEMU). Returns the dir.

    `sandbox` is the shim endpoint of `vm run --sandbox`; `env` locates the run directory
    (the process's environment when None).
    """
    launch = st.Launch(
        name=plan.name,
        argv=plan.argv,
        ready_marker=ready_marker,
        ready_timeout=ready_timeout,
        accel=plan.accel,
        accel_auto=accel_auto,
        detach=detach,
        created=time.time(),
        cli=st.ProcessRef.of(os.getpid()),
        virtiofsd_argv=plan.virtiofsd,
        plan=records.asdict(plan),
        kvm_progress_timeout=kvm_progress_timeout,
        sandbox_socket=sandbox.socket if sandbox else "",
        sandbox_agent_url=sandbox.agent_url if sandbox else "",
        sandbox_made_dirs=sandbox.made_dirs if sandbox else [],
    )
    import subprocess  # here, not at the top: `vm list` never starts anything

    directory = st.claim_vm_dir(launch, env)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "kata_cli.vm.supervisor", "--daemonize", str(directory)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        st.discard_vm_dir(directory)
        raise KataError(f"cannot start the VM supervisor: {exc}") from None
    except KeyboardInterrupt:
        # Ctrl-C / SIGTERM while the supervisor daemonizes: it may already run QEMU
        stop(st.judge(plan.name, directory), grace=0.5)
        raise
    if done.returncode != 0:
        st.discard_vm_dir(directory)
        raise KataError(f"the VM supervisor failed to start (exit status {done.returncode})")
    return directory


def wait_ready(directory: Path, timeout: float, env: Environment | None = None) -> st.VmState:
    """Wait until the supervisor says ready/failed/exited; raise BootFailed unless ready.
    The deadlines run on `env`'s monotonic clock (the process's when None)."""
    monotonic = env.monotonic if env is not None else time.monotonic
    started = monotonic()
    deadline = started + timeout + 5
    state: st.VmState | None = None
    detail = ""
    while monotonic() < deadline:
        state = st.read_state(directory)
        if state is None and monotonic() - started > SPAWN_TIMEOUT:
            detail = f"the VM supervisor did not report within {SPAWN_TIMEOUT:g}s"
            break
        if state is not None:
            if state.status == "ready":
                return state
            if state.status in ("failed", "exited"):
                break
            if state.supervisor is not None and not state.supervisor.alive():
                break
        time.sleep(POLL)
    stage = state.stage if state else "spawn"
    detail = (state.detail if state else detail) or "the VM did not become ready"
    raise BootFailed(f"boot failed at stage {stage}: {detail}", stage, last_lines(directory))


# -- stop ---------------------------------------------------------------------------------
@records.record
class StopResult:
    schema: str
    name: str
    method: str  # powerdown | quit | kill | none (already gone)
    seconds: float


def _wait_gone(ref: st.ProcessRef | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while ref is not None and ref.alive():
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL)
    return True


def _kill(ref: st.ProcessRef | None) -> None:
    if ref is not None and ref.alive():
        with contextlib.suppress(OSError):
            os.kill(ref.pid, signal.SIGKILL)


def _settle(record: st.VmRecord) -> st.VmRecord:
    """A VM still being spawned (no QEMU recorded yet) is waited for, so the QEMU its
    supervisor is about to start is stopped too instead of outliving its directory."""
    deadline = time.monotonic() + SPAWN_TIMEOUT
    while time.monotonic() < deadline:
        state = st.read_state(record.directory)
        if state is not None and (
            state.qemu is not None
            or state.status in ("failed", "exited")
            or (state.supervisor is not None and not state.supervisor.alive())
        ):
            break
        if state is None and st.judge(record.name, record.directory).condition != "booting":
            break  # nobody will ever write it
        time.sleep(POLL)
    return st.judge(record.name, record.directory)


def stop(record: st.VmRecord, grace: float = DEFAULT_GRACE) -> StopResult:
    """ACPI power-down, then QMP quit after `grace`, then SIGKILL; then remove the state."""
    started = time.monotonic()
    if record.condition == "booting" and (record.state is None or record.state.qemu is None):
        record = _settle(record)
    state = record.state
    qemu = state.qemu if state else None
    method = "none"
    if qemu is not None and qemu.alive():
        method = "powerdown"
        qmp_path = str(record.directory / st.QMP_SOCKET)
        delivered = True
        try:
            with Qmp(qmp_path, timeout=QMP_TIMEOUT) as qmp:
                qmp.execute("system_powerdown")
        except QmpError:
            delivered = False  # no QMP: waiting for a power-down nobody asked for is moot
        if not _wait_gone(qemu, grace if delivered else 0.0):
            method = "quit"
            try:
                with Qmp(qmp_path, timeout=QMP_TIMEOUT) as qmp:
                    qmp.execute("quit")
            except QmpError:
                delivered = False
            if not _wait_gone(qemu, 2.0 if delivered else 0.0):
                method = "kill"
                _kill(qemu)
                _wait_gone(qemu, 2.0)
    if state is not None:
        # the supervisor leaves once QEMU is gone; a stuck or orphaned one is killed
        if not _wait_gone(state.supervisor, 3.0):
            _kill(state.supervisor)
            _wait_gone(state.supervisor, 2.0)
        for daemon in state.virtiofsd:
            _kill(daemon)
    if record.launch is not None and record.launch.sandbox_socket:
        # normally the supervisor's job; not done when it was killed
        st.remove_sandbox(record.launch.sandbox_socket, record.launch.sandbox_made_dirs)
    st.release_vm_dir(record)
    return StopResult(STOP_SCHEMA, record.name, method, round(time.monotonic() - started, 3))


def prune(grace: float = 1.0, env: Environment | None = None) -> list[StopResult]:
    """Stop orphaned VMs and remove the state of dead, failed, exited and stale ones."""
    results = []
    for record in st.list_records(env):
        if record.condition in ("orphaned", "dead", "failed", "exited", "stale"):
            results.append(stop(record, grace))
    return results


# -- list and inspect -------------------------------------------------------------------------
@records.record
class VmSummary:
    name: str
    condition: str
    qmp_status: str
    pid: int | None
    vcpus: int | None
    memory_mib: int | None
    uptime_seconds: float | None
    accel: str


@records.record
class VmList:
    schema: str
    run_dir: str
    vms: list[VmSummary]


def _qmp_status(record: st.VmRecord) -> str:
    if not record.qemu_alive:
        return "-"
    try:
        with Qmp(str(record.directory / st.QMP_SOCKET), timeout=1.0) as qmp:
            reply = qmp.execute("query-status")
    except QmpError:
        return "unreachable"
    return str(reply.get("status", "?")) if isinstance(reply, dict) else "?"


def console_in_use(record: st.VmRecord) -> bool:
    """Whether a client holds the serial console (QEMU serves one; others would wait
    silently in its listen queue). False when QMP cannot tell."""
    try:
        with Qmp(str(record.directory / st.QMP_SOCKET), timeout=QMP_TIMEOUT) as qmp:
            chardevs = qmp.execute("query-chardev") or []
    except QmpError:
        return False
    for chardev in chardevs:
        if isinstance(chardev, dict) and chardev.get("label") == "console":
            return not str(chardev.get("filename", "")).startswith("disconnected:")
    return False


def list_vms(env: Environment | None = None) -> VmList:
    summaries = []
    for record in st.list_records(env):
        plan = record.launch.plan if record.launch else {}
        qemu = record.state.qemu if record.state else None
        alive = record.qemu_alive
        summaries.append(
            VmSummary(
                name=record.name,
                condition=record.condition,
                qmp_status=_qmp_status(record),
                pid=qemu.pid if qemu else None,
                vcpus=plan.get("vcpus"),
                memory_mib=plan.get("memory_mib"),
                uptime_seconds=round(time.time() - qemu.create_time, 1) if qemu and alive else None,
                accel=(record.state.accel if record.state else "") or plan.get("accel", ""),
            )
        )
    return VmList(LIST_SCHEMA, str(st.vms_dir(env)), summaries)


@records.record
class VmInspect:
    schema: str
    name: str
    condition: str
    directory: str
    pid: int | None
    rss_bytes: int | None
    status: Any
    cpus: Any
    memory: Any
    block: Any
    sockets: dict[str, str]
    shares: list[dict[str, str]]  # source, tag, mode and the guest's mount command
    plan: dict[str, Any]
    state: dict[str, Any]


def inspect(record: st.VmRecord) -> VmInspect:
    status: Any = None
    cpus: Any = None
    memory: Any = None
    block: Any = None
    if record.qemu_alive:
        try:
            with Qmp(str(record.directory / st.QMP_SOCKET), timeout=QMP_TIMEOUT) as qmp:
                status = qmp.execute("query-status")
                cpus = qmp.execute("query-cpus-fast")
                memory = qmp.execute("query-memory-size-summary")
                block = [_block_summary(b) for b in qmp.execute("query-block") or []]
        except QmpError as exc:
            status = {"error": exc.message}
    rss = None
    qemu = record.state.qemu if record.state else None
    if qemu is not None and record.qemu_alive:
        import psutil

        with contextlib.suppress(psutil.Error):
            rss = psutil.Process(qemu.pid).memory_info().rss
    sockets = st.vm_sockets(record.directory)
    return VmInspect(
        INSPECT_SCHEMA,
        record.name,
        record.condition,
        str(record.directory),
        qemu.pid if qemu else None,
        rss,
        status,
        cpus,
        memory,
        block,
        sockets,
        _shares(record.launch.plan if record.launch else {}),
        record.launch.plan if record.launch else {},
        records.asdict(record.state) if record.state else {},
    )


def _shares(plan: dict[str, Any]) -> list[dict[str, str]]:
    """The plan's shares (from launch.json, so each value is checked) with mount commands."""
    from kata_cli.vm.shares import mount_command

    shares = []
    for share in plan.get("shares") or []:
        if not isinstance(share, dict):
            continue
        tag, mode = str(share.get("tag", "")), str(share.get("mode", ""))
        source = str(share.get("source", ""))
        shares.append(
            {"source": source, "tag": tag, "mode": mode, "mount": mount_command(tag, mode)}
        )
    return shares


def _block_summary(entry: dict[str, Any]) -> dict[str, Any]:
    inserted = entry.get("inserted") or {}
    return {
        "device": entry.get("device") or entry.get("qdev", ""),
        "qdev": entry.get("qdev", ""),
        "file": inserted.get("file", ""),
        "read_only": inserted.get("ro", False),
        "node_name": inserted.get("node-name", ""),
    }
