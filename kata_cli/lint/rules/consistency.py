"""Keys that are each valid but do not work together (KATA4xx)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kata_cli.lint.context import LintContext
from kata_cli.lint.model import ERROR, WARNING, Hit, rule

VERITY_KEYS = ("root_hash", "salt", "data_blocks", "data_block_size", "hash_block_size")
_EXTENSION_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_CPUSET = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")


def _is_secure_execution(ctx: LintContext) -> bool:
    """IBM Secure Execution: a confidential s390x guest boots without image and initrd."""
    if ctx.arch != "s390x" or ctx.hv_value("confidential_guest") is not True:
        return False
    if ctx.flavour == "rs":
        driver = ctx.hv_value("vm_rootfs_driver")
        return isinstance(driver, str) and driver.endswith("-ccw")
    return ctx.hv_value("machine_type") == "s390-ccw-virtio"


@rule(
    "KATA401",
    "image-xor-initrd",
    ERROR,
    "{detail}",
    "A guest boots from exactly one root file system: an image or an initrd. Both, or "
    "neither (outside IBM Secure Execution on s390x), fails when the VM is created, "
    "long after the file was accepted.",
    "set exactly one of image and initrd",
)
def image_xor_initrd(ctx: LintContext) -> Iterator[Hit]:
    if ctx.hv_name is None:
        return
    kind = ctx.hv_type
    image, initrd = ctx.hv_value("image"), ctx.hv_value("initrd")
    has_image = isinstance(image, str) and image != ""
    has_initrd = isinstance(initrd, str) and initrd != ""
    if kind == "remote":
        if has_initrd and ctx.flavour == "rs":
            yield ctx.hit(ctx.hv_key("initrd"), detail="the remote hypervisor boots no initrd")
        return
    if has_image and has_initrd:
        yield ctx.hit(ctx.hv_key("initrd"), detail="image and initrd are both set")
        return
    needs_one = ("qemu", "clh", "firecracker", "stratovirt")
    if has_image or has_initrd or kind not in needs_one:
        return
    if _is_secure_execution(ctx):
        return
    detail = f"neither image nor initrd is set ({kind} on {ctx.arch} needs one)"
    yield ctx.hit(ctx.hv_path, detail=detail)


@rule(
    "KATA402",
    "virtio-fs-without-daemon",
    ERROR,
    'shared_fs = "{value}" needs virtio_fs_daemon',
    "virtio-fs shares files through the virtiofsd daemon; without its path the runtime "
    "refuses to start ('cannot enable virtio-fs without daemon path').",
    "set virtio_fs_daemon (e.g. /opt/kata/libexec/virtiofsd) or choose another shared_fs",
)
def virtio_fs_without_daemon(ctx: LintContext) -> Iterator[Hit]:
    if ctx.hv_name is None:
        return
    kinds = ("qemu", "clh", "stratovirt") if ctx.flavour == "go" else ("qemu", "clh")
    if ctx.hv_type not in kinds:
        return
    value = ctx.hv_value("shared_fs") if ctx.flavour == "go" else ctx.value(ctx.hv, "shared_fs")
    daemon = ctx.hv_value("virtio_fs_daemon")
    if value in ("virtio-fs", "virtio-fs-nydus") and not daemon:
        yield ctx.hit(ctx.hv_key("shared_fs"), value=value)


@rule(
    "KATA403",
    "netns-without-none",
    ERROR,
    'disable_new_netns = true needs internetworking_model = "none" (it is "{model}")',
    "Without a network namespace of its own the runtime cannot plumb the pod network; "
    "it refuses disable_new_netns unless networking is off.",
    'set internetworking_model = "none" or disable_new_netns = false',
)
def netns_without_none(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour == "rs" and ctx.hv_type == "remote":
        return  # runtime-rs forces both for the remote hypervisor
    found = ctx.get(ctx.runtime, "disable_new_netns")
    if found is None or found[1] is not True:
        return
    model = ctx.value(ctx.runtime, "internetworking_model", "default")
    if model != "none":
        yield ctx.hit((*ctx.top_path("runtime"), found[0]), model=model)


@rule(
    "KATA404",
    "vm-cache-not-qemu",
    ERROR,
    "vm_cache_number = {value} but the VM cache only works with qemu (not {hypervisor})",
    "The Go runtime's VM cache factory only supports qemu and refuses other "
    "hypervisors ('VM cache just support qemu').",
    "set vm_cache_number = 0 or use qemu",
)
def vm_cache_not_qemu(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "go" or ctx.hv_type == "qemu":
        return
    path, table = ctx.factory()
    found = ctx.get(table, "vm_cache_number")
    if found is not None and isinstance(found[1], int) and found[1] > 0:
        yield ctx.hit((*path, found[0]), value=found[1], hypervisor=ctx.hv_type)


def _power_of_two_sector(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        return True  # a type problem, reported by KATA101
    return value == 0 or (512 <= value <= 65536 and value & (value - 1) == 0)


@rule(
    "KATA405",
    "sector-size",
    ERROR,
    "{detail}",
    "Block device sector sizes must be 0 (VMM default) or a power of two between 512 "
    "and 65536, and the logical size cannot exceed the physical one.",
    "use 512, 4096, ... and keep logical <= physical",
)
def sector_size(ctx: LintContext) -> Iterator[Hit]:
    logical = ctx.hv_value("block_device_logical_sector_size")
    physical = ctx.hv_value("block_device_physical_sector_size")
    for name, value in (
        ("block_device_logical_sector_size", logical),
        ("block_device_physical_sector_size", physical),
    ):
        if not _power_of_two_sector(value):
            detail = f"{name} = {value} is not 0 or a power of two in 512..65536"
            yield ctx.hit(ctx.hv_key(name), detail=detail)
    if (
        isinstance(logical, int)
        and isinstance(physical, int)
        and logical
        and physical
        and logical > physical
    ):
        detail = f"logical sector size {logical} is larger than physical sector size {physical}"
        yield ctx.hit(ctx.hv_key("block_device_logical_sector_size"), detail=detail)


@rule(
    "KATA406",
    "pcie-root-and-switch-ports",
    ERROR,
    "pcie_root_port = {root} and pcie_switch_port = {switch} cannot both be set",
    "runtime-rs attaches hot-plugged devices either to root ports or to switch ports, "
    "and refuses a configuration that asks for both.",
    "set one of pcie_root_port and pcie_switch_port to 0",
)
def pcie_root_and_switch_ports(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "rs":
        return
    root, switch = ctx.hv_value("pcie_root_port"), ctx.hv_value("pcie_switch_port")
    if isinstance(root, int) and isinstance(switch, int) and root > 0 and switch > 0:
        yield ctx.hit(ctx.hv_key("pcie_switch_port"), root=root, switch=switch)


def _numa_nodes(ctx: LintContext) -> int:
    mapping = ctx.hv_value("numa_mapping")
    if isinstance(mapping, list) and mapping:
        return len(mapping)
    if ctx.host is None:
        return 1
    return max(1, len(ctx.host.glob("/sys/devices/system/node/node[0-9]*")))


@rule(
    "KATA407",
    "numa-needs-static-resources",
    ERROR,
    "{detail}",
    "A guest with more than one NUMA node needs static sandbox sizing and an amd64 or "
    "arm64 host; otherwise the Go runtime refuses to load.",
    "set [runtime] static_sandbox_resource_mgmt = true, or disable enable_numa",
)
def numa_needs_static_resources(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "go" or ctx.hv_value("enable_numa") is not True:
        return
    nodes = _numa_nodes(ctx)
    if nodes <= 1:
        return
    if ctx.arch not in ("amd64", "arm64"):
        detail = f"{nodes} guest NUMA nodes are only supported on amd64 and arm64, not {ctx.arch}"
        yield ctx.hit(ctx.hv_key("enable_numa"), detail=detail)
    elif ctx.value(ctx.runtime, "static_sandbox_resource_mgmt") is not True:
        detail = f"{nodes} guest NUMA nodes need [runtime] static_sandbox_resource_mgmt = true"
        yield ctx.hit(ctx.hv_key("enable_numa"), detail=detail)


@rule(
    "KATA408",
    "numa-mapping",
    WARNING,
    'numa_mapping entry "{entry}" is not a list of host NUMA nodes; NUMA is silently disabled',
    "An unparsable numa_mapping entry only logs a warning and turns guest NUMA off.",
    'write each entry as host node ids, e.g. "0" or "0-1"',
)
def numa_mapping(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "go":
        return
    mapping = ctx.hv_value("numa_mapping")
    if not isinstance(mapping, list):
        return
    for entry in mapping:
        if not isinstance(entry, str) or not _CPUSET.match(entry.strip()):
            yield ctx.value_hit(ctx.hv_key("numa_mapping"), f'"{entry}"', entry=entry)


def verity_problem(text: str) -> str | None:
    """Why a `root_hash=...,salt=...,...` string is malformed (None when fine)."""
    fields: dict[str, str] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep or not value:
            return f'"{part}" is not key=value'
        if name not in VERITY_KEYS:
            return f'unknown verity parameter "{name}"'
        fields[name] = value
    missing = [k for k in VERITY_KEYS if k not in fields]
    if missing:
        return f"missing {', '.join(missing)}"
    for name in ("data_blocks", "data_block_size", "hash_block_size"):
        value = fields[name]
        if not (value.isascii() and value.isdigit()) or len(value) > 20 or int(value) == 0:
            return f"{name} must be a positive integer"
        if name.endswith("block_size") and int(value) % 512:
            return f"{name} must be a multiple of 512"
    return None


@rule(
    "KATA409",
    "verity-params",
    ERROR,
    "{key}: {problem}",
    "dm-verity parameters need root_hash, salt, data_blocks, data_block_size and "
    "hash_block_size, with positive sizes that are multiples of 512; a malformed string "
    "is only found when the kernel command line is built.",
    "write root_hash=<hex>,salt=<hex>,data_blocks=N,data_block_size=N,hash_block_size=N",
)
def verity_params(ctx: LintContext) -> Iterator[Hit]:
    value = ctx.hv_value("kernel_verity_params")
    if isinstance(value, str) and value.strip():
        problem = verity_problem(value)
        if problem:
            yield ctx.hit(
                ctx.hv_key("kernel_verity_params"), key="kernel_verity_params", problem=problem
            )
    for index, entry in enumerate(_extension_images(ctx)):
        params = entry.get("verity_params")
        if isinstance(params, str) and params.strip():
            problem = verity_problem(params)
            if problem:
                key = f"guest_extension_images[{index}].verity_params"
                yield ctx.hit(ctx.hv_key("guest_extension_images"), key=key, problem=problem)


def _extension_images(ctx: LintContext) -> list[dict[str, Any]]:
    value = ctx.hv_value("guest_extension_images")
    if not isinstance(value, list):
        return []
    return [entry for entry in value if isinstance(entry, dict)]


@rule(
    "KATA410",
    "guest-extension-image",
    ERROR,
    "guest_extension_images[{index}]: {problem}",
    "Every guest extension image needs a name made of letters, digits, '_' and '-'; "
    "the runtime refuses other entries.",
    'give each [[...guest_extension_images]] entry a name such as "nvidia-driver"',
)
def guest_extension_image(ctx: LintContext) -> Iterator[Hit]:
    for index, entry in enumerate(_extension_images(ctx)):
        name = entry.get("name")
        if not name:
            problem = "name is missing"
        elif not isinstance(name, str) or not _EXTENSION_NAME.match(name):
            problem = f"name {name!r} may only contain A-Z a-z 0-9 _ -"
        else:
            continue
        yield ctx.hit(ctx.hv_key("guest_extension_images"), index=index, problem=problem)


@rule(
    "KATA411",
    "confidential-mmio",
    ERROR,
    'a confidential guest cannot use block_device_driver = "{driver}"',
    "Confidential guests cannot use virtio-mmio block devices; VM creation fails.",
    "use virtio-scsi or virtio-blk (runtime-rs: virtio-blk-pci)",
)
def confidential_mmio(ctx: LintContext) -> Iterator[Hit]:
    if ctx.hv_value("confidential_guest") is not True:
        return
    driver = ctx.value(ctx.hv, "block_device_driver")
    if driver in ("virtio-mmio", "virtio-blk-mmio"):
        yield ctx.hit(ctx.hv_key("block_device_driver"), driver=driver)


@rule(
    "KATA412",
    "empty-kernel-parameter",
    ERROR,
    'kernel_params entry "{entry}" has an empty name',
    "The runtime splits kernel_params on spaces; an entry such as `=1` has no name and "
    "makes it refuse the file ('Empty kernel parameter').",
    "remove the stray '=' or add the parameter name",
)
def empty_kernel_parameter(ctx: LintContext) -> Iterator[Hit]:
    value = ctx.hv_value("kernel_params")
    if not isinstance(value, str):
        return
    for entry in value.split():
        if entry.startswith("="):
            yield ctx.value_hit(ctx.hv_key("kernel_params"), entry, entry=entry)


@rule(
    "KATA413",
    "bind-mount-basename",
    ERROR,
    'sandbox_bind_mounts: "{mount}" has the same base name as "{other}"',
    "Bind mounts land in the guest under their base name, so two mounts with the same "
    "base name collide and the runtime refuses them.",
    "bind-mount directories with distinct base names",
)
def bind_mount_basename(ctx: LintContext) -> Iterator[Hit]:
    path_key, mounts = ctx.runtime_list("sandbox_bind_mounts")
    seen: dict[str, str] = {}
    for mount in mounts:
        if not isinstance(mount, str):
            continue
        path = mount
        if ctx.flavour == "rs" and path.endswith((":ro", ":rw")):
            path = path[:-3]
        base = path.rstrip("/").rsplit("/", 1)[-1]
        if base in seen:
            yield ctx.value_hit(path_key, f'"{mount}"', mount=mount, other=seen[base])
        else:
            seen[base] = mount


@rule(
    "KATA414",
    "bind-mount-suffix",
    ERROR,
    'sandbox_bind_mounts: "{mount}" carries a mount option; the Go runtime takes it as part of the path',
    "runtime-rs accepts a `:ro`/`:rw` suffix on bind mounts, the Go runtime does not: it "
    "looks for a file literally named '...:ro' and refuses to start.",
    "drop the suffix (Go bind mounts are read-only), or use runtime-rs",
)
def bind_mount_suffix(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "go":
        return
    path_key, mounts = ctx.runtime_list("sandbox_bind_mounts")
    for mount in mounts:
        if isinstance(mount, str) and mount.endswith((":ro", ":rw")):
            yield ctx.value_hit(path_key, f'"{mount}"', mount=mount)


@rule(
    "KATA415",
    "snp-id-pair",
    WARNING,
    "{present} is set but {missing} is not; SEV-SNP needs both or neither",
    "The ID block and its authentication structure only make sense together; upstream "
    "documents this but does not check it, so the guest fails to launch.",
    "set both snp_id_block and snp_id_auth, or neither",
)
def snp_id_pair(ctx: LintContext) -> Iterator[Hit]:
    block, auth = ctx.hv_value("snp_id_block"), ctx.hv_value("snp_id_auth")
    if bool(block) == bool(auth):
        return
    present, missing = ("snp_id_block", "snp_id_auth") if block else ("snp_id_auth", "snp_id_block")
    yield ctx.hit(ctx.hv_key(present), present=present, missing=missing)


@rule(
    "KATA416",
    "template-needs-initrd",
    WARNING,
    "enable_template = true but the guest boots from an image: VM templating needs an initrd",
    "A VM template is cloned from a booted guest's memory, which works only when the root "
    "file system is an initrd; the runtime does not check this when it loads the file.",
    "set initrd instead of image, or enable_template = false",
)
def template_needs_initrd(ctx: LintContext) -> Iterator[Hit]:
    if ctx.hv_name is None:
        return
    path, table = ctx.factory()
    found = ctx.get(table, "enable_template")
    if found is not None and found[1] is True and ctx.hv_value("image"):
        yield ctx.hit((*path, found[0]))


RULES = (
    image_xor_initrd,
    virtio_fs_without_daemon,
    netns_without_none,
    vm_cache_not_qemu,
    sector_size,
    pcie_root_and_switch_ports,
    numa_needs_static_resources,
    numa_mapping,
    verity_params,
    guest_extension_image,
    confidential_mmio,
    empty_kernel_parameter,
    bind_mount_basename,
    bind_mount_suffix,
    snp_id_pair,
    template_needs_initrd,
)
