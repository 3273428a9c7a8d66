"""Tables and keys the runtime does not know, or reads differently than written (KATA2xx).

Go ignores unknown tables and keys silently and matches names case-insensitively;
runtime-rs matches exactly. Both pick among several `[hypervisor.X]` tables in a way
the file cannot control, so several tables without a selector are an error here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kata_cli.config import schema
from kata_cli.lint.context import TOP_LEVEL, LintContext, key_span
from kata_cli.lint.model import ERROR, WARNING, Edit, Hit, rule

# Go spelling -> (runtime-rs spelling, factor from the Go value to the runtime-rs value)
SPELLINGS: dict[str, tuple[str, int]] = {
    "seccompsandbox": ("seccomp_sandbox", 1),
    "dial_timeout": ("dial_timeout_ms", 1000),
    "cdh_api_timeout": ("cdh_api_timeout_ms", 1000),
    "remote_hypervisor_socket": ("hypervisor_socket", 1),
    "remote_hypervisor_timeout": ("hypervisor_timeout", 1),
}
RS_SPELLINGS = {rs: (go, factor) for go, (rs, factor) in SPELLINGS.items()}
OBSOLETE_TABLES = {"proxy", "shim", "netmon", "image"}
MAX_SUGGESTIONS = 200  # did-you-mean for the first unknown keys of a configuration
# an integer value, after the `=`, alone on its line but for a comment
_INT_VALUE = re.compile(r"\s*([0-9][0-9_]*)\s*(?:#.*)?$")


def counterpart(name: str, flavour: str) -> tuple[str, int, bool] | None:
    """The other flavour's spelling of a key: (name, factor, multiply?)."""
    if flavour == "rs" and name in SPELLINGS:
        rs_name, factor = SPELLINGS[name]
        return rs_name, factor, True
    if flavour == "go" and name in RS_SPELLINGS:
        go_name, factor = RS_SPELLINGS[name]
        return go_name, factor, False
    return None


def respell_edit(ctx: LintContext, path: tuple[str, ...], value: Any) -> Edit | None:
    """Rename a key to the flavour's spelling, converting s <-> ms when the unit changes."""
    other = counterpart(path[-1], ctx.flavour)
    if other is None:
        return None
    new_name, factor, multiply = other
    if factor == 1 or ctx.defines((*path[:-1], new_name)):
        return ctx.rename_edit(path, new_name)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if not multiply and value % factor:
        return None
    new_value = value * factor if multiply else value // factor
    file, line, column = ctx.where(path)
    source = ctx.source(file)
    if source is None or not 1 <= line <= len(source.lines):
        return None
    text = source.lines[line - 1]
    span = key_span(text, column - 1, path[-1])
    if span is None:
        return None
    start, end, after = span
    match = _INT_VALUE.match(text, after)
    if match is None:
        return None
    between = text[end : match.start(1)]
    return Edit(file, line, start, match.end(1), f"{new_name}{between}{new_value}")


def _headers_naming(ctx: LintContext, name: str) -> Iterator[tuple[str, int, int]]:
    """(file, line, 0-based column of the name) of every table header starting with `name`."""
    from kata_cli.config import locate

    for source in ctx.files:
        if source.data is None:
            continue
        for pos in locate.iter_scan(source.scan_text or source.text):
            if pos.key or not pos.table or pos.table[0] != name:
                continue
            text = source.lines[pos.line - 1]
            start = text.find(name, pos.column - 1)
            if start >= 0:
                yield source.path, pos.line, start


def catalogue_for(ctx: LintContext, path: tuple[str, ...]) -> dict[str, schema.KeySpec] | None:
    """The catalogue of a table path the Go/rs linter checks for unknown keys here."""
    top = path[0].lower() if ctx.flavour == "go" else path[0]
    if top == "hypervisor" and len(path) == 2:
        return schema.HYPERVISOR_KEYS
    if top == "agent" and len(path) == 2 and ctx.flavour == "go":
        return schema.AGENT_KEYS  # runtime-rs agent tables: KATA701 (they deny unknown keys)
    if top == "runtime" and len(path) == 1:
        return schema.RUNTIME_KEYS
    if top == "factory" and len(path) == 1 and ctx.flavour == "go":
        return schema.FACTORY_KEYS
    return None


def _checked_tables(ctx: LintContext) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    for kind in ("hypervisor", "agent"):
        for name, table in ctx.tables(kind).items():
            yield (*ctx.top_path(kind), name), table
    for kind in ("runtime", "factory"):
        found = ctx.top(kind)
        if found is not None:
            yield (found[0],), found[1]


def _allowed_subtables(ctx: LintContext, path: tuple[str, ...]) -> set[str]:
    top = path[0].lower()
    if ctx.flavour == "rs" and top == "hypervisor":
        return {"factory", "rootless_user"}
    if ctx.flavour == "rs" and top == "agent":
        return {"mem_agent"}
    return set()


Verdict = tuple[str, tuple[str, ...], Any, dict[str, schema.KeySpec]]


def _classify(ctx: LintContext) -> list[Verdict]:
    """(verdict, path, value, catalogue) for every scalar key of a checked table (cached)."""
    return ctx.memo("keys.classify", lambda: list(_verdicts(ctx)))


_LOWERED: dict[int, dict[str, str]] = {}


def _lowered(catalogue: dict[str, schema.KeySpec]) -> dict[str, str]:
    """lower-case key -> key of a catalogue (computed once per catalogue)."""
    found = _LOWERED.get(id(catalogue))
    if found is None:
        found = _LOWERED[id(catalogue)] = {name.lower(): name for name in catalogue}
    return found


def _verdicts(ctx: LintContext) -> Iterator[Verdict]:
    for path, table in _checked_tables(ctx):
        catalogue = catalogue_for(ctx, path)
        if catalogue is None:
            continue
        lowered = _lowered(catalogue)
        for name, value in table.items():
            if isinstance(value, dict):
                continue
            spec = catalogue.get(name)
            if spec is not None:
                yield (
                    ("ok" if spec.known_in(ctx.flavour) else "other"),
                    (*path, name),
                    value,
                    catalogue,
                )
            elif name.lower() in lowered:
                yield "case", (*path, name), value, catalogue
            else:
                yield "unknown", (*path, name), value, catalogue


@rule(
    "KATA201",
    "unknown-table",
    WARNING,
    "unknown table [{table}]{hint}: the runtime ignores it",
    "Neither runtime reads tables other than [hypervisor.X], [agent.X], [runtime] and "
    "(Go) [factory]; settings placed elsewhere, e.g. in Kata 1.x [proxy]/[shim] tables, "
    "silently have no effect.",
    "move the keys into the table the runtime reads, or delete the table",
)
def unknown_table(ctx: LintContext) -> Iterator[Hit]:
    for name, value in ctx.raw.items():
        lowered = name.lower()
        if name in TOP_LEVEL or (lowered in TOP_LEVEL and name != lowered):
            if ctx.flavour == "rs" and name == "factory" and isinstance(value, dict):
                hint = " (runtime-rs reads [hypervisor.<name>.factory])"
                yield ctx.hit((name,), table=name, hint=hint)
            continue
        hint = " (a Kata 1.x table)" if lowered in OBSOLETE_TABLES else ""
        yield ctx.hit((name,), table=name, hint=hint)
    for path, table in _checked_tables(ctx):
        allowed = _allowed_subtables(ctx, path)
        for name, value in table.items():
            if isinstance(value, dict) and name not in allowed:
                hint = ""
                if name == "factory" and ctx.flavour == "go":
                    hint = " (the Go runtime reads a top-level [factory])"
                yield ctx.hit((*path, name), table=".".join((*path, name)), hint=hint)


@rule(
    "KATA202",
    "unknown-key",
    WARNING,
    "[{table}] unknown key `{key}`{suggestion}: the runtime ignores it",
    "Unknown keys are silently ignored (Go even in drop-ins logs only a warning), so a "
    "typo leaves the setting at its default without a word.",
    "correct the spelling or delete the key",
)
def unknown_key(ctx: LintContext) -> Iterator[Hit]:
    suggested = 0
    for verdict, path, _value, catalogue in _classify(ctx):
        if verdict != "unknown":
            continue
        suggestion = ""
        if suggested < MAX_SUGGESTIONS:  # difflib is slow: a generated file may hold 10^5 keys
            suggested += 1
            import difflib

            known = [n for n, s in catalogue.items() if s.known_in(ctx.flavour)]
            close = difflib.get_close_matches(path[-1], known, n=1, cutoff=0.75)
            if close:
                suggestion = f" (did you mean `{close[0]}`?)"
        yield ctx.hit(path, table=".".join(path[:-1]), key=path[-1], suggestion=suggestion)


@rule(
    "KATA203",
    "case-variant-key",
    WARNING,
    "`{key}` is spelled `{canonical}`; {effect}",
    "The Go runtime matches key and table names case-insensitively, runtime-rs does "
    "not: `Default_Memory` works with one runtime and is silently ignored by the other.",
    "use the exact lower-case spelling (mechanical: --fix)",
)
def case_variant_key(ctx: LintContext) -> Iterator[Hit]:
    effect = (
        "the Go runtime accepts it, runtime-rs would ignore it"
        if ctx.flavour == "go"
        else "runtime-rs matches names exactly and ignores it"
    )
    for name in ctx.raw:
        lowered = name.lower()
        if lowered in TOP_LEVEL and name != lowered:
            for file, line, start in _headers_naming(ctx, name):
                header_edit = None
                if lowered not in ctx.raw:  # else the rename would define the table twice
                    header_edit = Edit(file, line, start, start + len(name), lowered)
                args = {"key": f"[{name}]", "canonical": f"[{lowered}]", "effect": effect}
                yield Hit(args=args, file=file, line=line, column=start + 1, edit=header_edit)
    for verdict, path, _value, catalogue in _classify(ctx):
        if verdict != "case":
            continue
        canonical = next(n for n in catalogue if n.lower() == path[-1].lower())
        edit = ctx.rename_edit(path, canonical)
        yield ctx.hit(path, edit=edit, key=path[-1], canonical=canonical, effect=effect)


@rule(
    "KATA204",
    "other-flavour-key",
    WARNING,
    "[{table}] `{key}` is only read by the {other} runtime{suggestion}; {effect}",
    "The Go runtime and runtime-rs spell some settings differently "
    "(`dial_timeout` in seconds vs `dial_timeout_ms`, `seccompsandbox` vs "
    "`seccomp_sandbox`, `remote_hypervisor_socket` vs `hypervisor_socket`); a key of the "
    "other runtime is ignored.",
    "use this runtime's spelling (mechanical where a counterpart exists: --fix)",
)
def other_flavour_key(ctx: LintContext) -> Iterator[Hit]:
    other = "runtime-rs" if ctx.flavour == "go" else "Go"
    for verdict, path, value, _catalogue in _classify(ctx):
        if verdict != "other":
            continue
        pair = counterpart(path[-1], ctx.flavour)
        suggestion = f" (this runtime reads `{pair[0]}`)" if pair else ""
        yield ctx.hit(
            path,
            edit=respell_edit(ctx, path, value),
            table=".".join(path[:-1]),
            key=path[-1],
            other=other,
            suggestion=suggestion,
            effect="this one ignores it",
        )


@rule(
    "KATA205",
    "unknown-hypervisor",
    ERROR,
    "[hypervisor.{name}] is not a hypervisor this runtime knows ({known})",
    "The table name selects the VMM; the Go runtime refuses the file ('invalid "
    "hypervisor section'), runtime-rs finds no plugin for it.",
    "rename the table to one of the supported hypervisors",
)
def unknown_hypervisor(ctx: LintContext) -> Iterator[Hit]:
    known = schema.RS_HYPERVISORS if ctx.flavour == "rs" else schema.GO_HYPERVISORS
    for name in ctx.tables("hypervisor"):
        if name not in known:
            path = (*ctx.top_path("hypervisor"), name)
            yield ctx.hit(path, name=name, known=", ".join(known))


def _several(ctx: LintContext, kind: str) -> Iterator[Hit]:
    tables = ctx.tables(kind)
    if len(tables) < 2 or ctx.selector(kind):
        return
    names = list(tables)
    path = (*ctx.top_path(kind), names[1])
    listed = ", ".join(f"[{kind}.{n}]" for n in names)
    how = (
        "set [runtime] " + kind + "_name or keep one table"
        if ctx.flavour == "rs"
        else "keep one table"
    )
    yield ctx.hit(path, kind=kind, tables=listed, how=how)


@rule(
    "KATA206",
    "several-hypervisors",
    ERROR,
    "several {kind} tables ({tables}); which one is used is random ({how})",
    "With more than one [hypervisor.X] table the Go runtime uses whichever its map "
    "iteration visits last, which changes from run to run; runtime-rs needs "
    "[runtime] hypervisor_name to choose.",
    "keep exactly one hypervisor table (runtime-rs: or set hypervisor_name)",
)
def several_hypervisors(ctx: LintContext) -> Iterator[Hit]:
    yield from _several(ctx, "hypervisor")


@rule(
    "KATA207",
    "several-agents",
    ERROR,
    "several {kind} tables ({tables}); which one is used is random ({how})",
    "Same as several hypervisor tables: the agent table in use is not deterministic.",
    "keep exactly one agent table, normally [agent.kata]",
)
def several_agents(ctx: LintContext) -> Iterator[Hit]:
    yield from _several(ctx, "agent")


@rule(
    "KATA208",
    "missing-hypervisor",
    ERROR,
    "no [hypervisor.<name>] table: {effect}",
    "Without a hypervisor table the Go runtime falls back to built-in qemu defaults that "
    "set both image and initrd, so every VM creation fails; runtime-rs finds no plugin.",
    "add a [hypervisor.qemu] (or other) table",
)
def missing_hypervisor(ctx: LintContext) -> Iterator[Hit]:
    if ctx.tables("hypervisor"):
        return
    effect = (
        "the runtime uses built-in qemu defaults that cannot boot"
        if ctx.flavour == "go"
        else "runtime-rs cannot find a hypervisor"
    )
    main = ctx.files[0].path if ctx.files else "<config>"
    yield Hit(args={"effect": effect}, file=main, line=1, column=1)


@rule(
    "KATA209",
    "selector-without-table",
    ERROR,
    '[runtime] {kind}_name = "{name}" but there is no [{kind}.{name}] table',
    "runtime-rs selects the hypervisor and agent tables by name; a name without a "
    "matching table makes the runtime refuse the configuration.",
    "fix the name or add the table",
)
def selector_without_table(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "rs":
        return
    for kind in ("hypervisor", "agent"):
        name = ctx.selector(kind)
        if name and name not in ctx.tables(kind):
            yield ctx.hit((*ctx.top_path("runtime"), f"{kind}_name"), kind=kind, name=name)


RULES = (
    unknown_table,
    unknown_key,
    case_variant_key,
    other_flavour_key,
    unknown_hypervisor,
    several_hypervisors,
    several_agents,
    missing_hypervisor,
    selector_without_table,
)
