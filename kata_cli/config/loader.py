"""Read, merge and validate a configuration into one `Config` object.

Steps, each usable on its own (the linter uses the early ones and reports instead of
raising): `read_files` (main file + `config.d` drop-ins, TOML parsed with tomllib) ->
`merge` (`config.merge`: tables key by key, arrays and scalars replaced, with the file that set each key)
-> `detect_flavour` -> `select_tables` (deterministic) -> `check_types` -> `effective`.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from kata_cli.config import discovery, locate, schema, tomlread
from kata_cli.config.discovery import Located
from kata_cli.config.effective import apply_effective
from kata_cli.config.merge import Layers, defines
from kata_cli.config.model import Config, ConfigFile
from kata_cli.errors import ConfigError, ConfigNotFound
from kata_cli.host import Host

MAX_CONFIG_BYTES = 4 * 1024 * 1024


# -- reading ----------------------------------------------------------------------------


def parse_text(text: str, path: str) -> dict[str, Any]:
    """Parse TOML; a syntax error becomes `path:line:col: message`."""
    try:
        return tomlread.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if match:
            message = message[: match.start()].strip()
            raise ConfigError(
                f"{path}:{match.group(1)}:{match.group(2)}: invalid TOML: {message}",
                "fix the syntax of that line",
            ) from None
        if "end of document" in message:
            line = text.count("\n") + 1
            raise ConfigError(f"{path}:{line}:1: invalid TOML: {message}") from None
        raise ConfigError(f"{path}: invalid TOML: {message}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None


def decode_bytes(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}:{line}: not valid UTF-8 (byte 0x{data[exc.start]:02x})",
            "TOML files must be UTF-8 encoded",
        ) from None


def read_one(fs: Host, path: str, role: str) -> ConfigFile:
    try:
        if fs.is_dir(path):
            raise ConfigError(f'error reading file "{path}": it is a directory')
        data = fs.read_bytes(path, limit=MAX_CONFIG_BYTES + 1)
    except PermissionError:
        raise ConfigError(
            f'error reading file "{path}": permission denied', "run as root or fix its mode"
        ) from None
    except OSError as exc:
        raise ConfigError(f'error reading file "{path}": {exc.strerror or exc}') from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB")
    text = decode_bytes(data, path)
    return ConfigFile(path, text, parse_text(text, path), role)


def dropin_paths(fs: Host, main_path: str) -> list[str]:
    """`config.d/` entries next to the resolved main file, in file-name order."""
    directory = os.path.join(os.path.dirname(main_path), "config.d")
    if not fs.is_dir(directory):
        return []
    try:
        names = fs.listdir(directory)
    except OSError as exc:
        raise ConfigError(f'error reading "{directory}" directory: {exc.strerror or exc}') from None
    return [os.path.join(directory, name) for name in names]


def read_files(located: Located) -> list[ConfigFile]:
    """The main file and its drop-ins, parsed. Raises ConfigError naming the file and line."""
    if located.embedded:
        return [read_one(located.fs, located.path, "embedded")]
    files = [read_one(located.fs, located.path, "main")]
    for path in dropin_paths(located.fs, located.path):
        files.append(read_one(located.fs, path, "drop-in"))
    return files


# -- merging ----------------------------------------------------------------------------


def merge(
    files: list[ConfigFile], fold: bool = False
) -> tuple[dict[str, Any], dict[tuple[str, ...], str]]:
    """The merged tree and the file that set each key (`config.merge`), `fold`ed as the Go
    runtime decodes when asked. Nesting too deep to walk is a ConfigError."""
    try:
        view = Layers((item.path, item.data) for item in files).view(fold)
    except RecursionError:
        raise ConfigError(
            f"{files[-1].path}: tables nested too deeply to read", "flatten the configuration"
        ) from None
    return view.tree, view.origins


# -- flavour and selection -------------------------------------------------------------

_RS_ONLY_HYPERVISOR_KEYS = frozenset(
    name for name, spec in schema.HYPERVISOR_KEYS.items() if spec.flavour == "rs"
) - {"log_level"}
_RS_ONLY_AGENT_KEYS = frozenset(
    name for name, spec in schema.AGENT_KEYS.items() if spec.flavour == "rs"
) - {"create_container_timeout", "log_level"}


_GO_ONLY_HYPERVISOR_KEYS = frozenset(
    name for name, spec in schema.HYPERVISOR_KEYS.items() if spec.flavour == "go"
)
_GO_ONLY_AGENT_KEYS = frozenset(
    name for name, spec in schema.AGENT_KEYS.items() if spec.flavour == "go"
)


def detect_flavour(path: str, raw: Mapping[str, Any]) -> str:
    """`rs` for runtime-rs configurations, else `go` (config-schema section 7).

    Strong signs first (the path, `[runtime]` selectors, runtime-rs-only tables); then the
    keys: runtime-rs only when its own keys outnumber Go-only ones, so a Go file with one
    stray runtime-rs key is still read as Go (and linted for that key).
    """
    if "runtime-rs" in path.split(os.sep) or "-runtime-rs" in os.path.basename(path):
        return "rs"
    runtime = raw.get("runtime")
    if isinstance(runtime, dict) and ({"hypervisor_name", "agent_name", "name"} & set(runtime)):
        return "rs"
    rs_keys = go_keys = 0
    for name, table in _tables(raw, "hypervisor").items():
        if name == "openvmm" or isinstance(table.get("factory"), dict):
            return "rs"
        rs_keys += len(_RS_ONLY_HYPERVISOR_KEYS & set(table))
        go_keys += len(_GO_ONLY_HYPERVISOR_KEYS & set(table))
    for table in _tables(raw, "agent").values():
        if isinstance(table.get("mem_agent"), dict):
            return "rs"
        rs_keys += len(_RS_ONLY_AGENT_KEYS & set(table))
        go_keys += len(_GO_ONLY_AGENT_KEYS & set(table))
    return "rs" if rs_keys > go_keys else "go"


def _tables(raw: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    section = raw.get(kind)
    if not isinstance(section, dict):
        return {}
    return {name: value for name, value in section.items() if isinstance(value, dict)}


def select_tables(
    raw: Mapping[str, Any], flavour: str, path: str, files: list[ConfigFile] | None = None
) -> tuple[str, str]:
    """The hypervisor and agent table names in use. Deterministic, or a clear error."""
    runtime = raw.get("runtime") if isinstance(raw.get("runtime"), dict) else {}
    assert isinstance(runtime, dict)
    hypervisors = _tables(raw, "hypervisor")
    agents = _tables(raw, "agent")
    known = schema.RS_HYPERVISORS if flavour == "rs" else schema.GO_HYPERVISORS
    for name in hypervisors:
        if name not in known:
            where = _where(files, ("hypervisor", name)) or path
            raise ConfigError(
                f'{where}: configuration file contains invalid hypervisor section: "{name}"',
                f"use one of: {', '.join(known)}",
            )
    hv_name = _choose("hypervisor", hypervisors, runtime.get("hypervisor_name"), path, files)
    agent_name = _choose("agent", agents, runtime.get("agent_name"), path, files)
    return hv_name or "qemu", agent_name or "kata"


def _choose(
    kind: str,
    tables: Mapping[str, Any],
    selector: Any,
    path: str,
    files: list[ConfigFile] | None,
) -> str | None:
    if isinstance(selector, str) and selector:
        if selector not in tables:
            where = _where(files, ("runtime", f"{kind}_name")) or path
            names = ", ".join(f"[{kind}.{n}]" for n in tables) or "none"
            raise ConfigError(
                f'{where}: {kind}_name = "{selector}" but there is no [{kind}.{selector}] table '
                f"(found: {names})"
            )
        return selector
    if len(tables) > 1:
        names = ", ".join(f"[{kind}.{n}]" for n in tables)
        raise ConfigError(
            f"{path}: several {kind} tables ({names}) and no [runtime] {kind}_name to choose one",
            f"keep one table or set [runtime] {kind}_name",
        )
    return next(iter(tables), None)


def _where(files: list[ConfigFile] | None, path: tuple[str, ...]) -> str | None:
    """`file:line:col` of a key or table, searching the files last-to-first."""
    for item in reversed(files or []):
        pos = locate.find(item.text, path)
        if pos is not None and defines(item.data, path):
            return f"{item.path}:{pos.line}:{pos.column}"
    return None


# -- types ------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _list_of(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, list) and all(test(item) for item in value)


# kind -> (what a value of that kind is, the test); integer kinds also have a range
_SHAPES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    schema.BOOL: ("a boolean", lambda value: isinstance(value, bool)),
    schema.STRING: ("a string", lambda value: isinstance(value, str)),
    schema.FLOAT: ("a number", lambda value: _is_int(value) or isinstance(value, float)),
    schema.STRINGS: ("an array of strings", _list_of(lambda item: isinstance(item, str))),
    "ints": ("an array of integers", _list_of(_is_int)),
    schema.TABLES: ("an array of tables", _list_of(lambda item: isinstance(item, dict))),
}


def type_problem(kind: str, value: Any) -> str | None:
    """Why `value` does not fit a key of `kind` (None when it fits)."""
    if kind in schema.INT_RANGES and kind not in _SHAPES:
        if not _is_int(value):
            return f"expected an integer, got {_toml_type(value)}"
        low, high = schema.INT_RANGES[kind]
        if not low <= value <= high:
            return f"{value} is out of range for {kind} ({low}..{high})"
        return None
    what, fits = _SHAPES.get(kind, ("", lambda value: True))
    if not fits(value):
        return f"expected {what}, got {_toml_type(value)}"
    if kind == schema.FLOAT and value != value:  # TOML's nan: no comparison, so no clamp, holds
        return "nan is not a number (the runtime's clamps cannot handle it)"
    return None


# TOML's names of the Python types tomllib returns (bool first: a bool is also an int)
_TOML_TYPES: dict[type, str] = {
    bool: "boolean",
    int: "integer",
    float: "float",
    str: "string",
    list: "array",
    dict: "table",
}


def _toml_type(value: Any) -> str:
    for kind, name in _TOML_TYPES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def lookup(table: Mapping[str, Any], name: str, flavour: str) -> tuple[str, Any] | None:
    """A key's (spelling, value): exact, or case-insensitive for the Go runtime."""
    if name in table:
        return name, table[name]
    if flavour == "go":
        lowered = name.lower()
        for spelling, value in table.items():
            if spelling.lower() == lowered:
                return spelling, value
    return None


def sections(
    raw: Mapping[str, Any], flavour: str, hv_name: str, agent_name: str
) -> list[tuple[tuple[str, ...], dict[str, Any], dict[str, schema.KeySpec]]]:
    """(table path, raw table, catalogue) for every table the loader reads."""
    hv = _tables(raw, "hypervisor").get(hv_name, {})
    agent = _tables(raw, "agent").get(agent_name, {})
    runtime = raw.get("runtime") if isinstance(raw.get("runtime"), dict) else {}
    result = [
        (("hypervisor", hv_name), hv, schema.HYPERVISOR_KEYS),
        (("agent", agent_name), agent, schema.AGENT_KEYS),
        (("runtime",), runtime, schema.RUNTIME_KEYS),
    ]
    if flavour == "rs":
        factory = hv.get("factory") if isinstance(hv.get("factory"), dict) else {}
        result.append((("hypervisor", hv_name, "factory"), factory, schema.FACTORY_KEYS))
    else:
        factory = raw.get("factory") if isinstance(raw.get("factory"), dict) else {}
        result.append((("factory",), factory, schema.FACTORY_KEYS))
    return [(p, t if isinstance(t, dict) else {}, c) for p, t, c in result]


def check_types(
    raw: Mapping[str, Any], flavour: str, hv_name: str, agent_name: str, files: list[ConfigFile]
) -> None:
    """Raise on the first key whose TOML type does not fit (file:line named)."""
    for table_path, table, catalogue in sections(raw, flavour, hv_name, agent_name):
        for name, spec in catalogue.items():
            found = lookup(table, name, flavour)
            if found is None:
                continue
            spelling, value = found
            problem = type_problem(spec.kind, value)
            if problem:
                where = _where(files, (*table_path, spelling)) or files[-1].path
                dotted = ".".join(table_path)
                raise ConfigError(f"{where}: [{dotted}] {spelling}: {problem}")


# -- effective values --------------------------------------------------------------------


def fill(
    cls: type, table: Mapping[str, Any], catalogue: Mapping[str, schema.KeySpec], flavour: str
) -> Any:
    """A table dataclass with the configured values over the defaults."""
    values: dict[str, Any] = {}
    for name, spec in catalogue.items():
        found = lookup(table, name, flavour)
        if found is None:
            continue
        value = found[1]
        if spec.kind == schema.FLOAT and isinstance(value, int):
            value = float(value)
        values[name] = value
    return cls(**values)


def load(
    host: Host,
    *,
    explicit: str | None = None,
    environ: dict[str, str] | None = None,
    flavour: str | None = None,
    allow_embedded: bool = True,
    host_file: str | None = None,
) -> Config:
    """Locate, read, merge, validate and resolve the effective configuration.

    `host_file` names a file under the host root (e.g. a containerd handler's
    ConfigPath): it and its drop-ins are read inside the root, like the defaults."""
    if host_file is not None:
        located: discovery.Located | None = discovery.Located(host_file, host_file, "default", host)
    else:
        located = discovery.locate(host, explicit, environ, allow_embedded)
    if located is None:
        raise ConfigNotFound(
            discovery.not_found_message(host),
            f"pass --config or install Kata; {discovery.LIST_PATHS_HINT}",
            explicit=False,
        )
    files = read_files(located)
    raw, origins = merge(files)
    chosen_flavour = flavour or detect_flavour(located.path, raw)
    if chosen_flavour not in ("go", "rs"):
        raise ConfigError(f"unknown flavour {chosen_flavour!r}", "use go or rs")
    if chosen_flavour == "go":
        raw, origins = merge(files, fold=True)
    hv_name, agent_name = select_tables(raw, chosen_flavour, located.path, files)
    check_types(raw, chosen_flavour, hv_name, agent_name, files)
    tables = {path: table for path, table, _ in sections(raw, chosen_flavour, hv_name, agent_name)}
    hv_table = tables[("hypervisor", hv_name)]
    factory_path = ("hypervisor", hv_name, "factory") if chosen_flavour == "rs" else ("factory",)
    config = Config(
        path=located.path,
        requested=located.requested,
        source=located.source,
        flavour=chosen_flavour,
        hypervisor_name=hv_name,
        hypervisor_type=hv_name,
        agent_name=agent_name,
        hypervisor=fill(schema.HypervisorConfig, hv_table, schema.HYPERVISOR_KEYS, chosen_flavour),
        agent=fill(
            schema.AgentConfig, tables[("agent", agent_name)], schema.AGENT_KEYS, chosen_flavour
        ),
        runtime=fill(
            schema.RuntimeConfig, tables[("runtime",)], schema.RUNTIME_KEYS, chosen_flavour
        ),
        factory=fill(
            schema.FactoryConfig, tables[factory_path], schema.FACTORY_KEYS, chosen_flavour
        ),
        raw=raw,
        origins=origins,
        files=files,
    )
    if located.embedded:
        config.notices.append(
            f"no Kata configuration file found in {discovery.searched_summary(host)} "
            f"({discovery.LIST_PATHS_HINT}); using the embedded default qemu configuration"
        )
    apply_effective(config, host, hv_table)
    return config
