"""containerd's checks, for the standalone containerd and for the one k3s and RKE2 embed:
the same judging (configuration, Kata handlers, their shim, Kata configuration and
snapshotter) under each manager's ids, with the texts each needs (where shims are looked
up, where a handler goes, how the manager is restarted)."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator

from kata_cli.checks import storage
from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import CheckResult, CheckSpec
from kata_cli.checks.wiring import containerd, rancher
from kata_cli.checks.wiring.handlers import (
    MAX_HANDLERS,
    SEARCH_PATH,
    kata_config,
    shim,
    shown,
    wiring_spec,
)
from kata_cli.record import record


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


def embedded_specs(dist: rancher.Distribution) -> ContainerdSpecs:
    """The checks of the containerd a distribution embeds: `wiring.<key>.*`."""
    name, where = dist.label, dist.containerd_dir
    return ContainerdSpecs(
        wiring_spec(
            f"{dist.key}.config",
            f"{name}'s containerd configuration ({where}/config.toml, or the template it is "
            "rendered from) and its imports load",
            f"fix the file named in the detail, then {dist.restart}",
        ),
        wiring_spec(
            f"{dist.key}.handlers",
            f"{name}'s containerd has a Kata runtime handler (runtime_type io.containerd.kata*.v2)",
            f'add a runtime handler with runtime_type = "io.containerd.kata.v2" to '
            f"{where}/config.toml.tmpl and {dist.restart}",
        ),
        wiring_spec(
            f"{dist.key}.shim",
            f"per handler (id.<handler>): its shim is an executable in {name}'s containerd "
            "search path",
            "install the Kata shim (containerd-shim-kata-v2) into /usr/local/bin",
            per_item=True,
        ),
        wiring_spec(
            f"{dist.key}.kata-config",
            "per handler (id.<handler>): its options.ConfigPath exists and loads",
            "point options.ConfigPath at an installed Kata configuration file",
            per_item=True,
        ),
        wiring_spec(
            f"{dist.key}.snapshotter",
            "per handler (id.<handler>): its snapshotter is available",
            "set up the snapshotter, or set the handler's snapshotter to overlayfs",
            per_item=True,
        ),
        template=wiring_spec(
            f"{dist.key}.template",
            f"{name}'s containerd template (config-v3.toml.tmpl, config.toml.tmpl), when "
            "there is one, is what config.toml was rendered from",
            f"{dist.restart}, so that it renders config.toml from the template",
            required=False,
        ),
    )


EMBEDDED = {dist.key: embedded_specs(dist) for dist in rancher.DISTRIBUTIONS}


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
    rendered_from: str = ""  # the template the next start renders the file from, if any


def _source(config: containerd.ContainerdConfig) -> str:
    if config.source == containerd.DUMP_SOURCE:
        return "from `containerd config dump`"
    count = len(config.files)
    text = f"from {count} file{'s' if count != 1 else ''}"
    return text + (f"; {config.dump_note}" if config.dump_note else "")


def judge(
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
    elif how.lost_at_restart and how.rendered_from:
        names = ", ".join(shown(n) for n in how.lost_at_restart[:4])
        yield specs.handlers.warned(
            f"{listed}; {_source(config)}; but {how.manager} renders {config.path} from "
            f"{how.rendered_from} at every start, and that template does not have {names} "
            "(added to config.toml after it was rendered): lost at its next start",
            f"add the handler to {how.rendered_from}, or move it into a file {config.path} imports",
        )
    elif how.lost_at_restart:
        yield specs.handlers.warned(
            f"{listed}; {_source(config)}; but {how.manager} rewrites {config.path} at every "
            f"start and no template renders {', '.join(shown(n) for n in how.lost_at_restart[:4])}"
            ": lost at its next start",
            f"copy {config.path} to {posixpath.dirname(config.path)}/{_template_name(config)} "
            f"(it is then rendered at every start), or move the handler into a file "
            f"{config.path} imports",
        )
    else:
        yield specs.handlers.passed(f"{listed}; {_source(config)}")
    for handler in handlers[:MAX_HANDLERS]:
        yield shim(
            ctx,
            specs.shim.for_item(handler.name),
            handler.name,
            handler.shim,
            how.search_path,
            how.manager,
        )
        yield kata_config(
            ctx, specs.kata_config.for_item(handler.name), handler, "options.ConfigPath"
        )
        yield _snapshotter(ctx, specs.snapshotter.for_item(handler.name), config, handler)


def judge_embedded(ctx: CheckContext, found: rancher.Embedded) -> Iterator[CheckResult]:
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
        rendered_from=template.path
        if template is not None and template.state == rancher.RENDERED
        else "",
    )
    yield from judge(ctx, config, how)


def _template_to_edit(found: rancher.Embedded, config: containerd.ContainerdConfig) -> str:
    """Where a Kata handler goes so that the distribution's every start renders it."""
    if found.template is not None:
        return found.template.path
    return (
        f"{found.distribution.containerd_dir}/{_template_name(config)} (a new template: a copy of config.toml, "
        'or {{ template "base" . }} followed by the table)'
    )


def _template_name(config: containerd.ContainerdConfig) -> str:
    """The template a distribution renders a configuration of this version from."""
    return rancher.TEMPLATES[0] if config.version >= 3 else rancher.TEMPLATES[1]


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
    why = template.why or (
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
