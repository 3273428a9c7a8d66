"""Values of the wrong TOML type, and integers that do not fit their field (KATA1xx).

Both runtimes decode into typed fields and refuse the whole file on a mismatch: a
float for an integer (`default_memory = 2048.0`), a string for a boolean, a negative
or too large integer for an unsigned field.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kata_cli.config import loader, schema
from kata_cli.lint.context import LintContext
from kata_cli.lint.model import ERROR, Hit, rule

_ITEM_KEYS = {
    "guest_extension_images": schema.GUEST_EXTENSION_IMAGE_KEYS,
    "shared_mounts": schema.SHARED_MOUNT_KEYS,
}


TypedKey = tuple[tuple[str, ...], str, Any]


def _typed_keys(ctx: LintContext) -> list[TypedKey]:
    """(path as written, kind, value) of every catalogued key the runtime decodes (cached)."""
    return ctx.memo("types.keys", lambda: list(_walk_typed_keys(ctx)))


Kinds = tuple[dict[str, str], dict[str, str]]
_KINDS: dict[tuple[int, str], Kinds] = {}


def _kinds(catalogue: dict[str, schema.KeySpec], flavour: str) -> Kinds:
    """(key -> TOML kind, lower-case key -> key) of the keys a flavour decodes from a
    table; the second is empty for runtime-rs, which matches names exactly (cached)."""
    found = _KINDS.get((id(catalogue), flavour))
    if found is None:
        kinds = {n: s.kind for n, s in catalogue.items() if s.known_in(flavour)}
        found = kinds, {n.lower(): n for n in kinds} if flavour == "go" else {}
        _KINDS[(id(catalogue), flavour)] = found
    return found


def _walk_typed_keys(ctx: LintContext) -> Iterator[TypedKey]:
    for path, table, catalogue in ctx.sections():
        if catalogue:
            kinds, lowered = _kinds(catalogue, ctx.flavour)
        else:
            kinds, lowered = schema.MEM_AGENT_KEYS, {}
        for spelling, value in table.items():
            name = spelling if spelling in kinds else lowered.get(spelling.lower())
            if name is None:
                continue
            if spelling != name and (ctx.get(table, name) or ("",))[0] != spelling:
                continue  # another spelling of the key is the one the runtime decodes
            kind = kinds[name]
            yield (*path, spelling), kind, value
            items = _ITEM_KEYS.get(name)
            if items and isinstance(value, list):
                for entry in value:
                    if not isinstance(entry, dict):
                        continue
                    for item_name, item_kind in items.items():
                        if item_name in entry:
                            yield (*path, spelling, item_name), item_kind, entry[item_name]


def _out_of_range(kind: str, value: Any) -> bool:
    if kind not in schema.INT_RANGES or isinstance(value, bool) or not isinstance(value, int):
        return False
    low, high = schema.INT_RANGES[kind]
    return not low <= value <= high


@rule(
    "KATA101",
    "wrong-type",
    ERROR,
    "{key}: {problem}",
    "The runtimes decode each key into a typed field; a value of another TOML type "
    "(a float for an integer, a string for a boolean) makes the whole file fail to load.",
    "write the value with the expected TOML type (no quotes around numbers and booleans)",
)
def wrong_type(ctx: LintContext) -> Iterator[Hit]:
    for path, kind, value in _typed_keys(ctx):
        if _out_of_range(kind, value):
            continue
        problem = loader.type_problem(kind, value)
        if problem:
            yield ctx.hit(path, key=".".join(path), problem=problem)


@rule(
    "KATA102",
    "out-of-range",
    ERROR,
    "{key}: {value} does not fit a {kind} field ({low}..{high})",
    "Integers must fit the field they are decoded into: negative numbers and values "
    "above 2^32-1 in an unsigned 32-bit field are a load error.",
    "use a value within the field's range",
)
def out_of_range(ctx: LintContext) -> Iterator[Hit]:
    for path, kind, value in _typed_keys(ctx):
        if _out_of_range(kind, value):
            low, high = schema.INT_RANGES[kind]
            yield ctx.hit(path, key=".".join(path), value=value, kind=kind, low=low, high=high)


RULES = (wrong_type, out_of_range)
