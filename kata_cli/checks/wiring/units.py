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

containerd's search path for shims is systemd's default PATH (SEARCH_PATH): a shim that
is only in /opt/kata/bin is not found by containerd and FAILs with the link to make. k3s
and RKE2 put their own binary directories first (`rancher.Distribution.bin_dirs`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator

from kata_cli.checks import storage
from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import NOT_INSTALLED, WIRING, CheckResult, CheckSpec
from kata_cli.checks.wiring import containerd, crio, rancher
from kata_cli.checks.wiring.handlers import SEARCH_PATH, kata_config, shim, shown
from kata_cli.record import record

CATEGORY = "wiring"
MAX_HANDLERS = 16


def _spec(
    suffix: str, description: str, remedy: str, required: bool = True, per_item: bool = False
) -> CheckSpec:
    return CheckSpec(
        f"wiring.{suffix}",
        CATEGORY,
        description,
        required=required,
        remedy=remedy,
        level=WIRING,
        per_item=per_item,
    )


MANAGER = _spec(
    "manager",
    "a container manager (containerd, k3s, RKE2 or CRI-O) is configured to run Kata",
    "configure containerd or CRI-O with a Kata runtime handler",
    required=False,
)
CONTAINERD_CONFIG = _spec(
    "containerd.config",
    "containerd's configuration file and its imports load",
    "fix the file named in the detail; `containerd config dump` shows what containerd reads",
)
CONTAINERD_HANDLERS = _spec(
    "containerd.handlers",
    "containerd has a Kata runtime handler (runtime_type io.containerd.kata*.v2)",
    'add a runtime handler with runtime_type = "io.containerd.kata.v2" and restart containerd',
)
CONTAINERD_SHIM = _spec(
    "containerd.shim",
    "per handler (id.<handler>): its shim is an executable in containerd's search path",
    "install the Kata shim (containerd-shim-kata-v2) into /usr/local/bin",
    per_item=True,
)
CONTAINERD_KATA_CONFIG = _spec(
    "containerd.kata-config",
    "per handler (id.<handler>): its options.ConfigPath exists and loads",
    "point options.ConfigPath at an installed Kata configuration file",
    per_item=True,
)
CONTAINERD_SNAPSHOTTER = _spec(
    "containerd.snapshotter",
    "per handler (id.<handler>): its snapshotter is available",
    "set up the snapshotter, or set the handler's snapshotter to overlayfs",
    per_item=True,
)


@record(frozen=True)
class ContainerdSpecs:
    """The checks of one containerd: the standalone one, or one a distribution embeds."""

    config: CheckSpec
    handlers: CheckSpec
    shim: CheckSpec
    kata_config: CheckSpec
    snapshotter: CheckSpec
    template: CheckSpec | None = None  # k3s, RKE2: config.toml is rendered from a template

    def all(self) -> list[CheckSpec]:
        first = [self.config] + ([self.template] if self.template is not None else [])
        return [*first, self.handlers, self.shim, self.kata_config, self.snapshotter]


CONTAINERD = ContainerdSpecs(
    CONTAINERD_CONFIG,
    CONTAINERD_HANDLERS,
    CONTAINERD_SHIM,
    CONTAINERD_KATA_CONFIG,
    CONTAINERD_SNAPSHOTTER,
)


def embedded_specs(dist: rancher.Distribution) -> ContainerdSpecs:
    """The checks of the containerd a distribution embeds: `wiring.<key>.*`."""
    name, where = dist.label, dist.containerd_dir
    return ContainerdSpecs(
        _spec(
            f"{dist.key}.config",
            f"{name}'s containerd configuration ({where}/config.toml, or the template it is "
            "rendered from) and its imports load",
            f"fix the file named in the detail, then {dist.restart}",
        ),
        _spec(
            f"{dist.key}.handlers",
            f"{name}'s containerd has a Kata runtime handler (runtime_type io.containerd.kata*.v2)",
            f'add a runtime handler with runtime_type = "io.containerd.kata.v2" to '
            f"{where}/config.toml.tmpl and {dist.restart}",
        ),
        _spec(
            f"{dist.key}.shim",
            f"per handler (id.<handler>): its shim is an executable in {name}'s containerd "
            "search path",
            "install the Kata shim (containerd-shim-kata-v2) into /usr/local/bin",
            per_item=True,
        ),
        _spec(
            f"{dist.key}.kata-config",
            "per handler (id.<handler>): its options.ConfigPath exists and loads",
            "point options.ConfigPath at an installed Kata configuration file",
            per_item=True,
        ),
        _spec(
            f"{dist.key}.snapshotter",
            "per handler (id.<handler>): its snapshotter is available",
            "set up the snapshotter, or set the handler's snapshotter to overlayfs",
            per_item=True,
        ),
        template=_spec(
            f"{dist.key}.template",
            f"{name}'s containerd template (config-v3.toml.tmpl, config.toml.tmpl), when "
            "there is one, is what config.toml was rendered from",
            f"{dist.restart}, so that it renders config.toml from the template",
            required=False,
        ),
    )


EMBEDDED = {dist.key: embedded_specs(dist) for dist in rancher.DISTRIBUTIONS}

CRIO_CONFIG = _spec(
    "crio.config",
    "CRI-O's configuration files load",
    "fix the file named in the detail",
)
CRIO_HANDLERS = _spec(
    "crio.handlers",
    "CRI-O has a Kata runtime handler",
    'add [crio.runtime.runtimes.kata] with runtime_type = "vm" and runtime_path = '
    '"/usr/local/bin/containerd-shim-kata-v2" to /etc/crio/crio.conf.d/50-kata.conf',
)
CRIO_RUNTIME_TYPE = _spec(
    "crio.runtime-type",
    'per handler (id.<handler>): runtime_type = "vm"',
    'set runtime_type = "vm" in the handler\'s table (CRI-O runs other types as OCI runtimes)',
    per_item=True,
)
CRIO_SHIM = _spec(
    "crio.shim",
    "per handler (id.<handler>): runtime_path is an executable Kata shim",
    "set runtime_path to the installed containerd-shim-kata-v2",
    per_item=True,
)
CRIO_KATA_CONFIG = _spec(
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
    ctr = containerd.load(ctx.host, containerd_config, use_binary=use_binary)
    embedded = [e for e in (rancher.load(ctx.host, d) for d in distributions) if e is not None]
    cri = crio.load(ctx.host, crio_config, crio_dropins)
    if ctr is None and not embedded and cri is None:
        places = [containerd_config, crio_config, f"{crio_dropins}/"]
        places += [f"{d.containerd_dir}/" for d in distributions]
        yield MANAGER.skipped(
            f"no container manager configuration ({', '.join(places)}): nothing to check"
        )
        return
    names = ["containerd"] if ctr is not None else []
    names += [e.distribution.label for e in embedded]
    names += ["CRI-O"] if cri is not None else []
    yield MANAGER.passed(" and ".join(names) if len(names) < 3 else _listing(names))
    if ctr is not None:
        yield from _containerd(ctx, ctr, Judging(CONTAINERD))
    for found in embedded:
        yield from _embedded(ctx, found)
    if cri is not None:
        yield from _crio(ctx, cri)


def _listing(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1]


# -- containerd, standalone or embedded -------------------------------------------------


@record(frozen=True)
class Judging:
    """How one containerd is judged: its checks, where it looks for shims, and what the
    texts say about changing and restarting it."""

    specs: ContainerdSpecs
    manager: str = "containerd"
    search_path: tuple[str, ...] = SEARCH_PATH
    restart: str = "restart containerd"
    add_to: Callable[[containerd.ContainerdConfig], str] = lambda c: (
        f"{c.path} (or a file it imports)"
    )
    note: str = ""  # after the source in the config detail
    lost_at_restart: tuple[str, ...] = ()  # Kata handlers the next start drops
    unjudged: str = ""  # a newer template that was not judged (it may add a handler)


def _source(config: containerd.ContainerdConfig) -> str:
    if config.source == containerd.DUMP_SOURCE:
        return "from `containerd config dump`"
    count = len(config.files)
    text = f"from {count} file{'s' if count != 1 else ''}"
    return text + (f"; {config.dump_note}" if config.dump_note else "")


def _containerd(
    ctx: CheckContext, config: containerd.ContainerdConfig, how: Judging
) -> Iterator[CheckResult]:
    specs = how.specs
    if config.errors:
        errors = "; ".join(config.errors[:3])
        more = f" (and {len(config.errors) - 3} more)" if len(config.errors) > 3 else ""
        yield specs.config.failed(f"{config.path}: {errors}{more}")
    else:
        yield specs.config.passed(
            f"{config.path} (version {config.version}, {_source(config)}{how.note})"
        )
    handlers = config.handlers()
    if not handlers:
        table = containerd.handler_table(config.version, "kata")
        others = ", ".join(shown(n) for n in config.handler_names()[:8]) or "none"
        detail = (
            f"{config.path} (version {config.version}, {_source(config)}) has no runtime "
            f"handler with runtime_type io.containerd.kata*.v2 (handlers: {others})"
        )
        misplaced = config.other_layout_handlers()
        if misplaced:
            detail += (
                f"; {', '.join(misplaced[:4])} is in a layout that a version "
                f"{config.version} file does not use"
            )
        remedy = (
            f'add {table} with runtime_type = "io.containerd.kata.v2" to {how.add_to(config)} '
            f"and {how.restart}"
        )
        if how.unjudged:
            detail += f"; the newer {how.unjudged} was not judged and may add one"
            remedy = (
                f"{how.restart}, so that it renders {how.unjudged}, and check again; or {remedy}"
            )
        yield specs.handlers.failed(detail, remedy)
        return
    listed = ", ".join(f"{shown(h.name)} ({shown(h.runtime_type)})" for h in handlers[:8])
    lost = config.lost_by_containerd_1()
    if lost:
        yield specs.handlers.warned(
            f"{listed}; {_source(config)}; but containerd 1.x replaces a plugin's whole table "
            f"with a later file's, and then loses {', '.join(shown(n) for n in lost[:4])}",
            "with containerd 1.x, define the Kata handlers in the last file that writes "
            'the plugins."io.containerd.grpc.v1.cri" table',
        )
    elif how.lost_at_restart:
        yield specs.handlers.warned(
            f"{listed}; {_source(config)}; but {how.manager} rewrites {config.path} at every "
            f"start and no template renders {', '.join(shown(n) for n in how.lost_at_restart[:4])}"
            ": lost at its next start",
            f"copy {config.path} to {posixpath.dirname(config.path)}/config.toml.tmpl (it is "
            f"then rendered at every start), or move the handler into a file {config.path} "
            "imports",
        )
    else:
        yield specs.handlers.passed(f"{listed}; {_source(config)}")
    for handler in handlers[:MAX_HANDLERS]:
        yield shim(
            ctx,
            for_handler(specs.shim, handler.name),
            handler.name,
            handler.shim,
            how.search_path,
            how.manager,
        )
        yield kata_config(
            ctx, for_handler(specs.kata_config, handler.name), handler, "options.ConfigPath"
        )
        yield _snapshotter(ctx, for_handler(specs.snapshotter, handler.name), config, handler)


def _embedded(ctx: CheckContext, found: rancher.Embedded) -> Iterator[CheckResult]:
    """k3s's or RKE2's containerd: the template first, then what is judged."""
    dist = found.distribution
    specs = EMBEDDED[dist.key]
    template = found.template
    if template is not None and specs.template is not None:
        yield _template(specs.template, found, template)
    config = found.config
    if config is None:
        source = template.path if template is not None else dist.config
        yield specs.config.skipped(
            f"{source} cannot be judged and {dist.config} does not exist: nothing to judge"
        )
        return
    if found.judges_template:
        note = f"; {dist.label} renders it into config.toml at its next start"
    elif template is not None and template.state == rancher.RENDERED:
        note = f"; rendered by {dist.label} from {posixpath.basename(template.path)}"
    elif template is not None:
        note = f"; what the running containerd uses: the newer {template.path} is not judged"
    else:
        note = f"; {dist.label} rewrites it at every start"
    how = Judging(
        specs,
        manager=dist.label,
        search_path=dist.search_path(ctx.host, SEARCH_PATH),
        restart=dist.restart,
        add_to=lambda c: _template_to_edit(found, c),
        note=note,
        lost_at_restart=tuple(found.lost_at_restart()),
        unjudged=template.path if template is not None and template.problem else "",
    )
    yield from _containerd(ctx, config, how)


def _template_to_edit(found: rancher.Embedded, config: containerd.ContainerdConfig) -> str:
    """Where a Kata handler goes so that the distribution's every start renders it."""
    if found.template is not None:
        return found.template.path
    name = "config-v3.toml.tmpl" if config.version >= 3 else "config.toml.tmpl"
    return (
        f"{found.distribution.containerd_dir}/{name} (a new template: a copy of config.toml, "
        'or {{ template "base" . }} followed by the table)'
    )


def _template(spec: CheckSpec, found: rancher.Embedded, template: rancher.Template) -> CheckResult:
    dist = found.distribution
    also = ""
    if template.others:
        names = ", ".join(posixpath.basename(o) for o in template.others)
        also = f" ({names} also exists: {dist.label} releases with containerd 1.7 read that one)"
    if template.state == rancher.RENDERED:
        return spec.passed(
            f"{template.path}{also}: {dist.config} is newer, so {dist.label} rendered it "
            "from this template at its last start"
        )
    why = (
        f"it is newer than {dist.config}"
        if found.config_exists
        else f"{dist.config} does not exist"
    )
    if template.judged:
        return spec.warned(
            f"{template.path}{also}: {why}, so {dist.label} has not rendered it yet: the "
            "next start uses it, and it is what the checks below judge",
            f"{dist.restart}, so that the running containerd uses it",
        )
    instead = (
        f"{dist.config} (what the running containerd uses) is judged instead"
        if found.config_exists
        else "there is nothing else to judge"
    )
    return spec.warned(
        f"{template.problem}{also}; {why}, so the next start uses it, and it cannot be "
        f"judged; {instead}",
        f"{dist.restart}, so that it renders config.toml, then run kata-cli check again "
        "(if containerd then fails to start, fix the template)",
    )


def _snapshotter(
    ctx: CheckContext,
    spec: CheckSpec,
    config: containerd.ContainerdConfig,
    handler: containerd.Handler,
) -> CheckResult:
    name = handler.snapshotter
    prefix = f"handler {shown(handler.name)}: snapshotter {shown(name)}"
    if name == "devmapper":
        problems = storage.devmapper_problems(ctx, config.devmapper_pool, config.path)
        if problems:
            return spec.failed(f"{prefix}: {'; '.join(problems)}")
        return spec.passed(f"{prefix}: thin pool /dev/mapper/{config.devmapper_pool}")
    if name == "overlayfs":
        text = ctx.host.read_text_or("/proc/filesystems")
        if text is None:
            return spec.skipped(f"{prefix}: cannot read /proc/filesystems")
        if any(line.split()[-1:] == ["overlay"] for line in text.splitlines()):
            return spec.passed(f"{prefix}: the overlay file system is available")
        if ctx.module_loaded("overlay") or "overlay" in ctx.builtin_modules:
            return spec.passed(f"{prefix}: module overlay is loaded")
        return spec.failed(f"{prefix}: the kernel has no overlay file system", "modprobe overlay")
    address = config.proxy_address(name)
    if address:
        kind = ctx.host.kind(address)
        if kind == "socket":
            return spec.passed(f"{prefix}: proxy plugin socket {address}")
        return spec.failed(
            f"{prefix}: proxy plugin socket {address} is {'missing' if kind == 'missing' else 'a ' + kind}",
            f"start the {name} snapshotter service",
        )
    return spec.skipped(f"{prefix}: not verified by kata-cli")


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
