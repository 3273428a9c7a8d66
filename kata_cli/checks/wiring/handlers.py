"""What every manager's checks share: how a wiring check is declared, and what every Kata
runtime handler is judged on, whichever manager names it: its shim is an executable the
manager finds, and its Kata configuration file loads."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import WIRING, CheckResult, CheckSpec
from kata_cli.errors import ConfigError

if TYPE_CHECKING:
    from kata_cli.checks.wiring import containerd, crio

# systemd's default PATH: what containerd (and k3s, RKE2 after their own directories)
# look shims up in
SEARCH_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
KATA_BIN_DIRS = ("/opt/kata/bin", "/opt/kata/runtime-rs/bin")
CATEGORY = "wiring"
MAX_HANDLERS = 16  # per manager: each gets its shim, configuration and snapshotter checks


def wiring_spec(
    suffix: str, description: str, remedy: str, required: bool = True, per_item: bool = False
) -> CheckSpec:
    """A check of the wiring level: `wiring.<suffix>`."""
    return CheckSpec(
        f"wiring.{suffix}",
        CATEGORY,
        description,
        required=required,
        remedy=remedy,
        level=WIRING,
        per_item=per_item,
    )


def shown(name: str) -> str:
    return name if len(name) <= 64 else name[:61] + "..."


def find_program(
    ctx: CheckContext, program: str, search_path: tuple[str, ...] = SEARCH_PATH
) -> tuple[str, str]:
    """Where a program is: (the host path named or found, its resolved target), or ("", "")."""
    candidates = [program] if "/" in program else [f"{d}/{program}" for d in search_path]
    for candidate in candidates:
        try:
            resolved = ctx.host.resolve(candidate)
        except OSError:
            continue
        if ctx.host.kind(resolved) == "file":
            return candidate, resolved
    return "", ""


def shim(
    ctx: CheckContext,
    spec: CheckSpec,
    handler: str,
    program: str,
    search_path: tuple[str, ...] = SEARCH_PATH,
    manager: str = "containerd",
) -> CheckResult:
    """The handler's shim is an executable file where `manager` looks for it."""
    prefix = f"handler {shown(handler)}"
    if not program:
        return spec.failed(f"{prefix}: no shim can be derived from its runtime_type")
    found, resolved = find_program(ctx, program, search_path)
    if not found:
        if "/" in program:
            return spec.failed(f"{prefix}: {shown(program)} does not exist")
        elsewhere = [
            f"{d}/{program}" for d in KATA_BIN_DIRS if ctx.host.kind(f"{d}/{program}") == "file"
        ]
        where = ":".join(search_path)
        if elsewhere:
            return spec.failed(
                f"{prefix}: {shown(program)} is in {posixpath.dirname(elsewhere[0])}, "
                f"which is not in {manager}'s search path ({where})",
                f"ln -s {elsewhere[0]} /usr/local/bin/{program}",
            )
        return spec.failed(f"{prefix}: {shown(program)} is not in {where}")
    if not ctx.host.is_executable(resolved):
        return spec.failed(f"{prefix}: {found} is not executable", f"chmod 755 {resolved}")
    target = f" -> {resolved}" if resolved != found else ""
    return spec.passed(f"{prefix}: {found}{target}")


def kata_config(
    ctx: CheckContext,
    spec: CheckSpec,
    handler: containerd.Handler | crio.Handler,
    key: str,
) -> CheckResult:
    """The Kata configuration the handler names (`key`) exists and loads."""
    from kata_cli.config import loader

    prefix = f"handler {shown(handler.name)}"
    path = handler.config_path
    if not path:
        default = ctx.config.path if ctx.config is not None else "the default search list"
        return spec.skipped(
            f"{prefix}: no {key}; the shim reads the default configuration ({default})"
        )
    if not path.startswith("/"):
        return spec.failed(f"{prefix}: {key} {shown(path)} is not an absolute path")
    try:
        resolved = ctx.host.resolve(path)
    except FileNotFoundError:
        return spec.failed(f"{prefix}: {key} {shown(path)} does not exist")
    except OSError as exc:
        return spec.failed(f"{prefix}: {key} {shown(path)}: {exc.strerror or exc}")
    if ctx.host.kind(resolved) != "file":
        return spec.failed(f"{prefix}: {key} {shown(path)} is not a regular file")
    try:  # read inside the host root, drop-ins included
        loaded = loader.load(ctx.host, host_file=resolved, environ={}, allow_embedded=False)
    except (ConfigError, OSError, ValueError) as exc:
        message = exc.one_line() if isinstance(exc, ConfigError) else str(exc)
        return spec.failed(f"{prefix}: {key} {shown(path)} does not load: {message}")
    detail = f"{prefix}: {shown(path)} loads (hypervisor {loaded.hypervisor_type})"
    judged = ctx.config.path if ctx.config is not None and not ctx.config.embedded else ""
    if judged and judged not in (path, resolved):
        detail += f"; the other checks judged {judged} (--config {shown(path)} judges this one)"
    return spec.passed(detail)
