"""Sandbox discovery under both runtime layouts (Go `/run/vc/sbs`, runtime-rs `/run/kata`)."""

from __future__ import annotations

import time
from typing import Any

from kata_cli import jsonread
from kata_cli.errors import KataError
from kata_cli.host import Host
from kata_cli.record import field, record
from kata_cli.shim import layout

FLAVOURS = ("go", "rs")
PROBE_WORKERS = 64
MIN_PROBE_SECONDS = 0.05  # less is no fair chance to answer


@record
class SandboxInfo:
    """One sandbox found on the host (all paths are host paths)."""

    id: str
    flavour: str  # "go" | "rs"
    state_dir: str
    socket_path: str
    socket_present: bool
    state: str | None = None
    hypervisor_pid: int | None = None
    hypervisor_alive: bool | None = None
    agent_url: str | None = None
    containers: list[str] = field(default_factory=list)
    shim_answers: bool | None = None  # None: not probed


@record
class SandboxRef:
    """A sandbox an id (or prefix, or container id) resolved to."""

    id: str
    flavour: str
    container: str | None = None  # set when the user named a container of this sandbox

    @property
    def state_dir(self) -> str:
        return layout.state_dir(self.flavour, self.id)

    @property
    def socket_path(self) -> str:
        return layout.socket_path(self.flavour, self.id)

    @property
    def state_file(self) -> str:
        return layout.state_file(self.flavour, self.id)


def sandbox_ids(host: Host, flavour: str) -> list[str]:
    """Directory names under a layout that look like sandboxes (socket or state file)."""
    base = layout.GO_SANDBOXES if flavour == "go" else layout.RS_SANDBOXES
    found = []
    for name in host.listdir_or_empty(base):
        if flavour == "rs" and name in layout.RS_NON_SANDBOX_DIRS:
            continue
        directory = f"{base}/{name}"
        if not host.is_dir(directory):
            continue
        if host.lexists(f"{directory}/{layout.MONITOR_SOCKET}") or host.exists(
            layout.state_file(flavour, name)
        ):
            found.append(name)
    return found


class StateUnreadable(Exception):
    """The persisted state file is missing or unusable; the message says why."""


def load_state(host: Host, ref: SandboxRef) -> dict[str, Any]:
    """The sandbox's persisted state (Go persist.json / runtime-rs state.json).

    Raises StateUnreadable with a short reason (missing, not a file, not JSON, ...).
    """
    kind = host.kind(ref.state_file)
    if kind == "missing":
        raise StateUnreadable(f"{ref.state_file} does not exist")
    if kind != "file":  # a FIFO would block the read forever
        raise StateUnreadable(f"{ref.state_file} is not a regular file")
    text = host.read_text_or(ref.state_file)
    if text is None:
        raise StateUnreadable(f"{ref.state_file} cannot be read")
    try:
        data = jsonread.loads(text)
    except (ValueError, RecursionError):
        raise StateUnreadable(f"{ref.state_file} is not valid JSON") from None
    if not isinstance(data, dict):
        raise StateUnreadable(f"{ref.state_file} does not hold a JSON object")
    return data


def read_state(host: Host, ref: SandboxRef) -> dict[str, Any] | None:
    """The sandbox's persisted state, or None when it is missing or unusable."""
    try:
        return load_state(host, ref)
    except StateUnreadable:
        return None


def saved_agent_url(host: Host, ref: SandboxRef) -> str:
    """The agent URL saved in the persisted state; StateUnreadable says why there is none."""
    url = _dig(
        load_state(host, ref), ("AgentState", "URL"), ("agent_state", "url"), ("agent", "url")
    )
    if not isinstance(url, str) or not url:
        raise StateUnreadable(f"{ref.state_file} holds no agent URL")
    return url


def persisted_agent_url(host: Host, ref: SandboxRef) -> str | None:
    try:
        return saved_agent_url(host, ref)
    except StateUnreadable:
        return None


def _dig(data: dict[str, Any], *paths: tuple[str, ...]) -> Any:
    for path in paths:
        node: Any = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node not in (None, ""):
            return node
    return None


def locate_sandbox(host: Host, ident: str | None) -> SandboxRef:
    """Resolve an exact sandbox id, a unique prefix (both layouts), or a Go container id."""
    ident = layout.validate_id(ident)
    for flavour in FLAVOURS:
        if flavour == "rs" and ident in layout.RS_NON_SANDBOX_DIRS:
            continue
        if host.lexists(layout.socket_path(flavour, ident)) or host.is_dir(
            layout.state_dir(flavour, ident)
        ):
            return SandboxRef(ident, flavour)
    candidates = [
        SandboxRef(sid, flavour)
        for flavour in FLAVOURS
        for sid in sandbox_ids(host, flavour)
        if sid.startswith(ident)
    ]
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        names = ", ".join(f"{c.id} ({c.flavour})" for c in candidates)
        raise KataError(
            f'more than one sandbox exists with the provided prefix "{ident}", '
            "please provide a unique prefix",
            hint=f"candidates: {names}",
        )
    for sid in sandbox_ids(host, "go"):
        if host.is_dir(f"{layout.GO_SANDBOXES}/{sid}/{ident}"):
            return SandboxRef(sid, "go", container=ident)
    raise missing_socket_error(ident)


def missing_socket_error(sandbox_id: str) -> KataError:
    go_sock = layout.socket_path("go", sandbox_id)
    rs_sock = layout.socket_path("rs", sandbox_id)
    return KataError(
        f"it fails to stat both {go_sock} and {rs_sock} with error stat {rs_sock}: "
        "no such file or directory",
        hint="no such sandbox; see 'kata-cli sandbox list'",
    )


def list_sandboxes(host: Host, *, probe: bool = False, timeout: float = 1.0) -> list[SandboxInfo]:
    """Every sandbox under both layouts, sorted by flavour then id.

    With `probe`, each shim socket is asked for `/agent-url`. The probes run in parallel
    and share one deadline, `timeout` from the start: hung shims cost one `timeout` in
    all, however many there are (a host full of them once took a second per 16). A socket
    whose turn comes after the deadline stays unprobed (`shim_answers` None).
    """
    result = []
    for flavour in FLAVOURS:
        for sid in sandbox_ids(host, flavour):
            result.append(_describe(host, SandboxRef(sid, flavour)))
    live = [info for info in result if info.socket_present]
    if probe and live:
        from concurrent.futures import ThreadPoolExecutor

        refs = [SandboxRef(info.id, info.flavour) for info in live]
        deadline = time.monotonic() + timeout
        with ThreadPoolExecutor(max_workers=min(PROBE_WORKERS, len(refs))) as pool:
            answers = list(pool.map(lambda ref: _answers(host, ref, deadline), refs))
        for info, answered in zip(live, answers, strict=True):
            info.shim_answers = answered
    if probe:
        for info in result:
            if not info.socket_present:
                info.shim_answers = False
    return result


def _describe(host: Host, ref: SandboxRef) -> SandboxInfo:
    state = read_state(host, ref) or {}
    pid = _dig(
        state,
        ("HypervisorState", "Pid"),
        ("hypervisor_state", "pid"),
        ("hypervisor", "pid"),
        ("pid",),
    )
    pid = pid if _plausible_pid(pid) else None
    status = _dig(state, ("State", "State"), ("State",), ("state",), ("sandbox_state",))
    info = SandboxInfo(
        id=ref.id,
        flavour=ref.flavour,
        state_dir=ref.state_dir,
        socket_path=ref.socket_path,
        socket_present=host.kind(ref.socket_path) == "socket",
        state=status if isinstance(status, str) else None,
        hypervisor_pid=pid,
        hypervisor_alive=None if pid is None else pid_alive(host, pid),
        agent_url=persisted_agent_url(host, ref),
        containers=_containers(host, ref),
    )
    return info


def _containers(host: Host, ref: SandboxRef) -> list[str]:
    if ref.flavour != "go":
        return []
    return [
        name
        for name in host.listdir_or_empty(ref.state_dir)
        if host.is_file(f"{ref.state_dir}/{name}/{layout.GO_STATE_FILE}")
    ]


def _plausible_pid(value: Any) -> bool:
    # Linux pids are below 2**22 (PID_MAX_LIMIT); bool is an int subclass.
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**22


def pid_alive(host: Host, pid: int) -> bool:
    """Whether the host process `pid` exists (psutil on this host, /proc under a host root)."""
    if host.is_native:
        import psutil

        return bool(psutil.pid_exists(pid))
    return host.is_dir(f"/proc/{pid}")


def _answers(host: Host, ref: SandboxRef, deadline: float) -> bool | None:
    """Whether the shim answers `/agent-url` with 200 before `deadline` (None: its turn
    came too late to ask)."""
    from kata_cli.shim.http import HttpError, unix_http_request

    timeout = deadline - time.monotonic()
    if timeout < MIN_PROBE_SECONDS:
        return None
    try:
        response = unix_http_request(
            ref.socket_path, "GET", "/agent-url", timeout=timeout, host=host
        )
    except HttpError:
        return False
    return response.status == 200
