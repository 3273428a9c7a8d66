"""`config show`: the effective configuration as ordered tables of (key, value, origin)."""

from __future__ import annotations

from typing import Any

from kata_cli.config import loader
from kata_cli.config.model import Config
from kata_cli.record import field, fields, record


@record
class Entry:
    key: str
    value: Any
    origin: str  # file path, or "default"
    adjusted: str = ""  # why the runtime changed the configured value


@record
class Table:
    name: str
    entries: list[Entry] = field(default_factory=list)


@record
class View:
    path: str
    flavour: str
    files: list[str]
    tables: list[Table]


# output is pasted into bug reports: a value under a secret key name (see
# kata_cli/redaction/keys.py, e.g. jaeger_password) is never printed, and secrets inside
# other values (URL credentials in jaeger_endpoint or kernel_params, tokens) are masked
REDACTED = "<redacted>"


def effective_view(config: Config) -> View:
    adjustments = {(a.table, a.key): a for a in config.adjustments}
    hv_path = ("hypervisor", config.hypervisor_name)
    factory_path = (*hv_path, "factory") if config.flavour == "rs" else ("factory",)
    layout: list[tuple[tuple[str, ...], Any, str]] = [
        (hv_path, config.hypervisor, "hypervisor"),
        (("agent", config.agent_name), config.agent, "agent"),
        (("runtime",), config.runtime, "runtime"),
        (factory_path, config.factory, "factory"),
    ]
    from kata_cli.redaction import Redactor, is_secret_key

    redactor = Redactor(keep_controls=True)  # the TOML and JSON renderers escape them
    tables = []
    for path, values, kind in layout:
        raw = _raw_table(config, path)
        table = Table(".".join(path))
        for item in fields(values):
            spec = item.metadata
            if spec.get("flavour", "both") not in ("both", config.flavour):
                continue
            found = loader.lookup(raw, item.name, config.flavour)
            origin = config.origin(*path, found[0]) if found else "default"
            adjustment = adjustments.get((kind, item.name))
            reason = ""
            if adjustment is not None:
                reason = adjustment.reason
                if found:
                    reason = f"configured {adjustment.configured!r}; {reason}"
            value = getattr(values, item.name)
            if is_secret_key(item.name) and value and not isinstance(value, bool):
                value, reason = REDACTED, "redacted: a secret"
            else:
                value, reason = redactor.data(value), redactor.text(reason)
            table.entries.append(Entry(item.name, value, origin, reason))
        tables.append(table)
    return View(config.path, config.flavour, [f.path for f in config.files], tables)


def _raw_table(config: Config, path: tuple[str, ...]) -> dict[str, Any]:
    node: Any = config.raw
    for part in path:
        found = loader.lookup(node, part, config.flavour) if isinstance(node, dict) else None
        if found is None:
            return {}
        node = found[1]
    return node if isinstance(node, dict) else {}
