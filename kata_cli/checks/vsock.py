"""vsock: the agent channel of qemu (and stratovirt) is vhost-vsock, /dev/vhost-vsock."""

from __future__ import annotations

import os
from collections.abc import Iterator

from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import CheckResult, CheckSpec
from kata_cli.checks.modules import GUEST_VSOCK_TRANSPORTS

CATEGORY = "vsock"
DEVICE = "/dev/vhost-vsock"
VSOCK_TYPES = ("qemu", "stratovirt")

VHOST_VSOCK = CheckSpec(
    "vsock.device",
    CATEGORY,
    "/dev/vhost-vsock for the runtime-agent channel (qemu, stratovirt)",
    required=True,
    remedy="modprobe vhost_vsock (and list it in /etc/modules-load.d/kata.conf)",
)


def catalogue() -> list[CheckSpec]:
    return [VHOST_VSOCK]


def vsock_checks(ctx: CheckContext) -> Iterator[CheckResult]:
    htype = ctx.hypervisor_type
    if htype is None:
        reason = ctx.config_error and ctx.no_config_reason
        yield VHOST_VSOCK.skipped(reason or "no configuration: hypervisor unknown")
        return
    if htype not in VSOCK_TYPES:
        yield VHOST_VSOCK.skipped(f"{htype} reaches the agent over a hybrid vsock (Unix socket)")
        return
    why = f"{htype} talks to the Kata agent over vsock: without it sandboxes cannot start"
    kind = ctx.host.kind(DEVICE)
    if kind == "missing":
        holders = [m for m in GUEST_VSOCK_TRANSPORTS if ctx.module_loaded(m)]
        if holders:
            yield VHOST_VSOCK.failed(
                f"{DEVICE} does not exist and the guest-side transport {', '.join(holders)} "
                f"is loaded (this host is itself a VM), so vhost_vsock cannot load; {why}",
                f"modprobe -r {' '.join(holders)} && modprobe vhost_vsock",
            )
        else:
            yield VHOST_VSOCK.failed(f"{DEVICE} does not exist; {why}")
        return
    if kind != "char":
        yield VHOST_VSOCK.failed(
            f"{DEVICE} is a {kind}, not a character device; {why}",
            f"remove {DEVICE} and modprobe vhost_vsock to recreate it",
        )
        return
    if not ctx.is_root and not ctx.host.access(DEVICE, os.R_OK | os.W_OK):
        yield VHOST_VSOCK.passed(f"{DEVICE} exists (cannot verify access as this user)")
        return
    yield VHOST_VSOCK.passed(f"{DEVICE} is a character device")
