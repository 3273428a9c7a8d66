"""Output of `config show`: TOML (optionally with the origin of each value) or JSON."""

from __future__ import annotations

import json
from typing import Any

from kata_cli.lint.show import View
from kata_cli.render.gotoml import scalar
from kata_cli.render.jsonout import to_data
from kata_cli.render.terminal import out

SCHEMA = "kata-cli/config-show/1"


def toml_value(value: Any) -> str:
    """A value as TOML: scalars as `gotoml.scalar` writes them (nan and inf included),
    arrays and inline tables of anything, other objects as their quoted text."""
    if isinstance(value, bool | int | float | str):
        return scalar(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    return json.dumps(str(value))


def render_toml(view: View, origin: bool) -> None:
    from kata_cli.render.text import printable

    # file names are the host's: escaped (control characters, bytes that are not UTF-8)
    out(printable(f"# effective {view.flavour} configuration from {', '.join(view.files)}"))
    for table in view.tables:
        out()
        out(f"[{table.name}]")
        for entry in table.entries:
            line = f"{entry.key} = {toml_value(entry.value)}"
            if origin:
                note = entry.origin
                if entry.adjusted:
                    note += f" ({entry.adjusted})"
                line += f"  # {printable(note)}"
            out(line)


def render_json(view: View) -> None:
    data = {
        "schema": SCHEMA,
        "path": view.path,
        "flavour": view.flavour,
        "files": view.files,
        "tables": {t.name: {e.key: to_data(e.value) for e in t.entries} for t in view.tables},
        "origins": {f"{t.name}.{e.key}": e.origin for t in view.tables for e in t.entries},
        "adjusted": {
            f"{t.name}.{e.key}": e.adjusted for t in view.tables for e in t.entries if e.adjusted
        },
    }
    from kata_cli.render.jsonout import json_text

    out(json_text(data, indent=2))
