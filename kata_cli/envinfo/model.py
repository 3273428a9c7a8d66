"""The `env` report (format 1.0.27): Go field names, Go declaration order.

Field names are the Go struct field names verbatim; they are what scripts parse in
both the TOML and the JSON output. `None` for a list means a nil slice: omitted in
TOML, `null` in JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FORMAT_VERSION = "1.0.27"
UNKNOWN = "<<unknown>>"


@dataclass
class KernelInfo:
    Path: str
    Parameters: str


@dataclass
class MetaInfo:
    Version: str = FORMAT_VERSION


@dataclass
class PathInfo:
    Path: str


@dataclass
class SecurityInfo:
    Rootless: bool
    DisableSeccomp: bool
    GuestHookPath: str
    EnableAnnotations: list[str] | None
    ConfidentialGuest: bool


@dataclass
class HypervisorInfo:
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


@dataclass
class ConfigInfo:
    Path: str


@dataclass
class ExperimentalFeature:
    Name: str
    Description: str
    ExpRelease: str


@dataclass
class VersionNumbers:
    Semver: str
    Commit: str
    Major: int
    Minor: int
    Patch: int


@dataclass
class RuntimeVersionInfo:
    OCI: str
    Version: VersionNumbers


@dataclass
class RuntimeInfo:
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


@dataclass
class DistroInfo:
    Name: str
    Version: str


@dataclass
class CPUInfo:
    Vendor: str
    Model: str
    CPUs: int


@dataclass
class MemoryInfo:
    Total: int
    Free: int
    Available: int


@dataclass
class HostInfo:
    AvailableGuestProtections: list[str] | None
    Kernel: str
    Architecture: str
    Distro: DistroInfo
    CPU: CPUInfo
    Memory: MemoryInfo
    VMContainerCapable: bool
    SupportVSocks: bool


@dataclass
class AgentInfo:
    Debug: bool
    Trace: bool


@dataclass
class EnvInfo:
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
