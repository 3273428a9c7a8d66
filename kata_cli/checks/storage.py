"""Storage: how the container rootfs reaches the guest, and whether the host provides it.

Three ways (see the Kata storage design documents): a shared file system (virtio-fs with a
virtiofsd daemon on the host, or the slow virtio-9p), or block devices (a block-based
snapshotter such as devmapper, hot plugged with `block_device_driver`, which needs
`disable_block_device_use = false`).
"""

from __future__ import annotations

from collections.abc import Iterator

from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import INSTALLATION, WIRING, CheckResult, CheckSpec
from kata_cli.host import NOT_RUN_OUTSIDE_ROOT
from kata_cli.record import record

CATEGORY = "storage"
DAEMON_TIMEOUT = 5.0
CONTAINERD_CONFIG = "/etc/containerd/config.toml"

ROOTFS = CheckSpec(
    "storage.rootfs",
    CATEGORY,
    "how the container rootfs reaches the guest",
    required=False,
    remedy="set shared_fs to virtio-fs, or use a block snapshotter with block devices enabled",
    level=INSTALLATION,
)
VIRTIO_FS = CheckSpec(
    "storage.virtio-fs",
    CATEGORY,
    "the configured virtio-fs daemon exists and runs",
    required=True,
    remedy="install virtiofsd and point virtio_fs_daemon at it",
    level=INSTALLATION,
)
NINE_P = CheckSpec(
    "storage.virtio-9p",
    CATEGORY,
    "shared file system is not virtio-9p",
    required=False,
    remedy='set shared_fs = "virtio-fs" (virtio-9p is slow and not POSIX-complete)',
    level=INSTALLATION,
)
BLOCK = CheckSpec(
    "storage.block",
    CATEGORY,
    "block devices can be hot plugged (disable_block_device_use = false)",
    required=False,
    remedy="set disable_block_device_use = false in the [hypervisor] table",
    level=INSTALLATION,
)
DEVMAPPER = CheckSpec(
    "storage.devmapper",
    CATEGORY,
    "the containerd devmapper thin pool exists and dm_thin_pool is loaded",
    required=False,
    remedy="create the thin pool named by pool_name (dmsetup) and modprobe dm_thin_pool",
    level=WIRING,
)


def catalogue() -> list[CheckSpec]:
    return [ROOTFS, VIRTIO_FS, NINE_P, BLOCK, DEVMAPPER]


@record
class Containerd:
    """What containerd's configuration says about snapshotters."""

    path: str
    snapshotter: str | None  # the Kata runtime handler's, else the CRI default
    pool_name: str | None
    error: str | None = None


def read_containerd(ctx: CheckContext) -> Containerd | None:
    """The snapshotter of containerd's first Kata handler (else its default) and the
    devmapper pool, from the configuration file and its imports (checks/wiring)."""
    from kata_cli.checks.wiring import containerd

    config = (
        containerd.read_files(ctx.host, CONTAINERD_CONFIG)
        if ctx.host.lexists(CONTAINERD_CONFIG)
        else None
    )
    if config is None:
        return None
    if config.errors:
        return Containerd(CONTAINERD_CONFIG, None, None, config.errors[0])
    handlers = config.handlers()
    snapshotter = handlers[0].snapshotter if handlers else config.default_snapshotter
    return Containerd(CONTAINERD_CONFIG, snapshotter, config.devmapper_pool or None)


def storage_checks(ctx: CheckContext) -> Iterator[CheckResult]:
    config = ctx.config
    if config is None:
        yield ROOTFS.skipped(ctx.no_config_reason)
        return
    hv = config.hypervisor
    containerd = read_containerd(ctx)
    devmapper = containerd is not None and containerd.snapshotter == "devmapper"
    block_ok = not hv.disable_block_device_use
    shared = hv.shared_fs or "none"
    if devmapper and block_ok:
        yield ROOTFS.passed(
            f"block devices: containerd's devmapper snapshotter, hot plugged as "
            f"{hv.block_device_driver}"
        )
    elif shared != "none":
        yield ROOTFS.passed(f"shared file system: {shared} (shared_fs)")
    elif config.hypervisor_type == "remote":
        yield ROOTFS.skipped("remote hypervisor: the rootfs is handled by the remote side")
    else:
        yield ROOTFS.failed(
            'shared_fs = "none" and no block device path: the rootfs cannot reach the guest'
        )
    if shared.startswith("virtio-fs"):
        yield _virtio_fs(ctx, hv.virtio_fs_daemon)
    elif shared == "virtio-9p":
        yield NINE_P.warned("shared_fs = virtio-9p: slow, and not POSIX-complete")
    if devmapper:
        if block_ok:
            yield BLOCK.passed(f"block devices enabled ({hv.block_device_driver})")
        else:
            yield BLOCK.warned(
                "containerd uses the devmapper snapshotter but disable_block_device_use = true: "
                "its block devices cannot be hot plugged into the guest"
            )
        assert containerd is not None
        yield _devmapper(ctx, containerd)
    elif containerd is not None and containerd.error:
        yield DEVMAPPER.skipped(f"{containerd.path}: {containerd.error}")


def _virtio_fs(ctx: CheckContext, daemon: str) -> CheckResult:
    if not daemon:
        return VIRTIO_FS.failed("shared_fs is virtio-fs but virtio_fs_daemon is not set")
    kind = ctx.host.kind(daemon)
    if kind == "missing":
        return VIRTIO_FS.failed(f"virtio_fs_daemon {daemon} does not exist")
    if kind != "file":
        return VIRTIO_FS.failed(f"virtio_fs_daemon {daemon} is a {kind}, not a program")
    if not ctx.host.is_executable(daemon):
        if not ctx.is_root:
            return VIRTIO_FS.warned(f"cannot verify: {daemon} is not executable for this user")
        return VIRTIO_FS.failed(
            f"virtio_fs_daemon {daemon} is not executable", f"chmod +x {daemon}"
        )
    result = ctx.host.run_host_program(daemon, ["--version"], timeout=DAEMON_TIMEOUT)
    if result.error == NOT_RUN_OUTSIDE_ROOT:
        return VIRTIO_FS.passed(f"{daemon} is executable (--version {NOT_RUN_OUTSIDE_ROOT})")
    if not result.ok:
        return VIRTIO_FS.failed(
            f"{daemon} --version failed: {result.describe()}",
            "reinstall virtiofsd (it must run on this host)",
        )
    lines = (result.stdout_text or result.stderr_text).strip().splitlines()
    version = lines[0] if lines else "no version output"
    return VIRTIO_FS.passed(f"{daemon}: {version}")


def devmapper_problems(ctx: CheckContext, pool: str | None, where: str) -> list[str]:
    """What keeps containerd's devmapper snapshotter from working (empty: nothing)."""
    problems = []
    if not pool:
        problems.append(f"{where} sets no devmapper pool_name")
    elif ctx.host.kind(f"/dev/mapper/{pool}") == "missing":
        problems.append(f"thin pool /dev/mapper/{pool} does not exist")
    if not ctx.module_loaded("dm_thin_pool"):
        problems.append("kernel module dm_thin_pool is not loaded")
    return problems


def _devmapper(ctx: CheckContext, containerd: Containerd) -> CheckResult:
    pool = containerd.pool_name
    problems = devmapper_problems(ctx, pool, containerd.path)
    if problems:
        return DEVMAPPER.failed("; ".join(problems))
    return DEVMAPPER.passed(f"thin pool /dev/mapper/{pool} present, dm_thin_pool loaded")
