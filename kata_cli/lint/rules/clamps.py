"""Values the runtime silently changes, and keys that have no effect (KATA5xx).

Upstream never complains about these: it resets, clamps or ignores. The linter says
so, because the configuration does not mean what it says.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kata_cli.config import schema
from kata_cli.lint.context import LintContext
from kata_cli.lint.model import INFO, WARNING, Hit, rule

ARCH_MAX_VCPUS = {"amd64": 240, "s390x": 248, "ppc64le": 128, "riscv64": 512, "arm64": 123}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@rule(
    "KATA501",
    "memory-reset",
    WARNING,
    "default_memory = {value} is below 256 MiB; the Go runtime silently uses 2048 MiB",
    "The Go runtime replaces any default_memory below 256 MiB by its 2048 MiB default "
    "without a message, so a small value gives a larger VM than asked for.",
    "set default_memory to 256 or more",
)
def memory_reset(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "go":
        return
    found = ctx.get(ctx.hv, "default_memory")
    if found is not None and _number(found[1]) and found[1] < 256:
        yield ctx.hit(ctx.hv_key("default_memory"), value=found[1])


@rule(
    "KATA502",
    "vcpus-clamped",
    WARNING,
    "default_vcpus = {value}: {detail}",
    "default_vcpus outside [1, maximum] is silently clamped (negative values become the "
    "host CPU count in Go), and a value above default_maxvcpus is not reconciled.",
    "use a vCPU count between 1 and default_maxvcpus",
)
def vcpus_clamped(ctx: LintContext) -> Iterator[Hit]:
    found = ctx.get(ctx.hv, "default_vcpus")
    if found is None or not _number(found[1]):
        return
    value = found[1]
    limit = ARCH_MAX_VCPUS.get(ctx.arch)
    maxvcpus = ctx.hv_value("default_maxvcpus")
    if value < 0:
        detail = "negative; the runtime uses the host CPU count instead"
    elif limit is not None and value > limit:
        detail = f"more than the {ctx.arch} maximum {limit}; it is clamped"
    elif _number(maxvcpus) and 0 < maxvcpus < value:
        detail = f"more than default_maxvcpus = {maxvcpus}"
    else:
        return
    yield ctx.hit(ctx.hv_key("default_vcpus"), value=value, detail=detail)


@rule(
    "KATA503",
    "maxvcpus-clamped",
    WARNING,
    "default_maxvcpus = {value} is more than the {arch} maximum {limit}; it is clamped",
    "default_maxvcpus is capped at the architecture's limit (and at the host CPU count) "
    "without a message.",
    "set default_maxvcpus to 0 (host CPUs) or to at most the architecture limit",
)
def maxvcpus_clamped(ctx: LintContext) -> Iterator[Hit]:
    found = ctx.get(ctx.hv, "default_maxvcpus")
    limit = ARCH_MAX_VCPUS.get(ctx.arch)
    if found is None or not _number(found[1]) or limit is None:
        return
    if found[1] > limit:
        yield ctx.hit(ctx.hv_key("default_maxvcpus"), value=found[1], arch=ctx.arch, limit=limit)


# key -> (flavours, upper limit)
CLAMPED: dict[str, tuple[tuple[str, ...], int]] = {
    "default_bridges": (("go", "rs"), 5),
    "pcie_root_port": (("go",), 16),
    "pcie_switch_port": (("go",), 16),
    "hypervisor_loglevel": (("go",), 3),
    "network_queues": (("rs",), 256),
}


@rule(
    "KATA504",
    "value-clamped",
    WARNING,
    "{key} = {value} is more than {limit}; the runtime silently uses {limit}",
    "Bridges, PCIe ports, VMM log level and network queues have upper limits the runtime "
    "applies without a message.",
    "use a value within the limit",
)
def value_clamped(ctx: LintContext) -> Iterator[Hit]:
    for name, (flavours, limit) in CLAMPED.items():
        if ctx.flavour not in flavours:
            continue
        found = ctx.get(ctx.hv, name)
        if found is not None and _number(found[1]) and found[1] > limit:
            yield ctx.hit(ctx.hv_key(name), key=found[0], value=found[1], limit=limit)


@rule(
    "KATA505",
    "burst-without-rate",
    WARNING,
    "{burst} = {value} has no effect while {rate} is 0; the burst is dropped",
    "Cloud Hypervisor rate limiters only use a one-time burst together with a maximum "
    "rate; a burst alone is dropped with a log warning.",
    "set the matching *_max_rate, or remove the burst",
)
def burst_without_rate(ctx: LintContext) -> Iterator[Hit]:
    if ctx.hv_type != "clh":
        return
    for device in ("disk", "net"):
        for unit in ("bw", "ops"):
            burst = f"{device}_rate_limiter_{unit}_one_time_burst"
            rate = f"{device}_rate_limiter_{unit}_max_rate"
            value = ctx.value(ctx.hv, burst, 0)
            if _number(value) and value > 0 and not ctx.value(ctx.hv, rate, 0):
                yield ctx.hit(ctx.hv_key(burst), burst=burst, value=value, rate=rate)


# Go's remote loader reads only these keys of [hypervisor.remote]
REMOTE_GO_KEYS = {
    "machine_type",
    "enable_annotations",
    "guest_hook_path",
    "remote_hypervisor_socket",
    "remote_hypervisor_timeout",
    "default_vcpus",
    "default_memory",
    "default_gpus",
    "image",
    "kernel_params",
    "disable_guest_selinux",
}


# runtime-rs forces these [runtime] values when the hypervisor is remote
RS_REMOTE_FORCED = {"internetworking_model": "none", "disable_new_netns": False}


@rule(
    "KATA506",
    "no-effect",
    WARNING,
    "{key} has no effect with the {hypervisor} hypervisor{why}",
    "Each hypervisor type reads its own subset of [hypervisor] keys; a key the selected "
    "VMM does not read is dead configuration that misleads the reader. For runtime-rs, "
    "whose per-VMM key sets are not catalogued, only the [runtime] values it overrides "
    "for the remote hypervisor (internetworking_model, disable_new_netns) are reported.",
    "remove the key, or select the hypervisor it is meant for",
)
def no_effect(ctx: LintContext) -> Iterator[Hit]:
    kind = ctx.hv_type
    if ctx.hv_name is None or kind not in schema.TYPE_LETTER:
        return
    if ctx.flavour == "rs":
        yield from _rs_no_effect(ctx, kind)
        return
    for name, value in ctx.hv.items():
        if isinstance(value, dict):
            continue
        spec = schema.HYPERVISOR_KEYS.get(name)
        if spec is None or not spec.known_in(ctx.flavour):
            continue
        if kind == "remote":
            dead = name not in REMOTE_GO_KEYS
        else:
            dead = not spec.used_by_type(kind)
        if dead:
            yield ctx.hit((*ctx.hv_path, name), key=name, hypervisor=kind, why="")


def _rs_no_effect(ctx: LintContext, kind: str) -> Iterator[Hit]:
    if kind != "remote":
        return
    for name, forced in RS_REMOTE_FORCED.items():
        value = ctx.runtime.get(name)
        if value is not None and value != forced:
            why = f" (runtime-rs forces {name} = {_toml(forced)})"
            yield ctx.hit((*ctx.top_path("runtime"), name), key=name, hypervisor=kind, why=why)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"'


# Go loader fallbacks when the key is absent: hard-coded, not following the install PREFIX
GO_FALLBACK_PATHS = {
    "path": ("/usr/bin/qemu-system-x86_64", ("qemu", "clh", "firecracker", "stratovirt")),
    "kernel": (
        "/usr/share/kata-containers/vmlinuz.container",
        ("qemu", "clh", "firecracker", "stratovirt", "dragonball"),
    ),
}


@rule(
    "KATA507",
    "implicit-asset-path",
    WARNING,
    "{key} is not set: the Go runtime falls back to {fallback}{note}",
    "Without `path` or `kernel` the Go runtime uses hard-coded paths that ignore the "
    "install prefix (/opt/kata) — for every hypervisor type, so a Cloud Hypervisor "
    "configuration without `path` looks for QEMU.",
    "set the key explicitly",
)
def implicit_asset_path(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "go" or ctx.hv_name is None:
        return
    for name, (fallback, kinds) in GO_FALLBACK_PATHS.items():
        if ctx.hv_type not in kinds or ctx.get(ctx.hv, name) is not None:
            continue
        note = f" (even for {ctx.hv_type})" if name == "path" and ctx.hv_type != "qemu" else ""
        yield ctx.hit(ctx.hv_path, key=name, fallback=fallback, note=note)


# (table kind, key) -> (what the reader expects, what the Go runtime really uses)
GO_SURPRISING_DEFAULTS = {
    ("runtime", "vfio_mode"): ("guest-kernel", "vfio"),
    ("hypervisor", "disable_guest_selinux"): ("true", "false"),
}


@rule(
    "KATA508",
    "surprising-default",
    INFO,
    "{key} is not set: the Go runtime uses {actual}, not the documented default {documented}",
    "For a few keys the Go runtime's effective default differs from the documented one "
    "(the constant is overwritten by the struct's zero value): vfio_mode becomes vfio, "
    "disable_guest_selinux false.",
    "set the key explicitly to the value you mean",
)
def surprising_default(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "go" or ctx.hv_name is None:
        return
    for (kind, name), (documented, actual) in GO_SURPRISING_DEFAULTS.items():
        if kind == "runtime":
            table, path = ctx.runtime, ctx.top_path("runtime")
        else:
            table, path = ctx.hv, ctx.hv_path
            if not schema.HYPERVISOR_KEYS[name].used_by_type(ctx.hv_type):
                continue
        if ctx.get(table, name) is None:
            yield ctx.hit(path, key=name, actual=actual, documented=documented)


@rule(
    "KATA509",
    "forced-value",
    WARNING,
    "{key} = {value} has no effect: the Go runtime forces {forced} {why}",
    "Some settings are overridden by the Go runtime whatever the file says: the microvm "
    "machine type has no NVDIMM (disable_image_nvdimm is forced on), and the remote "
    "hypervisor always disables guest SELinux.",
    "remove the key (or set it to the value the runtime uses)",
)
def forced_value(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "go" or ctx.hv_name is None:
        return
    forced: list[tuple[str, Any, str]] = []
    if ctx.hv_type != "remote" and ctx.hv_value("machine_type") == "microvm":
        forced.append(("disable_image_nvdimm", True, 'with machine_type = "microvm"'))
    if ctx.hv_type == "remote":
        forced.append(("disable_guest_selinux", True, "for the remote hypervisor"))
    for name, value, why in forced:
        found = ctx.get(ctx.hv, name)
        if found is not None and isinstance(found[1], bool) and found[1] != value:
            yield ctx.hit(
                ctx.hv_key(name),
                key=found[0],
                value=_toml(found[1]),
                forced=_toml(value),
                why=why,
            )


RULES = (
    memory_reset,
    vcpus_clamped,
    maxvcpus_clamped,
    value_clamped,
    burst_without_rate,
    no_effect,
    implicit_asset_path,
    surprising_default,
    forced_value,
)
