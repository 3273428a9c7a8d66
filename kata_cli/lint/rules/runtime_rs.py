"""runtime-rs validation that the Go runtime does not have (KATA7xx).

runtime-rs refuses unknown keys in its agent, mem_agent, factory and rootless_user
tables, checks agent timeouts against each other and has per-hypervisor limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kata_cli.config import schema
from kata_cli.lint.context import LintContext
from kata_cli.lint.model import ERROR, Hit, rule
from kata_cli.lint.rules.keys import counterpart, respell_edit

# hypervisor type -> (maximum vCPUs, minimum memory MiB)
LIMITS = {
    "qemu": (256, 64),
    "clh": (256, 64),
    "dragonball": (256, 64),
    "firecracker": (32, 128),
    "remote": (None, 64),
    "openvmm": (256, 64),
}
# hypervisor type -> keys that must be empty / false / 0
FORBIDDEN = {
    "dragonball": (
        "path",
        "valid_hypervisor_paths",
        "ctlpath",
        "firmware",
        "machine_type",
        "pflashes",
        "enable_iothreads",
        "enable_iommu",
        "default_bridges",
        "pcie_root_port",
        "pcie_switch_port",
        "rootless",
    ),
    "qemu": ("jailer_path", "enable_guest_swap"),
    "clh": ("jailer_path",),
    "remote": ("rootfs_type",),
}
DRAGONBALL_BLOCK = ("virtio-blk-pci", "virtio-blk-mmio", "virtio-pmem")
REQUIRED = {
    "qemu": ("kernel",),
    "clh": ("kernel",),
    "firecracker": ("path", "image"),
    "openvmm": ("path",),
}


def _deny_tables(ctx: LintContext) -> Iterator[tuple[tuple[str, ...], dict[str, Any], set[str]]]:
    agent_keys = {n for n, s in schema.AGENT_KEYS.items() if s.known_in("rs")}
    for name, table in ctx.tables("agent").items():
        path = (*ctx.top_path("agent"), name)
        yield path, table, agent_keys | {"mem_agent"}
        if isinstance(table.get("mem_agent"), dict):
            yield (*path, "mem_agent"), table["mem_agent"], set(schema.MEM_AGENT_KEYS)
    for name, table in ctx.tables("hypervisor").items():
        path = (*ctx.top_path("hypervisor"), name)
        if isinstance(table.get("factory"), dict):
            keys = {n for n, s in schema.FACTORY_KEYS.items() if s.known_in("rs")}
            yield (*path, "factory"), table["factory"], keys
        if isinstance(table.get("rootless_user"), dict):
            yield (*path, "rootless_user"), table["rootless_user"], set(schema.ROOTLESS_USER_KEYS)


@rule(
    "KATA701",
    "rs-unknown-strict-key",
    ERROR,
    "[{table}] unknown key `{key}`{suggestion}: runtime-rs refuses the file",
    "runtime-rs rejects unknown keys in [agent.X], [agent.X.mem_agent], "
    "[hypervisor.X.factory] and [hypervisor.X.rootless_user] (deny_unknown_fields), so a "
    "Go-style `dial_timeout = 45` stops the runtime.",
    "use the runtime-rs key (e.g. dial_timeout_ms, in milliseconds) or delete the key",
)
def rs_unknown_strict_key(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "rs":
        return
    for path, table, known in _deny_tables(ctx):
        for name, value in table.items():
            if name in known:
                continue
            pair = counterpart(name, "rs")
            suggestion = ""
            if pair and pair[0] in known:
                suggestion = f" (runtime-rs spells it `{pair[0]}`)"
            else:
                import difflib

                close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
                suggestion = f" (did you mean `{close[0]}`?)" if close else ""
            key_path = (*path, name)
            edit = respell_edit(ctx, key_path, value) if pair else None
            if edit is None and name.lower() in known and name != name.lower():
                edit = ctx.rename_edit(key_path, name.lower())
            yield ctx.hit(
                key_path, edit=edit, table=".".join(path), key=name, suggestion=suggestion
            )


def _agents(ctx: LintContext) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """The selected [agent.X] table, or every one when none is selected (KATA207)."""
    if ctx.agent_name is not None:
        return [(ctx.agent_path, ctx.agent)]
    top = ctx.top_path("agent")
    return [((*top, name), table) for name, table in ctx.tables("agent").items()]


def _agent_int(table: dict[str, Any], name: str) -> int:
    value = table.get(name, schema.AGENT_KEYS[name].default)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


@rule(
    "KATA702",
    "rs-reconnect-before-dial",
    ERROR,
    "reconnect_timeout_ms = {reconnect}{implicit} is shorter than dial_timeout_ms = {dial}",
    "runtime-rs requires reconnect_timeout_ms >= dial_timeout_ms and refuses the file "
    "otherwise; with reconnect_timeout_ms absent its default of 3000 ms applies.",
    "raise reconnect_timeout_ms to at least dial_timeout_ms",
)
def rs_reconnect_before_dial(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "rs":
        return
    for path, table in _agents(ctx):
        dial = _agent_int(table, "dial_timeout_ms")
        reconnect = _agent_int(table, "reconnect_timeout_ms")
        if reconnect >= dial:
            continue
        written = "reconnect_timeout_ms" in table
        yield ctx.hit(
            (*path, "reconnect_timeout_ms" if written else "dial_timeout_ms"),
            reconnect=reconnect,
            implicit="" if written else " (the default)",
            dial=dial,
        )


@rule(
    "KATA703",
    "rs-dial-timeout-zero",
    ERROR,
    "dial_timeout_ms = 0: runtime-rs refuses a zero agent dial timeout",
    "runtime-rs validates that the agent dial timeout is not zero.",
    "remove the key (default 10 ms) or set a positive value",
)
def rs_dial_timeout_zero(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "rs":
        return
    for path, table in _agents(ctx):
        value = table.get("dial_timeout_ms")
        if value == 0 and not isinstance(value, bool):
            yield ctx.hit((*path, "dial_timeout_ms"))


@rule(
    "KATA704",
    "rs-vcpu-limit",
    ERROR,
    "default_vcpus = {value} is more than {hypervisor} supports ({limit})",
    "runtime-rs refuses vCPU counts above the hypervisor's maximum (32 for Firecracker, "
    "256 for the others).",
    "lower default_vcpus",
)
def rs_vcpu_limit(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "rs":
        return
    limit = LIMITS.get(ctx.hv_type, (None, 0))[0]
    value = ctx.hv.get("default_vcpus")
    if limit is None or isinstance(value, bool) or not isinstance(value, int | float):
        return
    if value > limit:
        yield ctx.hit(ctx.hv_key("default_vcpus"), value=value, hypervisor=ctx.hv_type, limit=limit)


@rule(
    "KATA705",
    "rs-memory-minimum",
    ERROR,
    "{key} = {value} is below the minimum {minimum} for {hypervisor}",
    "runtime-rs refuses guests smaller than the hypervisor's minimum memory (128 MiB for "
    "Firecracker, 64 MiB for the others) and a zero memory_slots.",
    "raise the value",
)
def rs_memory_minimum(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "rs" or ctx.hv_type not in LIMITS:
        return
    minimum = LIMITS[ctx.hv_type][1]
    memory = ctx.hv.get("default_memory")
    if isinstance(memory, int) and not isinstance(memory, bool) and memory < minimum:
        yield ctx.hit(
            ctx.hv_key("default_memory"),
            key="default_memory",
            value=memory,
            minimum=minimum,
            hypervisor=ctx.hv_type,
        )
    if ctx.hv.get("memory_slots") == 0 and ctx.hv_type != "openvmm":
        yield ctx.hit(
            ctx.hv_key("memory_slots"),
            key="memory_slots",
            value=0,
            minimum=1,
            hypervisor=ctx.hv_type,
        )


def _set(value: Any) -> bool:
    return value not in (None, "", [], 0, False)


@rule(
    "KATA706",
    "rs-forbidden-key",
    ERROR,
    "{key} must not be set for {hypervisor} in runtime-rs",
    "runtime-rs refuses settings a hypervisor cannot honour: Dragonball is built in (no "
    "path, firmware, machine type, bridges or IOMMU), qemu and Cloud Hypervisor have no "
    "jailer, the remote hypervisor takes no rootfs_type.",
    "remove the key for this hypervisor",
)
def rs_forbidden_key(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "rs":
        return
    for name in FORBIDDEN.get(ctx.hv_type, ()):
        if _set(ctx.hv.get(name)):
            yield ctx.hit(ctx.hv_key(name), key=name, hypervisor=ctx.hv_type)
    driver = ctx.hv.get("block_device_driver")
    if ctx.hv_type == "qemu" and driver == "virtio-blk-mmio":
        yield ctx.hit(
            ctx.hv_key("block_device_driver"),
            key='block_device_driver = "virtio-blk-mmio"',
            hypervisor="qemu",
        )
    if ctx.hv_type == "dragonball" and isinstance(driver, str) and driver not in DRAGONBALL_BLOCK:
        key = f'block_device_driver = "{driver}"'
        yield ctx.hit(ctx.hv_key("block_device_driver"), key=key, hypervisor="dragonball")
    if ctx.hv_type == "remote" and driver == "nvdimm":
        yield ctx.hit(
            ctx.hv_key("block_device_driver"),
            key='block_device_driver = "nvdimm"',
            hypervisor="remote",
        )


@rule(
    "KATA707",
    "rs-required-key",
    ERROR,
    "{hypervisor} needs {key} in runtime-rs",
    "runtime-rs refuses a hypervisor table without the assets it needs: a kernel for "
    "qemu and Cloud Hypervisor, a binary and an image for Firecracker, a binary for "
    "OpenVMM.",
    "set the key",
)
def rs_required_key(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "rs" or ctx.hv_name is None:
        return
    for name in REQUIRED.get(ctx.hv_type, ()):
        if not ctx.hv.get(name):
            yield ctx.hit(ctx.hv_key(name), key=name, hypervisor=ctx.hv_type)


# key -> (what it limits, unit)
REMOTE_HOST_LIMITS = {"default_maxmemory": ("RAM", "MiB"), "default_maxvcpus": ("CPUs", "vCPUs")}


def _host_limits(ctx: LintContext) -> dict[str, int]:
    """This host's RAM (MiB) and CPU count, where they can be read."""
    if ctx.host is None:
        return {}
    from kata_cli import probe

    try:
        found = {
            "default_maxmemory": probe.mem_total_mib(ctx.host),
            "default_maxvcpus": probe.cpu_count(ctx.host),
        }
    except (OSError, ValueError):
        return {}
    return {key: value for key, value in found.items() if value}


@rule(
    "KATA708",
    "rs-remote-max-resources",
    ERROR,
    "{key} = {value}: runtime-rs requires the remote hypervisor's maximum to be the "
    "host's {what}{host}",
    "For the remote hypervisor runtime-rs insists that default_maxmemory equals the host's "
    "RAM and default_maxvcpus its CPU count; 0 (and any value above the host's) is first "
    "raised or lowered to the host's, so only a non-zero value below it is refused.",
    "set the key to 0 (= the host's)",
)
def rs_remote_max_resources(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "rs" or ctx.hv_name != "remote":
        return
    limits: dict[str, int] | None = None
    for key, (what, unit) in REMOTE_HOST_LIMITS.items():
        value = ctx.hv.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            continue
        if limits is None:
            limits = ctx.memo("rs.host_limits", lambda: _host_limits(ctx))
        host = limits.get(key)
        if host is not None and value >= host:
            continue
        shown = f" ({host} {unit} here)" if host is not None else ""
        yield ctx.hit(ctx.hv_key(key), key=key, value=value, what=what, host=shown)


RULES = (
    rs_unknown_strict_key,
    rs_reconnect_before_dial,
    rs_dial_timeout_zero,
    rs_vcpu_limit,
    rs_memory_minimum,
    rs_forbidden_key,
    rs_required_key,
    rs_remote_max_resources,
)
