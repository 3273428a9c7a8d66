"""Container-manager wiring: will containerd, k3s, RKE2 or CRI-O actually start a Kata
sandbox?

Check ids (stable; per-handler results append `.<handler>` to the id, the handler name
reduced to `[A-Za-z0-9_-]`). containerd and the containerd that k3s and RKE2 embed are
judged alike, under their own ids: `wiring.<m>.*` with `<m>` one of `containerd`, `k3s`,
`rke2`.

| id | FAIL when |
| --- | --- |
| `wiring.manager` | never (SKIP: no container manager configuration, or Kata not installed) |
| `wiring.<m>.config` | the file or an import does not load (containerd would not start) |
| `wiring.<k3s/rke2>.template` | never (WARN: a template newer than config.toml, not yet rendered or not judgeable) |
| `wiring.<m>.handlers` | no runtime handler has `runtime_type = "io.containerd.kata*.v2"` |
| `wiring.<m>.shim.<h>` | the shim is not an executable in containerd's search path |
| `wiring.<m>.kata-config.<h>` | `options.ConfigPath` is missing or does not load |
| `wiring.<m>.snapshotter.<h>` | the handler's snapshotter is not usable (devmapper pool, overlay, proxy socket) |
| `wiring.crio.config` | a CRI-O file does not load |
| `wiring.crio.handlers` | no `[crio.runtime.runtimes.*]` handler runs Kata |
| `wiring.crio.runtime-type.<h>` | the Kata handler's `runtime_type` is not `"vm"` |
| `wiring.crio.shim.<h>` | `runtime_path` is not an executable Kata shim |
| `wiring.crio.kata-config.<h>` | `runtime_config_path` is missing or does not load |

A configuration file is judged only when its manager is installed (`installed`: the
`containerd` / `crio` program in the usual directories, or its systemd unit): a file left
behind by one that is not (an old /etc/containerd/config.toml on a k3s node) is a SKIP of
`wiring.containerd.config` / `wiring.crio.config` naming it, never a FAIL.

containerd's search path for shims is systemd's default PATH (SEARCH_PATH): a shim that
is only in /opt/kata/bin is not found by containerd and FAILs with the link to make. k3s
and RKE2 put their own binary directories first (`rancher.Distribution.bin_dirs`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import NOT_INSTALLED, CheckResult, CheckSpec
from kata_cli.checks.wiring import containerd, crio, installed, rancher
from kata_cli.checks.wiring.containerd_units import (
    EMBEDDED,
    ContainerdSpecs,
    Judging,
    judge,
    judge_embedded,
)
from kata_cli.checks.wiring.handlers import MAX_HANDLERS, kata_config, shim, shown, wiring_spec

MANAGER = wiring_spec(
    "manager",
    "a container manager (containerd, k3s, RKE2 or CRI-O) is configured to run Kata",
    "configure containerd or CRI-O with a Kata runtime handler",
    required=False,
)
CONTAINERD_CONFIG = wiring_spec(
    "containerd.config",
    "containerd's configuration file and its imports load",
    "fix the file named in the detail; `containerd config dump` shows what containerd reads",
)
CONTAINERD_HANDLERS = wiring_spec(
    "containerd.handlers",
    "containerd has a Kata runtime handler (runtime_type io.containerd.kata*.v2)",
    'add a runtime handler with runtime_type = "io.containerd.kata.v2" and restart containerd',
)
CONTAINERD_SHIM = wiring_spec(
    "containerd.shim",
    "per handler (id.<handler>): its shim is an executable in containerd's search path",
    "install the Kata shim (containerd-shim-kata-v2) into /usr/local/bin",
    per_item=True,
)
CONTAINERD_KATA_CONFIG = wiring_spec(
    "containerd.kata-config",
    "per handler (id.<handler>): its options.ConfigPath exists and loads",
    "point options.ConfigPath at an installed Kata configuration file",
    per_item=True,
)
CONTAINERD_SNAPSHOTTER = wiring_spec(
    "containerd.snapshotter",
    "per handler (id.<handler>): its snapshotter is available",
    "set up the snapshotter, or set the handler's snapshotter to overlayfs",
    per_item=True,
)


CONTAINERD = ContainerdSpecs(
    CONTAINERD_CONFIG,
    CONTAINERD_HANDLERS,
    CONTAINERD_SHIM,
    CONTAINERD_KATA_CONFIG,
    CONTAINERD_SNAPSHOTTER,
)


CRIO_CONFIG = wiring_spec(
    "crio.config",
    "CRI-O's configuration files load",
    "fix the file named in the detail",
)
CRIO_HANDLERS = wiring_spec(
    "crio.handlers",
    "CRI-O has a Kata runtime handler",
    'add [crio.runtime.runtimes.kata] with runtime_type = "vm" and runtime_path = '
    '"/usr/local/bin/containerd-shim-kata-v2" to /etc/crio/crio.conf.d/50-kata.conf',
)
CRIO_RUNTIME_TYPE = wiring_spec(
    "crio.runtime-type",
    'per handler (id.<handler>): runtime_type = "vm"',
    'set runtime_type = "vm" in the handler\'s table (CRI-O runs other types as OCI runtimes)',
    per_item=True,
)
CRIO_SHIM = wiring_spec(
    "crio.shim",
    "per handler (id.<handler>): runtime_path is an executable Kata shim",
    "set runtime_path to the installed containerd-shim-kata-v2",
    per_item=True,
)
CRIO_KATA_CONFIG = wiring_spec(
    "crio.kata-config",
    "per handler (id.<handler>): its runtime_config_path exists and loads",
    "point runtime_config_path at an installed Kata configuration file",
    per_item=True,
)


def catalogue() -> list[CheckSpec]:
    return [
        MANAGER,
        *CONTAINERD.all(),
        *(spec for specs in EMBEDDED.values() for spec in specs.all()),
        CRIO_CONFIG,
        CRIO_HANDLERS,
        CRIO_RUNTIME_TYPE,
        CRIO_SHIM,
        CRIO_KATA_CONFIG,
    ]


def for_handler(spec: CheckSpec, name: str) -> CheckSpec:
    """The per-handler variant of a spec: `wiring.containerd.shim` -> `...shim.kata`."""
    return spec.for_item(name)


def family(check_id: str) -> str:
    """The catalogue id of a (possibly per-handler) result id."""
    return next((spec.id for spec in catalogue() if spec.owns(check_id)), check_id)


def wiring_checks(
    ctx: CheckContext,
    *,
    containerd_config: str = containerd.CONFIG,
    crio_config: str = crio.CONFIG,
    crio_dropins: str = crio.DROPIN_DIR,
    use_binary: bool = True,
    distributions: tuple[rancher.Distribution, ...] = rancher.DISTRIBUTIONS,
) -> Iterator[CheckResult]:
    """The wiring checks (the keyword arguments exist for tests)."""
    if not ctx.installed:
        yield MANAGER.skipped(NOT_INSTALLED)
        return
    left_over: list[CheckResult] = []
    ctr = None
    if ctx.host.lexists(containerd_config):
        if installed.evidence(ctx.host, installed.CONTAINERD):
            ctr = containerd.load(ctx.host, containerd_config, use_binary=use_binary)
        else:
            left_over.append(_left_over(CONTAINERD_CONFIG, containerd_config, installed.CONTAINERD))
    embedded = [e for e in (rancher.load(ctx.host, d) for d in distributions) if e is not None]
    crio_files = crio.paths(ctx.host, crio_config, crio_dropins)
    cri = None
    if crio_files:
        if installed.evidence(ctx.host, installed.CRIO):
            cri = crio.load(ctx.host, crio_config, crio_dropins)
        else:
            shown_files = ", ".join(crio_files[:4]) + (" ..." if len(crio_files) > 4 else "")
            left_over.append(_left_over(CRIO_CONFIG, shown_files, installed.CRIO))
    if ctr is None and not embedded and cri is None:
        places = [containerd_config, crio_config, f"{crio_dropins}/"]
        places += [f"{d.containerd_dir}/" for d in distributions]
        if left_over:
            yield MANAGER.skipped(
                "no installed container manager is configured: the configuration found "
                "belongs to one that is not installed"
            )
        else:
            yield MANAGER.skipped(
                f"no container manager configuration ({', '.join(places)}): nothing to check"
            )
        yield from left_over
        return
    names = ["containerd"] if ctr is not None else []
    names += [e.distribution.label for e in embedded]
    names += ["CRI-O"] if cri is not None else []
    yield MANAGER.passed(" and ".join(names) if len(names) < 3 else _listing(names))
    yield from left_over
    if ctr is not None:
        yield from judge(ctx, ctr, Judging(CONTAINERD))
    for found in embedded:
        yield from judge_embedded(ctx, found)
    if cri is not None:
        yield from _crio(ctx, cri)


def _left_over(spec: CheckSpec, files: str, manager: installed.Manager) -> CheckResult:
    """A configuration of a manager that is not installed: nothing reads it, so it is not
    judged (SKIP, naming it: it may be left over, or the manager may be installed
    somewhere kata-cli does not look)."""
    return spec.skipped(
        f"{files}: {manager.label} is not installed ({manager.looked_for()}), so nothing "
        "reads this file; not judged"
    )


def _listing(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1]


# -- CRI-O ------------------------------------------------------------------------------


def _crio(ctx: CheckContext, config: crio.CrioConfig) -> Iterator[CheckResult]:
    files = ", ".join(config.files[:4]) + (" ..." if len(config.files) > 4 else "")
    if config.errors:
        yield CRIO_CONFIG.failed("; ".join(config.errors[:3]))
    else:
        yield CRIO_CONFIG.passed(files)
    handlers = config.handlers()
    if not handlers:
        others = ", ".join(shown(n) for n in list(config.runtimes())[:8]) or "none"
        yield CRIO_HANDLERS.failed(
            f"{files or crio.CONFIG}: no [crio.runtime.runtimes.*] handler runs Kata "
            f"(handlers: {others})"
        )
        return
    yield CRIO_HANDLERS.passed(", ".join(shown(h.name) for h in handlers[:8]))
    for handler in handlers[:MAX_HANDLERS]:
        type_spec = for_handler(CRIO_RUNTIME_TYPE, handler.name)
        if handler.runtime_type == crio.VM_TYPE:
            yield type_spec.passed(f"handler {shown(handler.name)}: runtime_type = vm")
        else:
            yield type_spec.failed(
                f"handler {shown(handler.name)}: runtime_type = {shown(handler.runtime_type)}, "
                "so CRI-O runs the Kata shim as an OCI runtime"
            )
        yield _crio_shim(ctx, for_handler(CRIO_SHIM, handler.name), handler)
        yield kata_config(
            ctx, for_handler(CRIO_KATA_CONFIG, handler.name), handler, "runtime_config_path"
        )


def _crio_shim(ctx: CheckContext, spec: CheckSpec, handler: crio.Handler) -> CheckResult:
    result = shim(ctx, spec, handler.name, handler.shim)
    base = posixpath.basename(handler.shim)
    if result.status == "pass" and not base.startswith("containerd-shim-"):
        return spec.failed(
            f"handler {shown(handler.name)}: runtime_path {shown(handler.shim)} is not a "
            "containerd shim (kata-runtime is not one)",
            "set runtime_path to containerd-shim-kata-v2",
        )
    return result
