"""Upstream's defaults and silent adjustments (config-schema 3.2-3.8 and 7).

The Go runtime clamps or resets many values without a word; runtime-rs has its own
defaults. The effective value is what the runtime would use; every change is recorded
as an `Adjustment` so `config show` and the linter can say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kata_cli import probe
from kata_cli.config.model import Adjustment, Config
from kata_cli.host import Host

ARCH_MAX_VCPUS = {"amd64": 240, "s390x": 248, "ppc64le": 128, "riscv64": 512, "arm64": 123}

# [hypervisor] key: (what 0 becomes, the largest value taken, what it counts), in the
# order each runtime applies them; None: no such rule
GO_LIMITS: dict[str, tuple[int | None, int | None, str]] = {
    "memory_slots": (10, None, ""),
    "default_bridges": (1, 5, " bridges"),
    "msize_9p": (8192, None, ""),
    "pcie_root_port": (None, 16, " ports"),
    "pcie_switch_port": (None, 16, " ports"),
    "hypervisor_loglevel": (1, 3, ""),
}
RS_LIMITS: dict[str, tuple[int | None, int | None, str]] = {
    "default_bridges": (None, 5, " bridges"),
    "network_queues": (1, 256, ""),
    "queue_size": (128, None, ""),
    "num_queues": (1, None, ""),
}


def apply_effective(config: Config, host: Host, hv_table: Mapping[str, Any]) -> None:
    """Turn configured values into effective ones, recording every change."""
    host_cpus = probe.cpu_count(host)
    host_mem = probe.mem_total_mib(host)
    if config.flavour == "rs":
        _rs_defaults(config, hv_table)
        _rs_clamps(config, host_cpus, host_mem)
    else:
        _go_clamps(config, host_cpus, host_mem, hv_table)


def _set(config: Config, table: str, obj: Any, key: str, value: Any, reason: str) -> None:
    old = getattr(obj, key)
    if old == value:
        return
    setattr(obj, key, value)
    config.adjustments.append(Adjustment(table, key, old, value, reason))


def _limits(config: Config, limits: Mapping[str, tuple[int | None, int | None, str]]) -> None:
    hv = config.hypervisor
    for key, (zero, largest, unit) in limits.items():
        value = getattr(hv, key)
        if zero is not None and value == 0:
            _set(config, "hypervisor", hv, key, zero, f"0 means {zero}")
        elif largest is not None and value > largest:
            _set(config, "hypervisor", hv, key, largest, f"at most {largest}{unit}")


def _go_clamps(config: Config, host_cpus: int, host_mem: int, hv_table: Mapping[str, Any]) -> None:
    hv = config.hypervisor
    kind = config.hypervisor_type
    t = "hypervisor"
    max_cpus = min(host_cpus, ARCH_MAX_VCPUS.get(probe.go_arch(), 240))
    if hv.default_vcpus == 0:
        _set(config, t, hv, "default_vcpus", 1.0, "0 means 1 vCPU")
    elif hv.default_vcpus < 0 or hv.default_vcpus > max_cpus:
        _set(config, t, hv, "default_vcpus", float(max_cpus), f"limited to {max_cpus} host CPUs")
    if hv.default_maxvcpus == 0 or hv.default_maxvcpus >= host_cpus:
        _set(config, t, hv, "default_maxvcpus", host_cpus, "0 or more than the host has: host CPUs")
    arch_max = ARCH_MAX_VCPUS.get(probe.go_arch(), 240)
    if hv.default_maxvcpus > arch_max:
        _set(config, t, hv, "default_maxvcpus", arch_max, f"architecture maximum {arch_max}")
    if hv.default_memory < 256:
        _set(config, t, hv, "default_memory", 2048, "less than 256 MiB is reset to 2048")
    if host_mem and (hv.default_maxmemory == 0 or hv.default_maxmemory > host_mem):
        _set(config, t, hv, "default_maxmemory", host_mem, "0 or more than host RAM: host RAM")
    _limits(config, GO_LIMITS)
    if kind == "clh" and "virtio_fs_cache" not in hv_table:
        hv.virtio_fs_cache = ""
    if kind in ("clh", "firecracker", "stratovirt") and not hv.disable_vhost_net:
        _set(config, t, hv, "disable_vhost_net", True, f"{kind} always disables vhost-net")
    if kind == "firecracker" and hv.disable_block_device_use:
        _set(config, t, hv, "disable_block_device_use", False, "firecracker needs block devices")
    if hv.machine_type == "microvm" and not hv.disable_image_nvdimm:
        _set(config, t, hv, "disable_image_nvdimm", True, "microvm has no NVDIMM")
    if kind in ("firecracker", "remote") and not hv.disable_guest_selinux:
        _set(config, t, hv, "disable_guest_selinux", True, f"{kind} forces guest SELinux off")
    if kind == "remote" and hv.shared_fs != "none":
        _set(config, t, hv, "shared_fs", "none", "remote has no shared file system")


def _rs_defaults(config: Config, hv_table: Mapping[str, Any]) -> None:
    hv = config.hypervisor
    kind = config.hypervisor_type
    if "disable_guest_selinux" not in hv_table:
        hv.disable_guest_selinux = True
    if "tdx_quote_generation_service_socket_port" not in hv_table:
        hv.tdx_quote_generation_service_socket_port = 4050
    if "vhost_user_store_path" not in hv_table:
        hv.vhost_user_store_path = "/var/run/vhost-user"
    if "shared_fs" not in hv_table:
        hv.shared_fs = "none"
    if "block_device_driver" not in hv_table:
        hv.block_device_driver = "virtio-blk-pci"
    if kind in ("qemu", "clh"):
        if "default_memory" not in hv_table:
            hv.default_memory = 128
        if "memory_slots" not in hv_table:
            hv.memory_slots = 128
    if kind == "clh" and "default_bridges" not in hv_table:
        hv.default_bridges = 2
    if "hypervisor_socket" not in hv_table and "remote_hypervisor_socket" in hv_table:
        hv.hypervisor_socket = str(hv_table["remote_hypervisor_socket"])
    if "path" not in hv_table and kind in ("dragonball", "remote"):
        hv.path = ""
    if "virtio_fs_cache" not in hv_table:
        hv.virtio_fs_cache = "never"


def _rs_clamps(config: Config, host_cpus: int, host_mem: int) -> None:
    hv = config.hypervisor
    t = "hypervisor"
    if hv.default_maxvcpus == 0 or hv.default_maxvcpus > host_cpus:
        _set(config, t, hv, "default_maxvcpus", host_cpus, "0 or more than the host has: host CPUs")
    if hv.default_vcpus < 1:
        _set(config, t, hv, "default_vcpus", 1.0, "at least 1 vCPU")
    limit = min(host_cpus, hv.default_maxvcpus)
    if hv.default_vcpus > limit:
        _set(config, t, hv, "default_vcpus", float(limit), f"limited to {limit} vCPUs")
    if host_mem and hv.default_memory > host_mem:
        _set(config, t, hv, "default_memory", host_mem, "more than host RAM: host RAM")
    if host_mem and (hv.default_maxmemory == 0 or hv.default_maxmemory > host_mem):
        _set(config, t, hv, "default_maxmemory", host_mem, "0 or more than host RAM: host RAM")
    _limits(config, RS_LIMITS)
    if hv.virtio_fs_cache == "none":
        _set(config, t, hv, "virtio_fs_cache", "never", "`none` is the old name of `never`")
    if config.hypervisor_type == "openvmm" and hv.memory_slots == 0:
        _set(config, t, hv, "memory_slots", 128, "0 means 128")
