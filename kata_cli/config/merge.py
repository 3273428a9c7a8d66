"""The one merge of a configuration's files (the main file, then its drop-ins in order).

Tables merge key by key; arrays and scalars are replaced. Two views come out of the same
walk:

- `written`: every key under the spelling it was written with, the file that last set
  each key and the file that first opened each table. The linter reads this view: it
  must see `Default_Memory` next to `default_memory` to say which one wins.
- `folded`: the document as the Go runtime decodes it. Struct fields match
  case-insensitively, so `[Runtime]` is `[runtime]` and a drop-in's `Default_Vcpus`
  replaces `default_vcpus`; the names inside `[hypervisor.X]` / `[agent.X]` are map keys
  and stay exact. The loader reads this view for Go configurations.

Nesting deeper than the interpreter can walk raises RecursionError; callers turn it into
their own kind of report (a ConfigError, a syntax finding).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from kata_cli.record import field, record

Origins = dict[tuple[str, ...], str]

# top-level tables of the Go runtime's configuration struct (field names, so case-folded)
GO_STRUCT_TABLES = ("hypervisor", "agent", "runtime", "factory")
# tables whose children are map keys (table names), matched exactly even by Go
_MAP_TABLES = (("hypervisor",), ("agent",))


@record
class Merged:
    """One view of the merged document."""

    tree: dict[str, Any] = field(default_factory=dict)
    origins: Origins = field(default_factory=dict)  # key path -> file that set it last
    tables: Origins = field(default_factory=dict)  # table path -> file that opened it first

    def all_origins(self) -> Origins:
        """Keys and tables in one map (a key set where a table was wins)."""
        return {**self.tables, **self.origins}


class Layers:
    """The parsed files of one configuration, in merge order, as (path, data) pairs."""

    def __init__(self, layers: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        self.layers = list(layers)

    @cached_property
    def written(self) -> Merged:
        return self._merge(fold=False)

    @cached_property
    def folded(self) -> Merged:
        return self._merge(fold=True)

    def view(self, fold: bool) -> Merged:
        return self.folded if fold else self.written

    def _merge(self, fold: bool) -> Merged:
        merged = Merged()
        for path, data in self.layers:
            _merge_into(merged, merged.tree, data, (), path, fold)
        return merged


def _folded_name(
    target: Mapping[str, Any],
    name: str,
    prefix: tuple[str, ...],
    spellings: Mapping[str, str],
) -> tuple[str, str | None]:
    """(name to store under, existing other spelling to replace or None). `spellings`
    maps each lower-cased key of `target` to its one spelling there (a scan of `target`
    per key made a file of many keys quadratic: 20,000 keys took 45 s)."""
    if not prefix and name.lower() in GO_STRUCT_TABLES:
        name = name.lower()
    if name in target or prefix in _MAP_TABLES:
        return name, None
    return name, spellings.get(name.lower())


def _forget(merged: Merged, gone: tuple[str, ...], old: Any) -> None:
    """Drop the origins of `gone` and of everything under it (`old`, its former value):
    a walk of that subtree, not a scan of every origin for each key replaced."""
    stack = [(gone, old)]
    while stack:
        path, node = stack.pop()
        merged.origins.pop(path, None)
        merged.tables.pop(path, None)
        if isinstance(node, dict):
            stack.extend(((*path, key), value) for key, value in node.items())


def _merge_into(
    merged: Merged,
    target: dict[str, Any],
    source: Mapping[str, Any],
    prefix: tuple[str, ...],
    path: str,
    fold: bool,
) -> None:
    # in a folded view each non-map table holds one spelling per lower-cased name
    spellings = {key.lower(): key for key in target} if fold else {}
    for name, value in source.items():
        if fold:
            name, other = _folded_name(target, name, prefix, spellings)
            if other is not None:
                if isinstance(value, dict) and isinstance(target[other], dict):
                    name = other  # merge into the table under its first spelling
                else:
                    _forget(merged, (*prefix, other), target.pop(other))
            spellings[name.lower()] = name
        here = (*prefix, name)
        if isinstance(value, dict):
            if not isinstance(target.get(name), dict):
                target[name] = {}
                merged.tables.setdefault(here, path)
            _merge_into(merged, target[name], value, here, path, fold)
        else:
            target[name] = value
            merged.origins[here] = path


def defines(data: Mapping[str, Any] | None, path: tuple[str, ...]) -> bool:
    """Whether the nested tables `data` set `path` (a key or a table)."""
    node: Any = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
