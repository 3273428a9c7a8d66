"""Container-manager wiring: will containerd or CRI-O actually start a Kata sandbox?

Check ids (stable; per-handler results append `.<handler>` to the id, the handler name
reduced to `[A-Za-z0-9_-]`):

| id | FAIL when |
| --- | --- |
| `wiring.manager` | never (SKIP: no containerd or CRI-O configuration, or Kata not installed) |
| `wiring.containerd.config` | the file or an import does not load (containerd would not start) |
| `wiring.containerd.handlers` | no runtime handler has `runtime_type = "io.containerd.kata*.v2"` |
| `wiring.containerd.shim.<h>` | the shim is not an executable in containerd's search path |
| `wiring.containerd.kata-config.<h>` | `options.ConfigPath` is missing or does not load |
| `wiring.containerd.snapshotter.<h>` | the handler's snapshotter is not usable (devmapper pool, overlay, proxy socket) |
| `wiring.crio.config` | a CRI-O file does not load |
| `wiring.crio.handlers` | no `[crio.runtime.runtimes.*]` handler runs Kata |
| `wiring.crio.runtime-type.<h>` | the Kata handler's `runtime_type` is not `"vm"` |
| `wiring.crio.shim.<h>` | `runtime_path` is not an executable Kata shim |
| `wiring.crio.kata-config.<h>` | `runtime_config_path` is missing or does not load |

containerd's search path for shims is systemd's default PATH (SEARCH_PATH): a shim that
is only in /opt/kata/bin is not found by containerd and FAILs with the link to make.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from kata_cli.checks import storage
from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import NOT_INSTALLED, WIRING, CheckResult, CheckSpec
from kata_cli.checks.wiring import containerd, crio
from kata_cli.errors import ConfigError

CATEGORY = "wiring"
SEARCH_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
KATA_BIN_DIRS = ("/opt/kata/bin", "/opt/kata/runtime-rs/bin")
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
    "a container manager (containerd or CRI-O) is configured to run Kata",
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
        CONTAINERD_CONFIG,
        CONTAINERD_HANDLERS,
        CONTAINERD_SHIM,
        CONTAINERD_KATA_CONFIG,
        CONTAINERD_SNAPSHOTTER,
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


def _shown(name: str) -> str:
    return name if len(name) <= 64 else name[:61] + "..."


def wiring_checks(
    ctx: CheckContext,
    *,
    containerd_config: str = containerd.CONFIG,
    crio_config: str = crio.CONFIG,
    crio_dropins: str = crio.DROPIN_DIR,
    use_binary: bool = True,
) -> Iterator[CheckResult]:
    """The wiring checks (the keyword arguments exist for tests)."""
    if not ctx.installed:
        yield MANAGER.skipped(NOT_INSTALLED)
        return
    ctr = containerd.load(ctx.host, containerd_config, use_binary=use_binary)
    cri = crio.load(ctx.host, crio_config, crio_dropins)
    if ctr is None and cri is None:
        yield MANAGER.skipped(
            f"no container manager configuration ({containerd_config}, {crio_config}, "
            f"{crio_dropins}/): nothing to check"
        )
        return
    names = [n for n, c in (("containerd", ctr), ("CRI-O", cri)) if c is not None]
    yield MANAGER.passed(" and ".join(names))
    if ctr is not None:
        yield from _containerd(ctx, ctr)
    if cri is not None:
        yield from _crio(ctx, cri)


# -- containerd -------------------------------------------------------------------------


def _source(config: containerd.ContainerdConfig) -> str:
    if config.source == containerd.DUMP_SOURCE:
        return "from `containerd config dump`"
    count = len(config.files)
    text = f"from {count} file{'s' if count != 1 else ''}"
    return text + (f"; {config.dump_note}" if config.dump_note else "")


def _containerd(ctx: CheckContext, config: containerd.ContainerdConfig) -> Iterator[CheckResult]:
    if config.errors:
        shown = "; ".join(config.errors[:3])
        more = f" (and {len(config.errors) - 3} more)" if len(config.errors) > 3 else ""
        yield CONTAINERD_CONFIG.failed(f"{config.path}: {shown}{more}")
    else:
        yield CONTAINERD_CONFIG.passed(
            f"{config.path} (version {config.version}, {_source(config)})"
        )
    handlers = config.handlers()
    if not handlers:
        table = containerd.handler_table(config.version, "kata")
        others = ", ".join(_shown(n) for n in config.handler_names()[:8]) or "none"
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
        yield CONTAINERD_HANDLERS.failed(
            detail,
            f'add {table} with runtime_type = "io.containerd.kata.v2" to {config.path} '
            "(or a file it imports) and restart containerd",
        )
        return
    listed = ", ".join(f"{_shown(h.name)} ({_shown(h.runtime_type)})" for h in handlers[:8])
    lost = config.lost_by_containerd_1()
    if lost:
        yield CONTAINERD_HANDLERS.warned(
            f"{listed}; {_source(config)}; but containerd 1.x replaces a plugin's whole table "
            f"with a later file's, and then loses {', '.join(_shown(n) for n in lost[:4])}",
            "with containerd 1.x, define the Kata handlers in the last file that writes "
            'the plugins."io.containerd.grpc.v1.cri" table',
        )
    else:
        yield CONTAINERD_HANDLERS.passed(f"{listed}; {_source(config)}")
    for handler in handlers[:MAX_HANDLERS]:
        yield _shim(ctx, for_handler(CONTAINERD_SHIM, handler.name), handler.name, handler.shim)
        yield _kata_config(
            ctx, for_handler(CONTAINERD_KATA_CONFIG, handler.name), handler, "options.ConfigPath"
        )
        yield _snapshotter(ctx, for_handler(CONTAINERD_SNAPSHOTTER, handler.name), config, handler)


def _snapshotter(
    ctx: CheckContext,
    spec: CheckSpec,
    config: containerd.ContainerdConfig,
    handler: containerd.Handler,
) -> CheckResult:
    name = handler.snapshotter
    prefix = f"handler {_shown(handler.name)}: snapshotter {_shown(name)}"
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
        others = ", ".join(_shown(n) for n in list(config.runtimes())[:8]) or "none"
        yield CRIO_HANDLERS.failed(
            f"{files or crio.CONFIG}: no [crio.runtime.runtimes.*] handler runs Kata "
            f"(handlers: {others})"
        )
        return
    yield CRIO_HANDLERS.passed(", ".join(_shown(h.name) for h in handlers[:8]))
    for handler in handlers[:MAX_HANDLERS]:
        type_spec = for_handler(CRIO_RUNTIME_TYPE, handler.name)
        if handler.runtime_type == crio.VM_TYPE:
            yield type_spec.passed(f"handler {_shown(handler.name)}: runtime_type = vm")
        else:
            yield type_spec.failed(
                f"handler {_shown(handler.name)}: runtime_type = {_shown(handler.runtime_type)}, "
                "so CRI-O runs the Kata shim as an OCI runtime"
            )
        yield _crio_shim(ctx, for_handler(CRIO_SHIM, handler.name), handler)
        yield _kata_config(
            ctx, for_handler(CRIO_KATA_CONFIG, handler.name), handler, "runtime_config_path"
        )


def _crio_shim(ctx: CheckContext, spec: CheckSpec, handler: crio.Handler) -> CheckResult:
    result = _shim(ctx, spec, handler.name, handler.shim)
    base = posixpath.basename(handler.shim)
    if result.status == "pass" and not base.startswith("containerd-shim-"):
        return spec.failed(
            f"handler {_shown(handler.name)}: runtime_path {_shown(handler.shim)} is not a "
            "containerd shim (kata-runtime is not one)",
            "set runtime_path to containerd-shim-kata-v2",
        )
    return result


# -- shared -----------------------------------------------------------------------------


def find_program(ctx: CheckContext, program: str) -> tuple[str, str]:
    """Where a program is: (the host path named or found, its resolved target), or ("", "")."""
    candidates = [program] if "/" in program else [f"{d}/{program}" for d in SEARCH_PATH]
    for candidate in candidates:
        try:
            resolved = ctx.host.resolve(candidate)
        except OSError:
            continue
        if ctx.host.kind(resolved) == "file":
            return candidate, resolved
    return "", ""


def _shim(ctx: CheckContext, spec: CheckSpec, handler: str, program: str) -> CheckResult:
    prefix = f"handler {_shown(handler)}"
    if not program:
        return spec.failed(f"{prefix}: no shim can be derived from its runtime_type")
    found, resolved = find_program(ctx, program)
    if not found:
        if "/" in program:
            return spec.failed(f"{prefix}: {_shown(program)} does not exist")
        elsewhere = [
            f"{d}/{program}" for d in KATA_BIN_DIRS if ctx.host.kind(f"{d}/{program}") == "file"
        ]
        where = ":".join(SEARCH_PATH)
        if elsewhere:
            return spec.failed(
                f"{prefix}: {_shown(program)} is in {posixpath.dirname(elsewhere[0])}, "
                f"which is not in containerd's search path ({where})",
                f"ln -s {elsewhere[0]} /usr/local/bin/{program}",
            )
        return spec.failed(f"{prefix}: {_shown(program)} is not in {where}")
    if not ctx.host.is_executable(resolved):
        return spec.failed(f"{prefix}: {found} is not executable", f"chmod 755 {resolved}")
    target = f" -> {resolved}" if resolved != found else ""
    return spec.passed(f"{prefix}: {found}{target}")


def _kata_config(
    ctx: CheckContext,
    spec: CheckSpec,
    handler: containerd.Handler | crio.Handler,
    key: str,
) -> CheckResult:
    from kata_cli.config import loader

    prefix = f"handler {_shown(handler.name)}"
    path = handler.config_path
    if not path:
        default = ctx.config.path if ctx.config is not None else "the default search list"
        return spec.skipped(
            f"{prefix}: no {key}; the shim reads the default configuration ({default})"
        )
    if not path.startswith("/"):
        return spec.failed(f"{prefix}: {key} {_shown(path)} is not an absolute path")
    try:
        resolved = ctx.host.resolve(path)
    except FileNotFoundError:
        return spec.failed(f"{prefix}: {key} {_shown(path)} does not exist")
    except OSError as exc:
        return spec.failed(f"{prefix}: {key} {_shown(path)}: {exc.strerror or exc}")
    if ctx.host.kind(resolved) != "file":
        return spec.failed(f"{prefix}: {key} {_shown(path)} is not a regular file")
    try:  # read inside the host root, drop-ins included
        loaded = loader.load(ctx.host, host_file=resolved, environ={}, allow_embedded=False)
    except (ConfigError, OSError, ValueError) as exc:
        message = exc.one_line() if isinstance(exc, ConfigError) else str(exc)
        return spec.failed(f"{prefix}: {key} {_shown(path)} does not load: {message}")
    detail = f"{prefix}: {_shown(path)} loads (hypervisor {loaded.hypervisor_type})"
    judged = ctx.config.path if ctx.config is not None and not ctx.config.embedded else ""
    if judged and judged not in (path, resolved):
        detail += f"; the other checks judged {judged} (--config {_shown(path)} judges this one)"
    return spec.passed(detail)
