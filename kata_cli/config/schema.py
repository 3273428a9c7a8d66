"""The configuration key catalogue: one dataclass per table, one field per key.

Each field's default is what the Go runtime uses when the key is absent
(config-schema.md sections 3-5); its metadata says the TOML kind, which hypervisor
types read it (letters: Q qemu, C clh, F firecracker, S stratovirt, D dragonball,
R remote, O openvmm), which runtime flavour knows it (`go`, `rs`, `both`) and the
allowed values of an enumeration. The loader fills these dataclasses with effective
values; the linter reads the same metadata, so there is one source of truth.
"""

from __future__ import annotations

from typing import Any

from kata_cli.record import MISSING, field, fields, record

ALL = "QCFSDO"

# TOML kinds
STRING = "string"
BOOL = "bool"
UINT32 = "uint32"
UINT64 = "uint64"
INT64 = "int64"
FLOAT = "float"
STRINGS = "strings"
TABLES = "tables"

INT_RANGES: dict[str, tuple[int, int]] = {
    UINT32: (0, 2**32 - 1),
    UINT64: (0, 2**64 - 1),
    INT64: (-(2**63), 2**63 - 1),
}

GO_HYPERVISORS = ("qemu", "clh", "firecracker", "dragonball", "stratovirt", "remote")
RS_HYPERVISORS = ("qemu", "clh", "dragonball", "firecracker", "remote", "openvmm")
TYPE_LETTER = {
    "qemu": "Q",
    "clh": "C",
    "firecracker": "F",
    "stratovirt": "S",
    "dragonball": "D",
    "remote": "R",
    "openvmm": "O",
}


def key(
    kind: str,
    default: Any,
    used: str = ALL,
    flavour: str = "both",
    values: tuple[str, ...] = (),
    rs_values: tuple[str, ...] | None = None,
    doc: str = "",
) -> Any:
    """A catalogue entry: a dataclass field carrying the key's metadata."""
    meta = {
        "kind": kind,
        "used_by": used,
        "flavour": flavour,
        "values": values,
        "rs_values": values if rs_values is None else rs_values,
        "doc": doc,
    }
    if isinstance(default, list):
        items: list[Any] = default
        return field(default_factory=lambda: list(items), metadata=meta)
    return field(default=default, metadata=meta)


GO_BLOCK_DRIVERS = ("virtio-scsi", "virtio-blk", "virtio-mmio", "nvdimm", "virtio-blk-ccw")
RS_BLOCK_DRIVERS = (
    "virtio-blk-pci",
    "virtio-blk-mmio",
    "virtio-blk-ccw",
    "virtio-scsi",
    "virtio-pmem",
    "nvdimm",
)
VFIO_PORTS = ("no-port", "bridge-port", "root-port", "switch-port")


@record(repr=False, eq=False)  # generated methods cost import time
class HypervisorConfig:
    """`[hypervisor.<type>]`."""

    # 3.1 binaries, boot assets, machine
    path: str = key(STRING, "/usr/bin/qemu-system-x86_64", "QCFSO")
    jailer_path: str = key(STRING, "", "F")
    ctlpath: str = key(STRING, "", "CDO", flavour="rs")
    kernel: str = key(STRING, "/usr/share/kata-containers/vmlinuz.container", ALL)
    image: str = key(STRING, "", ALL)
    initrd: str = key(STRING, "", "QCFSO")
    rootfs_type: str = key(STRING, "ext4", ALL, values=("ext4", "xfs", "erofs"))
    firmware: str = key(STRING, "", "QCFO")
    firmware_volume: str = key(STRING, "", "Q", flavour="go")
    pflashes: list[str] = key(STRINGS, [], "Q")
    machine_type: str = key(STRING, "q35", "QCSR")
    machine_accelerators: str = key(STRING, "", "QC")
    cpu_features: str = key(STRING, "", "Q")
    kernel_params: str = key(STRING, "", ALL)
    kernel_verity_params: str = key(STRING, "", ALL)
    guest_extension_images: list[dict[str, Any]] = key(TABLES, [], "Q")
    guest_hook_path: str = key(STRING, "", "QCFSR")
    # 3.2 sizing
    default_vcpus: float = key(FLOAT, 1.0, ALL)
    default_maxvcpus: int = key(UINT32, 0, ALL)
    default_memory: int = key(UINT32, 2048, ALL)
    default_maxmemory: int = key(UINT64, 0, "QCFSO")
    memory_slots: int = key(UINT32, 10, ALL)
    memory_offset: int = key(UINT64, 0, "QCS")
    default_bridges: int = key(UINT32, 1, "QCFS")
    enable_virtio_mem: bool = key(BOOL, False, "QC")
    enable_mem_prealloc: bool = key(BOOL, False, "QCD")
    enable_hugepages: bool = key(BOOL, False, "QCFSD")
    hugepage_type: str = key(STRING, "hugetlbfs", "QCD", flavour="rs", values=("hugetlbfs", "thp"))
    reclaim_guest_freed_memory: bool = key(BOOL, False, "QC")
    enable_guest_swap: bool = key(BOOL, False, "QD")
    guest_swap_path: str = key(STRING, "", "D", flavour="rs")
    guest_swap_size_percent: int = key(UINT64, 0, "D", flavour="rs")
    guest_swap_create_threshold_secs: int = key(UINT64, 0, "D", flavour="rs")
    enable_numa: bool = key(BOOL, False, "Q", flavour="go")
    numa_mapping: list[str] = key(STRINGS, [], "Q", flavour="go")
    overhead_vcpus: float = key(FLOAT, 0.0, ALL, flavour="rs")
    overhead_memory: int = key(UINT32, 0, ALL, flavour="rs")
    # 3.3 block devices
    block_device_driver: str = key(
        STRING, "virtio-scsi", "QCFSDO", values=GO_BLOCK_DRIVERS, rs_values=RS_BLOCK_DRIVERS
    )
    vm_rootfs_driver: str = key(
        STRING,
        "",
        ALL,
        flavour="rs",
        values=(
            "virtio-blk-pci",
            "virtio-blk-ccw",
            "virtio-blk-mmio",
            "virtio-pmem",
            "virtio-scsi",
        ),
    )
    block_device_aio: str = key(STRING, "io_uring", "Q", values=("io_uring", "native", "threads"))
    block_device_cache_set: bool = key(BOOL, False, "QC")
    block_device_cache_direct: bool = key(BOOL, False, "QC")
    block_device_cache_noflush: bool = key(BOOL, False, "Q")
    block_device_logical_sector_size: int = key(UINT32, 0, "QS")
    block_device_physical_sector_size: int = key(UINT32, 0, "QS")
    disable_block_device_use: bool = key(BOOL, False, "QCSD")
    disable_image_nvdimm: bool = key(BOOL, False, "QC")
    enable_iothreads: bool = key(BOOL, False, "QCF")
    indep_iothreads: int = key(UINT32, 0, "QCF")
    enable_vhost_user_store: bool = key(BOOL, False, "Q")
    vhost_user_store_path: str = key(STRING, "/var/run/kata-containers/vhost-user/", "Q")
    vhost_user_reconnect_timeout_sec: int = key(UINT32, 0, "Q", flavour="go")
    disk_rate_limiter_bw_max_rate: int = key(INT64, 0, "C")
    disk_rate_limiter_bw_one_time_burst: int = key(INT64, 0, "C")
    disk_rate_limiter_ops_max_rate: int = key(INT64, 0, "C")
    disk_rate_limiter_ops_one_time_burst: int = key(INT64, 0, "C")
    # 3.4 shared file system
    shared_fs: str = key(
        STRING,
        "virtio-fs",
        "QCSD",
        values=("virtio-9p", "virtio-fs", "virtio-fs-nydus", "none"),
        rs_values=("none", "virtio-fs", "inline-virtio-fs", "virtio-fs-nydus"),
    )
    virtio_fs_daemon: str = key(STRING, "", "QCS")
    virtio_fs_cache: str = key(
        STRING,
        "never",
        "QCSD",
        values=("never", "metadata", "auto", "always"),
        rs_values=("never", "auto", "always", "none"),
    )
    virtio_fs_cache_size: int = key(UINT32, 0, "QCSD")
    virtio_fs_queue_size: int = key(UINT32, 0, "Q")
    virtio_fs_extra_args: list[str] = key(STRINGS, [], "QCSD")
    virtio_fs_is_dax: bool = key(BOOL, False, "QCD", flavour="rs")
    msize_9p: int = key(UINT32, 8192, "QC", flavour="go")
    # 3.5 devices, VFIO, network
    hot_plug_vfio: str = key(STRING, "no-port", "QC", flavour="go", values=VFIO_PORTS)
    cold_plug_vfio: str = key(STRING, "no-port", "QC", values=VFIO_PORTS)
    pcie_root_port: int = key(UINT32, 0, "QC")
    pcie_switch_port: int = key(UINT32, 0, "QC")
    enable_iommu: bool = key(BOOL, False, "Q")
    enable_iommu_platform: bool = key(BOOL, False, "Q")
    disable_vhost_net: bool = key(BOOL, False, "Q")
    rx_rate_limiter_max_rate: int = key(UINT64, 0, "QF")
    tx_rate_limiter_max_rate: int = key(UINT64, 0, "QF")
    net_rate_limiter_bw_max_rate: int = key(INT64, 0, "C")
    net_rate_limiter_bw_one_time_burst: int = key(INT64, 0, "C")
    net_rate_limiter_ops_max_rate: int = key(INT64, 0, "C")
    net_rate_limiter_ops_one_time_burst: int = key(INT64, 0, "C")
    network_queues: int = key(UINT32, 1, ALL, flavour="rs")
    queue_size: int = key(UINT32, 128, ALL, flavour="rs")
    num_queues: int = key(UINT32, 1, ALL, flavour="rs")
    entropy_source: str = key(STRING, "/dev/urandom", ALL)
    default_gpus: int = key(UINT32, 0, "R", flavour="rs")
    default_gpu_model: str = key(STRING, "", "R", flavour="rs")
    # 3.6 security / confidential computing
    confidential_guest: bool = key(BOOL, False, "QC")
    sev_snp_guest: bool = key(BOOL, False, "Q")
    snp_id_block: str = key(STRING, "", "Q")
    snp_id_auth: str = key(STRING, "", "Q")
    snp_guest_policy: int = key(UINT64, 0x30000, "Q")
    tdx_quote_generation_service_socket_port: int = key(UINT32, 0, "Q")
    measurement_algo: str = key(STRING, "sha512", "QC", flavour="go")
    initdata: str = key(STRING, "", "QC", flavour="rs")
    rootless: bool = key(BOOL, False, "QC")
    disable_seccomp: bool = key(BOOL, False, "CSD")
    seccompsandbox: str = key(STRING, "", "Q", flavour="go")
    seccomp_sandbox: str = key(STRING, "", "Q", flavour="rs")
    disable_selinux: bool = key(BOOL, False, "QCFS")
    selinux_label: str = key(STRING, "", ALL, flavour="rs")
    disable_guest_selinux: bool = key(BOOL, False, "QCS")
    disable_nested_virtualization: bool = key(BOOL, False, ALL, flavour="rs")
    enable_annotations: list[str] = key(STRINGS, [], ALL + "R")
    valid_hypervisor_paths: list[str] = key(STRINGS, [], "QCFSO")
    valid_jailer_paths: list[str] = key(STRINGS, [], "F")
    valid_ctlpaths: list[str] = key(STRINGS, [], "CDO", flavour="rs")
    valid_virtio_fs_daemon_paths: list[str] = key(STRINGS, [], "QCS")
    valid_vhost_user_store_paths: list[str] = key(STRINGS, [], "Q")
    valid_entropy_sources: list[str] = key(STRINGS, [], "QCF")
    # 3.7 debug
    enable_debug: bool = key(BOOL, False, ALL)
    hypervisor_loglevel: int = key(UINT32, 1, "QCS", flavour="go")
    log_level: str = key(STRING, "", ALL, flavour="rs")
    extra_monitor_socket: str = key(STRING, "", "Q", values=("", "hmp", "qmp", "qmp-pretty"))
    dbg_monitor_socket: str = key(STRING, "", "Q", flavour="rs")
    disable_nesting_checks: bool = key(BOOL, False, "QCFS")
    guest_memory_dump_path: str = key(STRING, "", "Q")
    guest_memory_dump_paging: bool = key(BOOL, False, "Q")
    use_legacy_serial: bool = key(BOOL, False, "Q", flavour="go")
    # 3.8 remote
    remote_hypervisor_socket: str = key(STRING, "/run/peerpod/hypervisor.sock", "R", flavour="go")
    remote_hypervisor_timeout: int = key(UINT32, 600, "R", flavour="go")
    hypervisor_socket: str = key(STRING, "/run/peerpod/hypervisor.sock", "R", flavour="rs")
    hypervisor_timeout: int = key(UINT32, 600, "R", flavour="rs")
    # runtime-rs template / snapshot keys
    boot_to_be_template: bool = key(BOOL, False, ALL, flavour="rs")
    boot_from_template: bool = key(BOOL, False, ALL, flavour="rs")
    memory_path: str = key(STRING, "", ALL, flavour="rs")
    device_state_path: str = key(STRING, "", ALL, flavour="rs")
    prefetch_list_path: str = key(STRING, "", ALL, flavour="rs")


@record(repr=False, eq=False)  # generated methods cost import time
class AgentConfig:
    """`[agent.<name>]` (Go keys and runtime-rs keys side by side)."""

    enable_debug: bool = key(BOOL, False)
    enable_tracing: bool = key(BOOL, False)
    debug_console_enabled: bool = key(BOOL, False)
    kernel_modules: list[str] = key(STRINGS, [])
    dial_timeout: int = key(UINT32, 0, flavour="go")
    cdh_api_timeout: int = key(UINT32, 0, flavour="go")
    launch_process_timeout: int = key(UINT32, 0)
    visible_cdi_devices: bool = key(BOOL, False)
    container_pipe_size: int = key(UINT32, 0)
    # runtime-rs only
    log_level: str = key(STRING, "info", flavour="rs")
    server_port: int = key(UINT32, 1024, flavour="rs")
    log_port: int = key(UINT32, 1025, flavour="rs")
    passfd_listener_port: int = key(UINT32, 1027, flavour="rs")
    dial_timeout_ms: int = key(UINT32, 10, flavour="rs")
    reconnect_timeout_ms: int = key(UINT32, 3000, flavour="rs")
    cdh_api_timeout_ms: int = key(UINT32, 50000, flavour="rs")
    create_container_timeout: int = key(UINT32, 30, flavour="rs")
    health_check_request_timeout_ms: int = key(UINT32, 90000, flavour="rs")
    policy: str = key(STRING, "", flavour="rs")


@record(repr=False, eq=False)  # generated methods cost import time
class RuntimeConfig:
    """`[runtime]`."""

    enable_debug: bool = key(BOOL, False)
    enable_tracing: bool = key(BOOL, False)
    jaeger_endpoint: str = key(STRING, "")
    jaeger_user: str = key(STRING, "")
    jaeger_password: str = key(STRING, "")
    internetworking_model: str = key(
        STRING,
        "default",
        values=("default", "macvtap", "tcfilter", "none"),
        rs_values=("", "macvtap", "tcfilter", "none", "l3forwarding"),
    )
    disable_new_netns: bool = key(BOOL, False)
    vfio_mode: str = key(
        STRING, "vfio", values=("vfio", "guest-kernel"), rs_values=("", "vfio", "guest-kernel")
    )
    disable_guest_seccomp: bool = key(BOOL, False)
    enable_vcpus_pinning: bool = key(BOOL, False)
    guest_selinux_label: str = key(STRING, "", flavour="go")
    sandbox_cgroup_only: bool = key(BOOL, False)
    static_sandbox_resource_mgmt: bool = key(BOOL, False)
    sandbox_bind_mounts: list[str] = key(STRINGS, [])
    experimental: list[str] = key(STRINGS, [])
    enable_pprof: bool = key(BOOL, False)
    disable_guest_empty_dir: bool = key(BOOL, False, flavour="go")
    emptydir_mode: str = key(
        STRING, "shared-fs", values=("shared-fs", "block-encrypted", "block-plain")
    )
    create_container_timeout: int = key(UINT64, 0, flavour="go")
    dan_conf: str = key(STRING, "")
    experimental_force_guest_pull: bool = key(BOOL, False, flavour="go")
    kubelet_root_dir: str = key(STRING, "", flavour="go")
    pod_resource_api_sock: str = key(STRING, "")
    # runtime-rs only
    name: str = key(STRING, "virt_container", flavour="rs")
    hypervisor_name: str = key(STRING, "", flavour="rs")
    agent_name: str = key(STRING, "", flavour="rs")
    log_level: str = key(STRING, "info", flavour="rs")
    keep_abnormal: bool = key(BOOL, False, flavour="rs")
    shared_mounts: list[dict[str, Any]] = key(TABLES, [], flavour="rs")
    use_passfd_io: bool = key(BOOL, False, flavour="rs")
    passfd_listener_port: int = key(UINT32, 1027, flavour="rs")


@record(repr=False, eq=False)  # generated methods cost import time
class FactoryConfig:
    """`[factory]` (Go) or `[hypervisor.<name>.factory]` (runtime-rs)."""

    enable_template: bool = key(BOOL, False)
    template_path: str = key(STRING, "/run/vc/vm/template")
    vm_cache_number: int = key(UINT32, 0, flavour="go")
    vm_cache_endpoint: str = key(STRING, "/var/run/kata-containers/cache.sock", flavour="go")


@record(repr=False, eq=False)  # generated methods cost import time
class RootlessUserConfig:
    """`[hypervisor.<name>.rootless_user]` (runtime-rs, deny unknown keys)."""

    uid: int = key(UINT32, 0, flavour="rs")
    gid: int = key(UINT32, 0, flavour="rs")
    groups: list[int] = key("ints", [], flavour="rs")
    user_name: str = key(STRING, "", flavour="rs")


MEM_AGENT_KEYS: dict[str, str] = {
    "mem_agent_enable": BOOL,
    "enable": BOOL,
    "memcg_disable": BOOL,
    "memcg_swap": BOOL,
    "memcg_swappiness_max": UINT32,
    "memcg_period_secs": UINT64,
    "memcg_period_psi_percent_limit": UINT32,
    "memcg_eviction_psi_percent_limit": UINT32,
    "memcg_eviction_run_aging_count_min": UINT64,
    "compact_disable": BOOL,
    "compact_period_secs": UINT64,
    "compact_period_psi_percent_limit": UINT32,
    "compact_psi_percent_limit": UINT32,
    "compact_sec_max": INT64,
    "compact_order": UINT32,
    "compact_threshold": UINT64,
    "compact_force_times": UINT64,
}

GUEST_EXTENSION_IMAGE_KEYS: dict[str, str] = {
    "name": STRING,
    "path": STRING,
    "verity_params": STRING,
}

SHARED_MOUNT_KEYS: dict[str, str] = {
    "name": STRING,
    "src_ctr": STRING,
    "src_path": STRING,
    "dst_ctr": STRING,
    "dst_path": STRING,
}


@record(frozen=True)
class KeySpec:
    """One key of the catalogue, flattened for the linter and for type checks."""

    name: str
    kind: str
    default: Any
    used_by: str
    flavour: str
    values: tuple[str, ...]
    rs_values: tuple[str, ...]
    doc: str

    def known_in(self, flavour: str) -> bool:
        return self.flavour in ("both", flavour)

    def used_by_type(self, hypervisor_type: str) -> bool:
        return TYPE_LETTER.get(hypervisor_type, "?") in self.used_by

    def allowed_values(self, flavour: str) -> tuple[str, ...]:
        return self.rs_values if flavour == "rs" else self.values


def key_specs(table: type) -> dict[str, KeySpec]:
    """The catalogue of one table class, by TOML key name."""
    specs: dict[str, KeySpec] = {}
    for item in fields(table):
        meta = item.metadata
        if item.default is not MISSING:
            default: Any = item.default
        elif item.default_factory is not MISSING:
            default = item.default_factory()
        else:  # pragma: no cover - every field has a default
            default = None
        specs[item.name] = KeySpec(
            name=item.name,
            kind=meta.get("kind", STRING),
            default=default,
            used_by=meta.get("used_by", ALL),
            flavour=meta.get("flavour", "both"),
            values=tuple(meta.get("values", ())),
            rs_values=tuple(meta.get("rs_values", ())),
            doc=meta.get("doc", ""),
        )
    return specs


HYPERVISOR_KEYS = key_specs(HypervisorConfig)
AGENT_KEYS = key_specs(AgentConfig)
RUNTIME_KEYS = key_specs(RuntimeConfig)
FACTORY_KEYS = key_specs(FactoryConfig)
ROOTLESS_USER_KEYS = key_specs(RootlessUserConfig)
