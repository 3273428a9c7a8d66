"""Host-level checks: which configuration is judged, running inside a container, memory."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kata_cli import probe
from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import INSTALLATION, NOT_INSTALLED, CheckResult, CheckSpec

CATEGORY = "host"

CONFIG = CheckSpec(
    "host.config",
    CATEGORY,
    "a Kata configuration to judge the host against",
    required=False,
    remedy="install Kata Containers, or name a configuration with --config",
    level=INSTALLATION,
)
CONTAINER = CheckSpec(
    "host.container",
    CATEGORY,
    "not running inside a container (nested containers are not supported)",
    required=True,
    remedy="run kata-cli on the host itself, or mount the host's root file system into the "
    "container and pass --host-root (e.g. --host-root /host)",
)
MEMORY = CheckSpec(
    "host.memory",
    CATEGORY,
    "enough memory for one sandbox of the configured default_memory",
    required=True,
    remedy="free memory, or lower default_memory in the configuration",
)
CONTAINER_MARKERS = ("/.dockerenv", "/run/.containerenv")
CGROUP_WORDS = re.compile(r"docker|kubepods|containerd|libpod|lxc|garden", re.I)


def catalogue() -> list[CheckSpec]:
    return [CONFIG, CONTAINER, MEMORY]


def host_checks(ctx: CheckContext) -> Iterator[CheckResult]:
    yield _config(ctx)
    yield _container(ctx)
    yield _memory(ctx)


def _config(ctx: CheckContext) -> CheckResult:
    config = ctx.config
    if ctx.config_error:
        return CONFIG.skipped(ctx.no_config_reason)
    if config is None:
        return CONFIG.warned("no configuration found: hypervisor-dependent checks are skipped")
    if config.embedded:
        return CONFIG.skipped(
            f"{NOT_INSTALLED}: no configuration file found; the hardware and kernel are "
            f"judged for the embedded default (hypervisor {config.hypervisor_name})"
        )
    return CONFIG.passed(f"{config.path}: hypervisor {config.hypervisor_name} ({config.flavour})")


def container_evidence(ctx: CheckContext) -> list[str]:
    """Signs that the host root is a container's root file system."""
    host = ctx.host
    found = [f"{path} exists" for path in CONTAINER_MARKERS if host.lexists(path)]
    environ = host.read_text_or("/proc/1/environ", "") or ""
    match = re.search(r"(?:^|\0)container=([^\0]*)", environ)
    if match:
        found.append(f"PID 1 has container={match.group(1)}")
    cgroup = host.read_text_or("/proc/1/cgroup", "") or ""
    words = sorted({m.group(0).lower() for m in CGROUP_WORDS.finditer(cgroup)})
    if words:
        found.append(f"/proc/1/cgroup mentions {', '.join(words)}")
    return found


def _container(ctx: CheckContext) -> CheckResult:
    evidence = container_evidence(ctx)
    if not evidence:
        return CONTAINER.passed("no sign of a container")
    return CONTAINER.failed(
        "running inside a container (" + "; ".join(evidence) + "): Kata Containers cannot "
        "run nested in a container, so this host's answer would not be truthful"
    )


def _memory(ctx: CheckContext) -> CheckResult:
    if ctx.config is None:
        return MEMORY.skipped(ctx.no_config_reason)
    wanted = ctx.config.hypervisor.default_memory
    info = probe.meminfo(ctx.host)
    total = info.get("MemTotal", 0) // 1024
    available = info.get("MemAvailable", info.get("MemFree", 0)) // 1024
    if not total:
        readable = ctx.host.read_text_or(probe.MEMINFO) is not None
        why = "has no MemTotal line" if readable else "is not readable"
        return MEMORY.skipped(f"cannot verify: {probe.MEMINFO} {why}")
    if total < wanted:
        return MEMORY.failed(
            f"default_memory is {wanted} MiB but the host has {total} MiB in total: "
            "the VM will not start"
        )
    if available < wanted:
        return MEMORY.warned(
            f"default_memory is {wanted} MiB but only {available} MiB are available now "
            f"(of {total} MiB): a sandbox may not start"
        )
    return MEMORY.passed(f"{available} MiB available of {total} MiB; default_memory {wanted} MiB")
