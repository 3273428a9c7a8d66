"""Assets: hypervisor binary, guest kernel, image or initrd, firmware (config-schema 3.1).

Paths named in the configuration are host paths, checked under the host root.
"""

from __future__ import annotations

from collections.abc import Iterator

from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import INSTALLATION, CheckResult, CheckSpec

CATEGORY = "assets"
NO_BINARY_TYPES = ("remote", "dragonball", "mock")

HYPERVISOR = CheckSpec(
    "assets.hypervisor",
    CATEGORY,
    "the hypervisor binary exists and is executable",
    required=True,
    remedy="install the hypervisor, or fix `path` in the [hypervisor] table",
    level=INSTALLATION,
)
KERNEL = CheckSpec(
    "assets.kernel",
    CATEGORY,
    "the guest kernel exists and is not empty",
    required=True,
    remedy="install the Kata guest kernel, or fix `kernel` in the [hypervisor] table",
    level=INSTALLATION,
)
ROOTFS = CheckSpec(
    "assets.guest-rootfs",
    CATEGORY,
    "exactly one of image and initrd is set, and it exists",
    required=True,
    remedy="set exactly one of `image` and `initrd` to an installed guest image",
    level=INSTALLATION,
)
FIRMWARE = CheckSpec(
    "assets.firmware",
    CATEGORY,
    "the configured firmware exists",
    required=True,
    remedy="install the firmware, or clear `firmware` in the [hypervisor] table",
    level=INSTALLATION,
)


def catalogue() -> list[CheckSpec]:
    return [HYPERVISOR, KERNEL, ROOTFS, FIRMWARE]


def _file_problem(ctx: CheckContext, key: str, path: str, executable: bool = False) -> str | None:
    kind = ctx.host.kind(path)
    if kind == "missing":
        return f"{key} {path} does not exist"
    if kind != "file":
        return f"{key} {path} is a {kind}, not a file"
    try:
        size = ctx.host.stat(path).st_size
    except OSError as exc:
        return f"cannot verify {key} {path}: {exc.strerror or exc}"
    if size == 0:
        return f"{key} {path} is empty"
    if executable and not ctx.host.is_executable(path):
        return f"{key} {path} is not executable"
    return None


def asset_checks(ctx: CheckContext) -> Iterator[CheckResult]:
    config = ctx.config
    if config is None:
        yield HYPERVISOR.skipped(ctx.no_config_reason)
        return
    hv = config.hypervisor
    htype = config.hypervisor_type
    if htype in NO_BINARY_TYPES or not hv.path:
        yield HYPERVISOR.skipped(f"{htype} needs no hypervisor binary on this host")
    else:
        problem = _file_problem(ctx, "path", hv.path, executable=True)
        yield HYPERVISOR.failed(problem) if problem else HYPERVISOR.passed(hv.path)
    if htype == "remote":
        yield KERNEL.skipped("remote hypervisor: assets live on the remote side")
        return
    if not hv.kernel:
        yield KERNEL.failed("kernel is not set (Missing kernel path)")
    else:
        problem = _file_problem(ctx, "kernel", hv.kernel)
        yield KERNEL.failed(problem) if problem else KERNEL.passed(hv.kernel)
    yield _guest_rootfs(ctx, hv.image, hv.initrd)
    if hv.firmware:
        problem = _file_problem(ctx, "firmware", hv.firmware)
        yield FIRMWARE.failed(problem) if problem else FIRMWARE.passed(hv.firmware)
    else:
        yield FIRMWARE.skipped("no firmware configured (the hypervisor's default is used)")


def _guest_rootfs(ctx: CheckContext, image: str, initrd: str) -> CheckResult:
    if image and initrd:
        return ROOTFS.failed(f"both image ({image}) and initrd ({initrd}) are set")
    if not image and not initrd:
        return ROOTFS.failed("neither image nor initrd is set (Missing image and initrd path)")
    key, path = ("image", image) if image else ("initrd", initrd)
    problem = _file_problem(ctx, key, path)
    return ROOTFS.failed(problem) if problem else ROOTFS.passed(f"{key} {path}")
