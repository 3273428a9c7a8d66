"""Where VMs started by kata-cli are recorded, and whether they still run.

Run directory: `KATA_CLI_RUN_DIR` when set (tests use it), else `/run/kata-cli` as
root, else `$XDG_RUNTIME_DIR/kata-cli`, else `/tmp/kata-cli-<uid>`, all of them as the
run's `Environment` says (the command hands in `host.env`; the process's own for library
callers that hand in none). A VM's directory, once found, is all that acting on it needs:
the lock and the removals work on its parent `vms/`. Each VM has
`<run dir>/vms/<name>/` with `launch.json` (written by the CLI before the supervisor
starts) and `state.json` (written by the supervisor), both atomically. A process is
identified by pid *and* start time (psutil), never by a bare pid.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from kata_cli.environment import Environment
from kata_cli.errors import KataError, UsageError
from kata_cli.host import atomic_write
from kata_cli.record import asdict, field, fields, record

_Record = TypeVar("_Record")

NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")

QMP_SOCKET = "qmp.sock"
CONSOLE_SOCKET = "console.sock"
CONSOLE_LOG = "console.log"
DEBUG_SOCKET = "debug.sock"
HVSOCK_SOCKET = "hvsock.sock"
VIRTIOFS_SOCKET = "virtiofs{index}.sock"  # one virtiofsd per virtio-fs share
QEMU_LOG = "qemu.log"
SUPERVISOR_LOG = "supervisor.log"
LOCK_FILE = ".lock"
LOCK_TIMEOUT = 10.0
LOG_TAIL_BYTES = 64 * 1024  # enough for the last lines of a failed boot


def run_root(env: Environment | None = None) -> Path:
    """The run directory for the environment `env` (the process's when None)."""
    if env is None:
        env = Environment.from_process()
    explicit = env.get("KATA_CLI_RUN_DIR")
    if explicit:
        return Path(explicit)
    if env.is_root:
        return Path("/run/kata-cli")
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "kata-cli"
    return Path(f"/tmp/kata-cli-{env.euid}")


def virtiofs_socket(index: int) -> str:
    return VIRTIOFS_SOCKET.format(index=index)


def vms_dir(env: Environment | None = None) -> Path:
    return run_root(env) / "vms"


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise UsageError(
            f"invalid VM name {name!r}",
            "use letters, digits, '_', '.', '-' (at most 63, starting with a letter or digit)",
        )
    return name


def vm_dir(name: str, env: Environment | None = None) -> Path:
    return vms_dir(env) / check_name(name)


@record
class ProcessRef:
    """A process named by pid and start time (psutil `create_time`)."""

    pid: int
    create_time: float

    @classmethod
    def of(cls, pid: int) -> ProcessRef | None:
        import psutil

        try:
            return cls(pid, psutil.Process(pid).create_time())
        except psutil.Error:
            return None

    def alive(self) -> bool:
        import psutil

        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) > 0.05:
                return False
            return proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False


@record
class Launch:
    """What the CLI asked for (written before the supervisor starts)."""

    name: str
    argv: list[str]
    ready_marker: str
    ready_timeout: float
    accel: str
    accel_auto: bool
    detach: bool
    created: float
    cli: ProcessRef | None = None
    virtiofsd_argv: list[list[str]] = field(default_factory=list)  # one per daemon
    plan: dict[str, Any] = field(default_factory=dict)
    kvm_progress_timeout: float = 8.0  # auto accel: no kernel output under KVM -> TCG
    sandbox_socket: str = ""  # `--sandbox`: where to answer GET /agent-url
    sandbox_agent_url: str = ""
    sandbox_made_dirs: list[str] = field(default_factory=list)  # created for it, deepest first


@record
class SandboxEndpoint:
    """`vm run --sandbox`: the shim socket, the agent URL it answers with, and the
    directories created for it (deepest first), removed again when empty."""

    socket: str
    agent_url: str
    made_dirs: list[str] = field(default_factory=list)


def remove_sandbox(socket_path: str, made_dirs: list[str]) -> None:
    """Remove the shim socket, its sandbox directory and the parents created for it,
    each only when empty (another sandbox may live next to it)."""
    socket = Path(socket_path)
    with contextlib.suppress(OSError):
        socket.unlink()
    for directory in [str(socket.parent), *made_dirs]:
        with contextlib.suppress(OSError):
            os.rmdir(directory)


@record
class VmState:
    """What the supervisor reports (rewritten at every change)."""

    status: str  # booting | ready | failed | exited
    supervisor: ProcessRef | None = None
    qemu: ProcessRef | None = None
    virtiofsd: list[ProcessRef] = field(default_factory=list)
    stage: str = "spawn"
    ready_seconds: float | None = None
    detail: str = ""
    accel: str = ""
    exit_code: int | None = None
    updated: float = 0.0
    unclaimed: bool = False  # ready after the CLI that started it died: nobody knows of it


def _ref(value: Any) -> ProcessRef | None:
    """A process reference from state JSON; None for anything but a positive integer pid
    (a corrupt or hand-edited file must not crash, nor make pid 0 or -1 a kill target)."""
    if not isinstance(value, dict):
        return None
    pid, created = value.get("pid"), value.get("create_time", 0.0)
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    if not isinstance(created, (int, float)) or isinstance(created, bool):
        return None
    return ProcessRef(pid, float(created))


def _write_json(path: Path, data: Any) -> None:
    atomic_write(path, (json.dumps(data, indent=2) + "\n").encode(), 0o600)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _read_record(
    path: Path, kind: type[_Record], fix: Callable[[dict[str, Any]], None]
) -> _Record | None:
    """Record `kind` from the JSON object at `path`: keys it does not know are dropped,
    `fix` turns the process references into ProcessRefs; None for anything unusable."""
    data = _read_json(path)
    if data is None:
        return None
    names = {f.name for f in fields(kind)}
    values = {k: v for k, v in data.items() if k in names}
    fix(values)
    try:
        return kind(**values)
    except TypeError:
        return None


def write_launch(directory: Path, launch: Launch) -> None:
    _write_json(directory / "launch.json", asdict(launch))


def _launch_refs(values: dict[str, Any]) -> None:
    values["cli"] = _ref(values.get("cli"))


def read_launch(directory: Path) -> Launch | None:
    return _read_record(directory / "launch.json", Launch, _launch_refs)


def write_state(directory: Path, state: VmState) -> None:
    state.updated = time.time()
    _write_json(directory / "state.json", asdict(state))


def _state_refs(values: dict[str, Any]) -> None:
    for key in ("supervisor", "qemu"):
        values[key] = _ref(values.get(key))
    daemons = values.get("virtiofsd")
    refs = [_ref(d) for d in daemons] if isinstance(daemons, list) else []
    values["virtiofsd"] = [ref for ref in refs if ref is not None]


def read_state(directory: Path) -> VmState | None:
    return _read_record(directory / "state.json", VmState, _state_refs)


@record
class VmRecord:
    """One VM directory as found on disk, with its liveness judged."""

    name: str
    directory: Path
    launch: Launch | None
    state: VmState | None
    condition: str  # booting | running | orphaned | failed | exited | dead | stale

    @property
    def qemu_alive(self) -> bool:
        return bool(self.state and self.state.qemu and self.state.qemu.alive())

    @property
    def supervisor_alive(self) -> bool:
        return bool(self.state and self.state.supervisor and self.state.supervisor.alive())


def judge(name: str, directory: Path) -> VmRecord:
    launch = read_launch(directory)
    state = read_state(directory)
    record = VmRecord(name, directory, launch, state, "stale")
    if launch is None:
        return record
    if state is None:
        # the supervisor never wrote a state: it is starting, or it died at once
        fresh = time.time() - launch.created < 10
        cli_alive = launch.cli is not None and launch.cli.alive()
        record.condition = "booting" if fresh and cli_alive else "stale"
        return record
    if record.qemu_alive:
        if state.status == "booting":
            record.condition = "booting"
        else:
            record.condition = "running"
        # a foreground VM needs its CLI; a detached one until it is ready (the CLI
        # returns then): killed before that, nobody was told the VM exists
        cli_gone = launch.cli is not None and not launch.cli.alive()
        unowned = cli_gone and (not launch.detach or state.status == "booting")
        if unowned or state.unclaimed or not record.supervisor_alive:
            record.condition = "orphaned"
        return record
    if state.status in ("failed", "exited"):
        record.condition = state.status
    elif record.supervisor_alive and state.qemu is None:
        record.condition = "booting"
    else:
        record.condition = "dead"
    return record


def read_log_tail(directory: Path, name: str, limit: int = LOG_TAIL_BYTES) -> bytes:
    """The last `limit` bytes of one of a VM's logs (b"" when there is none)."""
    try:
        with open(directory / name, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - limit))
            return handle.read(limit)
    except OSError:
        return b""


def vm_sockets(directory: Path) -> dict[str, str]:
    """The sockets a VM's directory holds now, by role (virtiofsd ones by file stem)."""
    sockets = {}
    for key, name in (
        ("qmp", QMP_SOCKET),
        ("console", CONSOLE_SOCKET),
        ("hvsock", HVSOCK_SOCKET),
        ("debug", DEBUG_SOCKET),
    ):
        if (directory / name).exists():
            sockets[key] = str(directory / name)
    for path in sorted(directory.glob("virtiofs*.sock")):
        sockets[path.stem] = str(path)
    return sockets


def list_records(env: Environment | None = None) -> list[VmRecord]:
    root = vms_dir(env)
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    return [judge(name, root / name) for name in names if NAME_RE.match(name)]


def find_record(name: str, env: Environment | None = None) -> VmRecord:
    directory = vm_dir(name, env)
    if not directory.is_dir():
        raise KataError(f"no VM named {name!r}", "see 'kata-cli vm list'")
    return judge(name, directory)


def require_running(name: str, env: Environment | None = None) -> VmRecord:
    """The record of a VM whose QEMU runs; a one-line error naming its condition if not."""
    record = find_record(name, env)
    if not record.qemu_alive:
        raise KataError(f"VM {name!r} is not running ({record.condition})")
    return record


def remove_vm_dir(directory: Path) -> None:
    """Remove a VM directory (only ever `<run dir>/vms/<VM name>`)."""
    if directory.parent.name != "vms" or not NAME_RE.match(directory.name):
        raise ValueError(f"refusing to remove {directory}: not a VM directory")
    shutil.rmtree(directory, ignore_errors=True)


def ensure_vms_dir(root: Path) -> Path:
    """Create the vms/ directory `root` (mode 0700); a one-line error when that is impossible."""
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not os.access(root, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
    except OSError as exc:
        raise KataError(
            f"cannot use the run directory {root}: {exc.strerror or exc}",
            "set KATA_CLI_RUN_DIR to a writable directory",
        ) from None
    return root


@contextlib.contextmanager
def vms_lock(root: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Serialise claiming and removing VM directories in the vms/ directory `root`
    between kata-cli processes.

    The last VM's release removes the lock file (and vms/): a waiter that then locks
    the removed file sees its inode is no longer the one at the path, and starts over."""
    deadline = time.monotonic() + timeout
    while True:
        fd = _open_lock(root)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise KataError(f"{root} stays locked by another kata-cli") from None
                    time.sleep(0.01)
            if _is_current_lock(fd, root):
                yield
                return
        finally:
            os.close(fd)


def _open_lock(root: Path) -> int:
    for _attempt in range(3):  # the last release may remove vms/ in between
        ensure_vms_dir(root)
        try:
            return os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise KataError(f"cannot lock {root}: {exc.strerror or exc}") from None
    raise KataError(f"cannot lock {root}: it keeps disappearing")


def _is_current_lock(fd: int, root: Path) -> bool:
    try:
        held, current = os.fstat(fd), os.stat(root / LOCK_FILE)
    except OSError:
        return False
    return (held.st_dev, held.st_ino) == (current.st_dev, current.st_ino)


def _remove_lock_when_idle(root: Path) -> None:
    """With the lock of `root` held: no VM left, so neither the lock file nor vms/ need stay."""
    try:
        if os.listdir(root) != [LOCK_FILE]:
            return
        os.unlink(root / LOCK_FILE)
        os.rmdir(root)
    except OSError:
        pass


def claim_vm_dir(launch: Launch, env: Environment | None = None) -> Path:
    """Create `vms/<name>/` holding `launch.json`, atomically: the directory appears
    complete (a staging directory renamed into place) or not at all, and two CLIs
    racing for one name cannot both win. The directory of a dead VM is replaced."""
    directory = vm_dir(launch.name, env)
    with vms_lock(directory.parent):
        if directory.exists():
            record = judge(launch.name, directory)
            if record.condition in ("running", "booting", "orphaned"):
                raise KataError(
                    f"a VM named {launch.name!r} already exists ({record.condition})",
                    "pick another --name, or 'kata-cli vm stop' it",
                )
            remove_vm_dir(directory)
        staging = directory.parent / f".{launch.name}.{os.getpid()}.new"
        try:
            staging.mkdir(mode=0o700)
            write_launch(staging, launch)
            os.rename(staging, directory)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise KataError(
                f"cannot create the VM directory {directory}: {exc.strerror or exc}"
            ) from None
    return directory


def discard_vm_dir(directory: Path) -> None:
    """Remove a directory we claimed but never started a VM in (the supervisor failed)."""
    with vms_lock(directory.parent):
        remove_vm_dir(directory)
        _remove_lock_when_idle(directory.parent)


def release_vm_dir(record: VmRecord) -> None:
    """Remove a VM's directory unless another VM of that name has claimed it since."""
    with vms_lock(record.directory.parent):
        current = read_launch(record.directory)
        if (
            current is not None
            and record.launch is not None
            and current.created != record.launch.created
        ):
            return
        remove_vm_dir(record.directory)
        _remove_lock_when_idle(record.directory.parent)
