"""The `env` report (format 1.0.27): Go field names, Go declaration order.

Field names are the Go struct field names verbatim; they are what scripts parse in
both the TOML and the JSON output. `None` for a list means a nil slice: omitted in
TOML, `null` in JSON.
"""

from __future__ import annotations

from kata_cli.record import field, record

# `repr=False, eq=False` and a docstring on every class: each generated method (and the
# signature dataclasses renders as a missing docstring) is compiled when `env` starts

FORMAT_VERSION = "1.0.27"
UNKNOWN = "<<unknown>>"


@record(repr=False, eq=False)
class KernelInfo:
    """`[Kernel]`: the guest kernel and its command line."""

    Path: str
    Parameters: str


@record(repr=False, eq=False)
class MetaInfo:
    """`[Meta]`: the report format version."""

    Version: str = FORMAT_VERSION


@record(repr=False, eq=False)
class PathInfo:
    """`[Image]` / `[Initrd]`: one guest asset path."""

    Path: str


@record(repr=False, eq=False)
class SecurityInfo:
    """`[Hypervisor.SecurityInfo]`."""

    Rootless: bool
    DisableSeccomp: bool
    GuestHookPath: str
    EnableAnnotations: list[str] | None
    ConfidentialGuest: bool


@record(repr=False, eq=False)
class HypervisorInfo:
    """`[Hypervisor]`: the selected hypervisor as configured and found."""

    MachineType: str
    Version: str
    Path: str
    BlockDeviceDriver: str
    EntropySource: str
    SharedFS: str
    VirtioFSDaemon: str
    SocketPath: str
    Msize9p: int
    MemorySlots: int
    HotPlugVFIO: str
    ColdPlugVFIO: str
    PCIeRootPort: int
    PCIeSwitchPort: int
    Debug: bool
    SecurityInfo: SecurityInfo


@record(repr=False, eq=False)
class ConfigInfo:
    """`[Runtime.Config]`: the configuration file in use."""

    Path: str


@record(repr=False, eq=False)
class ExperimentalFeature:
    """One entry of `[Runtime] Experimental`."""

    Name: str
    Description: str
    ExpRelease: str


@record(repr=False, eq=False)
class VersionNumbers:
    """`[Runtime.Version.Version]`: our version, split."""

    Semver: str
    Commit: str
    Major: int
    Minor: int
    Patch: int


@record(repr=False, eq=False)
class RuntimeVersionInfo:
    """`[Runtime.Version]`."""

    OCI: str
    Version: VersionNumbers


@record(repr=False, eq=False)
class RuntimeInfo:
    """`[Runtime]`: the runtime's own settings."""

    Config: ConfigInfo
    Path: str
    GuestSeLinuxLabel: str
    Experimental: list[ExperimentalFeature] | None
    Version: RuntimeVersionInfo
    Debug: bool
    Trace: bool
    DisableGuestSeccomp: bool
    DisableNewNetNs: bool
    SandboxCgroupOnly: bool


@record(repr=False, eq=False)
class DistroInfo:
    """`[Host.Distro]`: os-release name and version."""

    Name: str
    Version: str


@record(repr=False, eq=False)
class CPUInfo:
    """`[Host.CPU]`."""

    Vendor: str
    Model: str
    CPUs: int


@record(repr=False, eq=False)
class MemoryInfo:
    """`[Host.Memory]`: /proc/meminfo's values (kB)."""

    Total: int
    Free: int
    Available: int


@record(repr=False, eq=False)
class HostInfo:
    """`[Host]`: kernel, distribution, CPU, memory and capability."""

    AvailableGuestProtections: list[str] | None
    Kernel: str
    Architecture: str
    Distro: DistroInfo
    CPU: CPUInfo
    Memory: MemoryInfo
    VMContainerCapable: bool
    SupportVSocks: bool


@record(repr=False, eq=False)
class AgentInfo:
    """`[Agent]`."""

    Debug: bool
    Trace: bool


@record(repr=False, eq=False)
class EnvInfo:
    """The whole report, in upstream's section order."""

    Kernel: KernelInfo
    Meta: MetaInfo
    Image: PathInfo
    Initrd: PathInfo
    Hypervisor: HypervisorInfo
    Runtime: RuntimeInfo
    Host: HostInfo
    Agent: AgentInfo
    # diagnostics for stderr; not part of the serialised report
    warnings: list[str] = field(default_factory=list, metadata={"serialise": False})
