"""Fill the `env` report from the loaded configuration and the host root (spec 5.2).

Where upstream's `env` dies (a missing asset, no `/dev/vhost-vsock` as root, an unknown
CPU vendor, a CPU block without vendor or model) this report carries on and records a
warning for stderr instead; `kata-cli check` is the command that fails on those.
Only an unreadable `/proc/version` stops it, as upstream.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from kata_cli.config.kernel_params import kernel_parameters_string
from kata_cli.envinfo.model import (
    UNKNOWN,
    AgentInfo,
    ConfigInfo,
    CPUInfo,
    DistroInfo,
    EnvInfo,
    HostInfo,
    HypervisorInfo,
    KernelInfo,
    MemoryInfo,
    MetaInfo,
    PathInfo,
    RuntimeInfo,
    RuntimeVersionInfo,
    SecurityInfo,
    VersionNumbers,
)
from kata_cli.errors import HostError, excerpt
from kata_cli.host import local_realpath
from kata_cli.record import replace

if TYPE_CHECKING:
    from kata_cli.config.model import Config
    from kata_cli.host import Host

VERSION_TIMEOUT = 2.0
# What upstream's env prints whatever the file says, per Go hypervisor type: its
# per-type constructor (katautils) never copies these keys, or sets them itself.
UPSTREAM_FIXED: dict[str, dict[str, object]] = {
    "firecracker": {
        "MachineType": "",
        "SharedFS": "",
        "Msize9p": 0,
        "HotPlugVFIO": "",
        "ColdPlugVFIO": "",
    },
    "stratovirt": {"Msize9p": 0, "HotPlugVFIO": "", "ColdPlugVFIO": ""},
    "remote": {
        "Path": "",
        "Version": UNKNOWN,
        "BlockDeviceDriver": "dummy",
        "EntropySource": "",
        "MemorySlots": 0,
    },
}
# hypervisors that run no program on this host: no kernel, no capability of their own
_REMOTE_TYPES = ("remote",)
# hypervisors whose debug console is a hybrid vsock (a Unix socket on the host)
_HYBRID_VSOCK = {"clh", "cloud-hypervisor", "firecracker", "dragonball"}


def build_env_info(
    host: Host,
    config: Config,
    *,
    is_root: bool | None = None,
    runtime_path: str | None = None,
    version: str | None = None,
    commit: str | None = None,
    capable: bool | None = None,
) -> EnvInfo:
    """The whole report. Keyword overrides exist so tests get deterministic output."""
    warnings: list[str] = []
    if is_root is None:
        is_root = host.is_root()
    hv = config.hypervisor
    remote = config.flavour == "go" and config.hypervisor_type in _REMOTE_TYPES
    info = EnvInfo(
        Kernel=KernelInfo(
            Path="" if remote else _asset_path(host, hv.kernel, "kernel", warnings),
            Parameters="" if remote else kernel_parameters_string(config),
        ),
        Meta=MetaInfo(),
        Image=PathInfo(_asset_path(host, hv.image, "image", warnings)),
        Initrd=PathInfo(_asset_path(host, hv.initrd, "initrd", warnings)),
        Hypervisor=_hypervisor(host, config, is_root, warnings),
        Runtime=_runtime(config, runtime_path, version, commit),
        Host=_host(host, config, capable, warnings),
        Agent=AgentInfo(Debug=config.agent.enable_debug, Trace=config.agent.enable_tracing),
    )
    info.warnings = warnings
    return info


def _asset_path(host: Host, path: str, what: str, warnings: list[str]) -> str:
    """The path with symlinks resolved under the host root; as configured when missing."""
    if not path:
        return ""
    try:
        return host.resolve(path)
    except OSError as exc:
        reason = "does not exist" if isinstance(exc, FileNotFoundError) else exc.strerror
        warnings.append(
            f"{what} {excerpt(path)} {reason or 'cannot be resolved'} "
            "(reported as configured; run `kata-cli check` for the asset checks)"
        )
        return path


def hypervisor_version(host: Host, path: str, timeout: float = VERSION_TIMEOUT) -> str:
    """`<path> --version`, trimmed; `<<unknown>>` on any failure, never hangs."""
    if not path:
        return UNKNOWN
    result = host.run_host_program(path, ["--version"], timeout=timeout)
    if not result.ok:
        return UNKNOWN
    text = result.stdout.decode("utf-8", "replace").strip()
    return text or UNKNOWN


def socket_path(config: Config, is_root: bool) -> str:
    """The debug-console socket template, `{ID}` standing for the sandbox id."""
    if not is_root:
        return UNKNOWN
    hv = config.hypervisor
    kind = config.hypervisor_type
    if kind in ("remote",):
        socket = hv.hypervisor_socket if config.flavour == "rs" else hv.remote_hypervisor_socket
        return socket or UNKNOWN
    if kind not in _HYBRID_VSOCK:
        return ""  # qemu, stratovirt: a vsock CID, no host socket
    if config.flavour == "rs":
        # runtime-rs keeps each sandbox under /run/kata/<id>/; its hybrid vsock sits in root/
        return "/run/kata/{ID}/root/kata.hvsock"
    if kind == "firecracker":
        return f"/run/vc/{os.path.basename(hv.path) or 'firecracker'}/{{ID}}/root/kata.hvsock"
    # clh: upstream prints "{ID}/clh.sock" because its store path is still empty here
    return "/run/vc/vm/{ID}/clh.sock"


def _hypervisor(host: Host, config: Config, is_root: bool, warnings: list[str]) -> HypervisorInfo:
    hv = config.hypervisor
    fixed = UPSTREAM_FIXED.get(config.hypervisor_type, {}) if config.flavour == "go" else {}
    path = ""
    if hv.path and "Path" not in fixed:
        path = _asset_path(host, hv.path, "hypervisor binary", warnings)
    # run only a program the configuration names (not a default filled in for it)
    named = config.hypervisor_origin("path") != "default"
    annotations_set = "enable_annotations" in config.raw.get("hypervisor", {}).get(
        config.hypervisor_name, {}
    )
    info = HypervisorInfo(
        MachineType=hv.machine_type,
        Version=hypervisor_version(host, path) if named and "Version" not in fixed else UNKNOWN,
        Path=path,
        BlockDeviceDriver=hv.block_device_driver,
        EntropySource=hv.entropy_source,
        SharedFS=hv.shared_fs,
        VirtioFSDaemon=hv.virtio_fs_daemon,
        SocketPath=socket_path(config, is_root),
        Msize9p=hv.msize_9p,
        MemorySlots=hv.memory_slots,
        HotPlugVFIO=hv.hot_plug_vfio,
        ColdPlugVFIO=hv.cold_plug_vfio,
        PCIeRootPort=hv.pcie_root_port,
        PCIeSwitchPort=hv.pcie_switch_port,
        Debug=hv.enable_debug,
        SecurityInfo=SecurityInfo(
            Rootless=hv.rootless,
            DisableSeccomp=hv.disable_seccomp,
            GuestHookPath=hv.guest_hook_path,
            EnableAnnotations=list(hv.enable_annotations) if annotations_set else None,
            ConfidentialGuest=hv.confidential_guest,
        ),
    )
    return replace(info, **fixed) if fixed else info


def version_numbers(semver: str, commit: str) -> VersionNumbers:
    """Major/minor/patch of a SemVer string; `<<unknown>>` and zeros when it is not one."""
    core = semver.split("+", 1)[0].split("-", 1)[0]
    parts = core.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return VersionNumbers(Semver=UNKNOWN, Commit=commit, Major=0, Minor=0, Patch=0)
    major, minor, patch = (int(p) for p in parts)
    return VersionNumbers(Semver=semver, Commit=commit, Major=major, Minor=minor, Patch=patch)


def _runtime(
    config: Config, runtime_path: str | None, version: str | None, commit: str | None
) -> RuntimeInfo:
    from kata_cli import OCI_SPEC_VERSION, __version__
    from kata_cli.version import commit as build_commit

    rt = config.runtime
    if runtime_path is None:
        runtime_path = local_realpath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return RuntimeInfo(
        Config=ConfigInfo(Path=config.path),
        Path=runtime_path,
        GuestSeLinuxLabel=rt.guest_selinux_label,
        Experimental=None,  # no experimental feature is registered upstream
        Version=RuntimeVersionInfo(
            OCI=OCI_SPEC_VERSION,
            Version=version_numbers(
                version or __version__, commit if commit is not None else build_commit()
            ),
        ),
        Debug=rt.enable_debug,
        Trace=rt.enable_tracing,
        DisableGuestSeccomp=rt.disable_guest_seccomp,
        DisableNewNetNs=rt.disable_new_netns,
        SandboxCgroupOnly=rt.sandbox_cgroup_only,
    )


def guest_protections(host: Host) -> list[str] | None:
    """["tdx"] or ["snp"] from the kvm module parameters (as upstream), else None."""
    from kata_cli.probe import module_param

    if (module_param(host, "kvm_intel", "tdx") or "").startswith("Y"):
        return ["tdx"]
    if (module_param(host, "kvm_amd", "sev_snp") or "").startswith("Y"):
        return ["snp"]
    return None


def _host(host: Host, config: Config, capable: bool | None, warnings: list[str]) -> HostInfo:
    from kata_cli import probe

    try:
        kernel = probe.kernel_release(host)
    except FileNotFoundError:
        raise HostError(
            "cannot read /proc/version: file does not exist",
            "is /proc mounted under the host root?",
        ) from None
    except OSError as exc:
        raise HostError(f"cannot read /proc/version: {_reason(exc)}") from None
    except ValueError as exc:
        raise HostError(f"cannot read /proc/version: {exc}") from None
    try:
        name, distro_version = probe.os_release(host)
    except OSError as exc:  # missing files are skipped; other read errors fail, as upstream
        where = exc.filename or "/etc/os-release"
        raise HostError(f"cannot read {host.to_host_path(where)}: {_reason(exc)}") from None
    try:
        cpu = probe.read_cpuinfo(host)
        vendor, model = cpu.vendor, cpu.model
    except OSError as exc:
        warnings.append(f"cannot read /proc/cpuinfo: {exc.strerror or exc}")
        vendor = model = None
    if vendor is None:
        warnings.append("cannot find vendor field in file /proc/cpuinfo")
    if model is None:
        warnings.append("cannot find model field in file /proc/cpuinfo")
    memory = probe.meminfo(host)
    if capable is None:
        # upstream judges a remote configuration by the vendor's local-VM tables too
        remote = config.flavour == "go" and config.hypervisor_type in _REMOTE_TYPES
        capable = _capable(host, None if remote else config, warnings)
    return HostInfo(
        AvailableGuestProtections=guest_protections(host),
        Kernel=kernel,
        Architecture=probe.go_arch(),
        Distro=DistroInfo(Name=name or UNKNOWN, Version=distro_version or UNKNOWN),
        CPU=CPUInfo(Vendor=vendor or UNKNOWN, Model=model or UNKNOWN, CPUs=probe.cpu_count(host)),
        Memory=MemoryInfo(
            Total=memory.get("MemTotal", 0),
            Free=memory.get("MemFree", 0),
            Available=memory.get("MemAvailable", 0),
        ),
        VMContainerCapable=capable,
        SupportVSocks=host.exists("/dev/vhost-vsock"),
    )


def _reason(exc: OSError) -> str:
    """`permission denied`, not `[Errno 13] Permission denied: '/long/local/path'`."""
    return (exc.strerror or str(exc)).lower()


def _capable(host: Host, config: Config | None, warnings: list[str]) -> bool:
    """The CPU + kernel-module verdict of `kata-cli check`, without side effects."""
    try:
        from kata_cli.checks import host_capable
    except ImportError as exc:  # pragma: no cover - only while check is not installed
        warnings.append(f"host capability not checked: {exc}")
        return False
    return host_capable(host, config)
