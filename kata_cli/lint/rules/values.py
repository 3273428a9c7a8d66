"""Values outside the set a key accepts (KATA3xx).

Enumerations come from the key catalogue (`kata_cli.config.schema`), per flavour:
runtime-rs spells block drivers `virtio-blk-pci`, the Go runtime `virtio-blk`, and so on.
"""

from __future__ import annotations

from collections.abc import Iterator

from kata_cli.lint.context import LintContext
from kata_cli.lint.model import ERROR, INFO, Edit, Hit, rule

VIRTIOFS = ("virtio-fs", "virtio-fs-nydus")


@rule(
    "KATA301",
    "invalid-value",
    ERROR,
    '{key} = "{value}" is not one of: {allowed}',
    "Enumerated settings (block driver, AIO mode, shared file system, networking model, "
    "VFIO mode, emptyDir mode, ...) are checked when the runtime loads or boots; any "
    "other value stops it.",
    "use one of the listed values",
)
def invalid_value(ctx: LintContext) -> Iterator[Hit]:
    for path, table, catalogue in ctx.sections():
        for name, spec in catalogue.items():
            allowed = spec.allowed_values(ctx.flavour)
            if not allowed or not spec.known_in(ctx.flavour):
                continue
            found = ctx.get(table, name)
            if found is None or not isinstance(found[1], str) or found[1] in allowed:
                continue
            shown = ", ".join(f'"{v}"' for v in allowed)
            yield ctx.value_hit((*path, found[0]), key=found[0], value=found[1], allowed=shown)


@rule(
    "KATA302",
    "shared-fs-unsupported",
    ERROR,
    'shared_fs = "{value}" is not supported by {hypervisor}',
    "Some VMMs support only some shared file systems: Cloud Hypervisor and StratoVirt "
    "have no virtio-9p, Dragonball only virtio-fs and inline-virtio-fs.",
    "choose a shared file system the hypervisor supports (usually virtio-fs)",
)
def shared_fs_unsupported(ctx: LintContext) -> Iterator[Hit]:
    value = ctx.hv_value("shared_fs")
    kind = ctx.hv_type
    bad = False
    if ctx.flavour == "go" and kind in ("clh", "stratovirt"):
        bad = value == "virtio-9p"
    elif ctx.flavour == "rs" and kind == "dragonball" and ctx.get(ctx.hv, "shared_fs"):
        bad = value not in ("virtio-fs", "inline-virtio-fs", "none")
    if bad:
        yield ctx.hit(ctx.hv_key("shared_fs"), value=value, hypervisor=kind)


@rule(
    "KATA303",
    "vfio-port",
    ERROR,
    "{detail}",
    "VFIO hot plug and cold plug cannot both use a PCIe port, and Cloud Hypervisor on "
    "q35/virt machines only attaches devices to root ports; the runtime refuses the "
    "combination when it loads.",
    "use no-port for one of hot_plug_vfio/cold_plug_vfio; root-port on clh",
)
def vfio_port(ctx: LintContext) -> Iterator[Hit]:
    if ctx.hv_type not in ("qemu", "clh"):
        return
    hot = ctx.hv_value("hot_plug_vfio") if ctx.flavour == "go" else "no-port"
    cold = ctx.hv_value("cold_plug_vfio")
    if not isinstance(hot, str) or not isinstance(cold, str):
        return
    if hot != "no-port" and cold != "no-port":
        detail = f'hot_plug_vfio = "{hot}" and cold_plug_vfio = "{cold}" cannot both use a port'
        yield ctx.hit(ctx.hv_key("cold_plug_vfio"), detail=detail)
        return
    machine = ctx.hv_value("machine_type")
    if ctx.hv_type == "clh" and machine in ("q35", "virt"):
        for name, value in (("hot_plug_vfio", hot), ("cold_plug_vfio", cold)):
            if value not in ("no-port", "root-port"):
                detail = f'{name} = "{value}": Cloud Hypervisor only supports root-port'
                yield ctx.hit(ctx.hv_key(name), detail=detail)


@rule(
    "KATA304",
    "experimental-feature",
    ERROR,
    'experimental feature "{feature}" does not exist',
    "The Go runtime registers no experimental features today, so any entry in "
    "[runtime] experimental makes it refuse the file ('Unsupported experimental feature').",
    "remove the entry (experimental = [])",
)
def experimental_feature(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "go":
        return
    path_key, features = ctx.runtime_list("experimental")
    for feature in features:
        yield ctx.value_hit(path_key, f'"{feature}"', feature=feature)


# (flavour, key) -> {old value: new value}
DEPRECATED = {("rs", "virtio_fs_cache"): {"none": "never"}}


@rule(
    "KATA305",
    "deprecated-value",
    INFO,
    '{key} = "{value}" is the old spelling of "{new}"',
    "Some values were renamed; the runtime still maps the old spelling, but documentation "
    "and other tools only know the new one.",
    "use the new spelling (mechanical: --fix)",
)
def deprecated_value(ctx: LintContext) -> Iterator[Hit]:
    for (flavour, name), renames in DEPRECATED.items():
        found = ctx.get(ctx.hv, name)
        if flavour != ctx.flavour or found is None or found[1] not in renames:
            continue
        old, new = found[1], renames[found[1]]
        hit = ctx.value_hit(ctx.hv_key(name), f'"{old}"', key=found[0], value=old, new=new)
        if hit.file is not None and hit.line is not None and hit.column is not None:
            source = ctx.source(hit.file)
            lines = source.lines if source is not None else []
            if 0 < hit.line <= len(lines) and lines[hit.line - 1][hit.column - 1 :].startswith(
                f'"{old}"'
            ):
                start = hit.column - 1
                hit.edit = Edit(hit.file, hit.line, start, start + len(old) + 2, f'"{new}"')
        yield hit


RULES = (invalid_value, shared_fs_unsupported, vfio_port, experimental_feature, deprecated_value)
