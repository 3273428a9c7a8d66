"""containerd's configuration as containerd reads it, and its Kata runtime handlers.

Two sources. When the host root is `/` and a `containerd` binary is on PATH, the
installed containerd says what it loads: `containerd --config FILE config dump`
(bounded to DUMP_TIMEOUT). Otherwise, or when that cannot run, the files are read:
FILE and its `imports`, as containerd 2 resolves them (a relative path is relative to the
importing file's directory; a `*` makes it a glob; breadth first, each file once, so an
import loop ends), tables merged key by key, an imported file of an older `version`
migrated to the root file's layout first.

Layouts, by the root file's `version`:
  1 (or none): [plugins.cri.containerd.runtimes.NAME]
  2: [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.NAME]
  3: [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.NAME]
A Kata handler is one whose `runtime_type` is `io.containerd.kata*.v2`.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from typing import Any

from kata_cli.checks.wiring.tomlfiles import (
    MAX_FILE_BYTES,
    MAX_FILES,
    GlobBudget,
    glob,
    handler_type_errors,
    merge,
    read_recorded,
    string,
    table,
)
from kata_cli.config import tomlread
from kata_cli.host import Host
from kata_cli.record import field, record

CONFIG = "/etc/containerd/config.toml"
DUMP_TIMEOUT = 5.0
DUMP_SOURCE = "containerd config dump"
FILES_SOURCE = "files"
V2_CRI = "io.containerd.grpc.v1.cri"
V3_RUNTIME = "io.containerd.cri.v1.runtime"
V3_IMAGES = "io.containerd.cri.v1.images"
DEVMAPPER_PLUGIN = "io.containerd.snapshotter.v1.devmapper"
DEFAULT_SNAPSHOTTER = "overlayfs"
MAX_IMPORTS_PER_FILE = 64
MAX_PENDING = 1024  # distinct files waiting to be read
_KATA_TYPE = re.compile(r"io\.containerd\.kata[A-Za-z0-9_-]*\.v2")
_KATA_SHIM = re.compile(r"containerd-shim-kata[A-Za-z0-9_-]*-v2")


def is_kata_type(runtime_type: str) -> bool:
    """`io.containerd.kata.v2`, `io.containerd.kata-qemu.v2`, or a path to a Kata shim."""
    if runtime_type.startswith("/"):
        return bool(_KATA_SHIM.fullmatch(posixpath.basename(runtime_type)))
    return bool(_KATA_TYPE.fullmatch(runtime_type))


def shim_binary(runtime_type: str) -> str:
    """The shim containerd starts for a runtime type: `io.containerd.kata-qemu.v2` ->
    `containerd-shim-kata-qemu-v2` (the last two dotted parts); a path is used as is."""
    if runtime_type.startswith("/"):
        return runtime_type
    parts = runtime_type.split(".")
    if len(parts) < 2 or not parts[0]:
        return ""
    return f"containerd-shim-{parts[-2]}-{parts[-1]}"


def runtime_plugin(version: int) -> str:
    """The plugin whose `containerd.runtimes` lists the handlers in this layout."""
    return V3_RUNTIME if version >= 3 else V2_CRI


def handler_table(version: int, name: str) -> str:
    """The TOML header of a runtime handler, as written in a file of this version."""
    plugin = "cri" if version < 2 else f'"{runtime_plugin(version)}"'
    return f"[plugins.{plugin}.containerd.runtimes.{_toml_key(name)}]"


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else '"' + name.replace('"', "'") + '"'


@record
class Handler:
    """One Kata runtime handler in containerd's CRI configuration."""

    name: str
    runtime_type: str
    runtime_path: str  # containerd 1.7+/2: the shim binary, overriding runtime_type
    config_path: str  # options.ConfigPath, "" when unset
    snapshotter: str  # the handler's own, else the CRI default
    table: str  # its TOML header in the root file's layout

    @property
    def shim(self) -> str:
        """The shim program: `runtime_path`, else the one derived from `runtime_type`."""
        return self.runtime_path or shim_binary(self.runtime_type)


@record
class ContainerdConfig:
    """containerd's effective configuration and where it came from."""

    path: str
    source: str  # DUMP_SOURCE | FILES_SOURCE
    version: int = 2  # the root file's; 1 is read through the version 2 plugin names
    data: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # containerd would not start with these
    dump_note: str = ""  # why the dump was not used (empty when it was, or not tried)
    # containerd 1.x's view of the same files: a later file's plugin table replaces the
    # whole earlier one instead of being merged into it (files source only)
    legacy_data: dict[str, Any] | None = None
    # handler name -> the files whose tables name it, in read order (files source only)
    handler_files: dict[str, list[str]] = field(default_factory=dict)

    @property
    def plugins(self) -> dict[str, Any]:
        return table(self.data, "plugins")

    @property
    def cri(self) -> dict[str, Any]:
        """The `containerd` table of the CRI runtime plugin."""
        return table(self.plugins, runtime_plugin(self.version), "containerd")

    def runtimes(self) -> dict[str, Any]:
        return table(self.cri, "runtimes")

    @property
    def default_snapshotter(self) -> str:
        if self.version >= 3:
            value = string(table(self.plugins, V3_IMAGES), "snapshotter")
        else:
            value = string(self.cri, "snapshotter")
        return value or DEFAULT_SNAPSHOTTER

    @property
    def devmapper_pool(self) -> str:
        return string(table(self.plugins, DEVMAPPER_PLUGIN), "pool_name")

    def proxy_address(self, name: str) -> str:
        """The socket of a proxy snapshotter plugin (nydus, stargz), "" when not declared."""
        return string(table(self.data, "proxy_plugins", name), "address")

    def lost_by_containerd_1(self) -> list[str]:
        """Kata handlers that containerd 1.x does not see in these files (see legacy_data)."""
        if self.legacy_data is None or self.version >= 3:
            return []
        legacy = ContainerdConfig(self.path, self.source, self.version, self.legacy_data)
        kept = {h.name for h in legacy.handlers()}
        return [h.name for h in self.handlers() if h.name not in kept]

    def handlers(self) -> list[Handler]:
        """The Kata handlers, in file order."""
        found = []
        for name, entry in self.runtimes().items():
            if not isinstance(entry, dict) or not is_kata_type(string(entry, "runtime_type")):
                continue
            options = table(entry, "options")
            config_path = next(
                (v for k, v in options.items() if k.lower() == "configpath" and isinstance(v, str)),
                "",
            )
            found.append(
                Handler(
                    name=name,
                    runtime_type=string(entry, "runtime_type"),
                    runtime_path=string(entry, "runtime_path"),
                    config_path=config_path,
                    snapshotter=string(entry, "snapshotter") or self.default_snapshotter,
                    table=handler_table(self.version, name),
                )
            )
        return found

    def handler_names(self) -> list[str]:
        return list(self.runtimes())

    def other_layout_handlers(self) -> list[str]:
        """Kata handlers written in the other layout, which this version does not read."""
        other = V2_CRI if self.version >= 3 else V3_RUNTIME
        runtimes = table(self.plugins, other, "containerd", "runtimes")
        return [
            f'{name} (under plugins."{other}")'
            for name, entry in runtimes.items()
            if isinstance(entry, dict) and is_kata_type(string(entry, "runtime_type"))
        ]


def load(host: Host, path: str = CONFIG, *, use_binary: bool = True) -> ContainerdConfig | None:
    """containerd's configuration; None when `path` does not exist under the host root."""
    if not host.lexists(path):
        return None
    note = ""
    if use_binary and host.is_native:
        dumped, note = dump(host, path)
        if dumped is not None:
            return dumped
    config = read_files(host, path)
    config.dump_note = note
    return config


def dump(host: Host, path: str) -> tuple[ContainerdConfig | None, str]:
    """The installed containerd's own merged view, or None and why it was not used."""
    binary = host.which("containerd")
    if binary is None:
        return None, ""
    result = host.run(
        [binary, "--config", path, "config", "dump"],
        timeout=DUMP_TIMEOUT,
        max_output=4 * MAX_FILE_BYTES,
        cwd="/",  # containerd 1.x resolves a relative glob import against its working directory
    )
    if result.error or result.timed_out:
        return None, f"`containerd config dump` {result.describe()}"
    if result.returncode != 0:
        lines = result.stderr_text.strip().splitlines()
        reason = lines[-1][:300] if lines else result.describe()
        config = read_files(host, path)
        config.errors.insert(0, f"containerd cannot load it: {reason}")
        config.dump_note = "`containerd config dump` failed"
        return config, ""
    try:  # the installed binary is the host's too: its output gets the files' limits
        data = tomlread.loads(result.stdout_text)
    except tomlread.TomlLimitError as exc:
        return None, f"`containerd config dump` printed TOML past kata-cli's limits ({exc})"
    except tomllib.TOMLDecodeError:
        return None, "`containerd config dump` printed no TOML"
    version = data.get("version")
    imports = data.get("imports")
    files = [f for f in imports if isinstance(f, str)] if isinstance(imports, list) else []
    return (
        ContainerdConfig(
            path=path,
            source=DUMP_SOURCE,
            version=version if isinstance(version, int) else 2,
            data=data,
            files=files or [path],
        ),
        "",
    )


def read_files(host: Host, path: str) -> ContainerdConfig:
    """FILE and its imports, merged (see the module docstring); never raises."""
    config = ContainerdConfig(path=path, source=FILES_SOURCE)
    merged: dict[str, Any] = {}
    legacy: dict[str, Any] = {}
    pending = [path]
    loaded: set[str] = set()
    root_version: int | None = None
    budget = GlobBudget()
    while pending:
        current = pending.pop(0)
        if current in loaded:
            continue
        if len(loaded) >= MAX_FILES:
            config.errors.append(f"more than {MAX_FILES} files imported; the rest were not read")
            break
        loaded.add(current)
        data = read_recorded(host, current, config.files, config.errors)
        if data is None:
            continue
        version = _version(data, current, config.errors)
        if root_version is None:
            root_version = version
        elif version > root_version:
            config.errors.append(
                f"{current}: version {version} is higher than the root file's {root_version}"
            )
            continue
        if "plugins" in data and not isinstance(data["plugins"], dict):
            config.errors.append(f"{current}: plugins must be a table")
            continue
        migrated = _migrate(data, version, root_version)
        runtimes = table(
            migrated, "plugins", runtime_plugin(root_version), "containerd", "runtimes"
        )
        for name in runtimes:
            config.handler_files.setdefault(name, []).append(current)
        merge(merged, migrated)
        merge(legacy, {k: v for k, v in migrated.items() if k != "plugins"})
        legacy.setdefault("plugins", {}).update(table(migrated, "plugins"))
        # containerd reads each file once: a file imported again (a drop-in importing
        # its own directory) is no new work, and must not count against MAX_PENDING
        pending += [
            path
            for path in _imports(host, current, data, config.errors, budget)
            if path not in loaded and path not in pending
        ]
        if budget.exhausted:
            config.errors.append("imports match too many files; the rest were not read")
            break
        if len(pending) > MAX_PENDING:
            config.errors.append(f"more than {MAX_PENDING} imports; the rest were not read")
            break
    config.version = root_version or 1
    config.data = merged
    config.legacy_data = legacy
    _type_errors(config)
    return config


def _version(data: dict[str, Any], path: str, errors: list[str]) -> int:
    value = data.get("version", 1)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3:
        errors.append(f"{path}: version must be 1, 2 or 3, not {str(value)[:40]!r}")
        return 2
    return value


def _migrate(data: dict[str, Any], version: int, root_version: int) -> dict[str, Any]:
    """A file's tables in the root file's layout (the parts the checks read)."""
    plugins = table(data, "plugins")
    if version < 2 and "cri" in plugins:
        plugins = {**plugins, V2_CRI: plugins["cri"]}
        plugins.pop("cri")
    if root_version >= 3 and version < 3 and V2_CRI in plugins:
        old = table(plugins, V2_CRI, "containerd")
        moved: dict[str, Any] = {}
        if "runtimes" in old:
            moved[V3_RUNTIME] = {"containerd": {"runtimes": old["runtimes"]}}
        if "snapshotter" in old:
            moved[V3_IMAGES] = {"snapshotter": old["snapshotter"]}
        plugins = {k: v for k, v in plugins.items() if k != V2_CRI}
        merge(plugins, moved)
    return {**data, "plugins": plugins} if plugins or "plugins" in data else data


def _imports(
    host: Host, parent: str, data: dict[str, Any], errors: list[str], budget: GlobBudget
) -> list[str]:
    """The files an `imports` list names, resolved against the importing file."""
    value = data.get("imports", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(f"{parent}: imports must be a list of strings")
        return []
    if len(value) > MAX_IMPORTS_PER_FILE:
        errors.append(f"{parent}: more than {MAX_IMPORTS_PER_FILE} imports; the rest were ignored")
        value = value[:MAX_IMPORTS_PER_FILE]
    found: list[str] = []
    for entry in value:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(parent), entry))
        if "*" in target:
            found += glob(host, target, budget)
        else:
            found.append(target)
    return found


def _type_errors(config: ContainerdConfig) -> None:
    """Values containerd refuses to decode in the tables the checks read."""
    config.errors += handler_type_errors(
        config.runtimes(),
        lambda name: handler_table(config.version, name),
        ("runtime_type", "runtime_path", "snapshotter"),
    )
