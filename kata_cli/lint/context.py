"""What every rule sees: the merged configuration, where each key was written, and facts
about the target (flavour, architecture, host root for path rules)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import Any, TypeVar, cast

from kata_cli.config import schema
from kata_cli.config.merge import Layers, defines
from kata_cli.host import Host
from kata_cli.lint.hits import Edit, Hit
from kata_cli.lint.source import SourceFile
from kata_cli.record import field, record

TOP_LEVEL = ("hypervisor", "agent", "runtime", "factory")
_CACHED = ("hv_name", "hv", "hv_path", "agent_name", "agent", "runtime")
T = TypeVar("T")


@record(eq=False)
class LintContext:
    """What the rules see of one configuration (a main file and its drop-ins, merged)."""

    files: list[SourceFile]
    flavour: str
    arch: str
    host: Host | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    # when several hypervisor tables make the choice random: the one being checked
    assumed_hypervisor: str = ""
    origins: dict[tuple[str, ...], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # every spelling as written (rules report case variants), tables' origins included
        merged = Layers((s.path, s.data) for s in self.files if s.data is not None).written
        self.raw.update(merged.tree)
        self.origins.update(merged.all_origins())
        self._by_path = {source.path: source for source in self.files}
        self._lowered: dict[int, tuple[Mapping[str, Any], dict[str, str]]] = {}
        self._memo: dict[str, Any] = {}

    # -- the document (read only once the flavour is set: selections are cached) ------------
    def top(self, name: str) -> tuple[str, dict[str, Any]] | None:
        """A top-level table (Go matches its name case-insensitively) as (spelling, table)."""
        found = self.get(self.raw, name)
        if found is None or not isinstance(found[1], dict):
            return None
        return found[0], found[1]

    def tables(self, kind: str) -> dict[str, dict[str, Any]]:
        """`[hypervisor.X]` or `[agent.X]` tables by name."""
        found = self.top(kind)
        if found is None:
            return {}
        return {name: value for name, value in found[1].items() if isinstance(value, dict)}

    def top_path(self, kind: str) -> tuple[str, ...]:
        found = self.top(kind)
        return (found[0] if found else kind,)

    @cached_property
    def runtime(self) -> dict[str, Any]:
        found = self.top("runtime")
        return found[1] if found else {}

    def selector(self, kind: str) -> str:
        value = self.runtime.get(f"{kind}_name") if self.flavour == "rs" else None
        return value if isinstance(value, str) else ""

    def selected(self, kind: str) -> str | None:
        """The table the runtime would use, or None when none can be chosen deterministically."""
        if kind == "hypervisor" and self.assumed_hypervisor:
            return self.assumed_hypervisor
        tables = self.tables(kind)
        chosen = self.selector(kind)
        if chosen:
            return chosen if chosen in tables else None
        if len(tables) == 1:
            return next(iter(tables))
        return None

    @cached_property
    def hv_name(self) -> str | None:
        return self.selected("hypervisor")

    @property
    def hv_type(self) -> str:
        return self.hv_name or "qemu"

    def _chosen(self, kind: str, name: str | None) -> dict[str, Any]:
        return self.tables(kind).get(name, {}) if name else {}

    @cached_property
    def hv(self) -> dict[str, Any]:
        return self._chosen("hypervisor", self.hv_name)

    @cached_property
    def hv_path(self) -> tuple[str, ...]:
        return (*self.top_path("hypervisor"), self.hv_name or "qemu")

    @cached_property
    def agent_name(self) -> str | None:
        return self.selected("agent")

    @cached_property
    def agent(self) -> dict[str, Any]:
        return self._chosen("agent", self.agent_name)

    @property
    def agent_path(self) -> tuple[str, ...]:
        return (*self.top_path("agent"), self.agent_name or "kata")

    def factory(self) -> tuple[tuple[str, ...], dict[str, Any]]:
        if self.flavour == "rs":
            table = self.hv.get("factory")
            return (*self.hv_path, "factory"), table if isinstance(table, dict) else {}
        found = self.top("factory")
        return self.top_path("factory"), found[1] if found else {}

    def get(self, table: Mapping[str, Any], name: str) -> tuple[str, Any] | None:
        """A key's (spelling, value) in a table, with the flavour's name matching."""
        if name in table:
            return name, table[name]
        if self.flavour != "go":
            return None
        # Go matches case-insensitively; index each table's spellings once
        index = self._lowered.get(id(table))
        if index is None or index[0] is not table:
            index = (table, {spelling.lower(): spelling for spelling in table})
            self._lowered[id(table)] = index
        spelling = index[1].get(name.lower())
        return None if spelling is None else (spelling, table[spelling])

    def runtime_list(self, name: str) -> tuple[tuple[str, ...], list[Any]]:
        """A [runtime] array: its key path as written and its entries (none when the key
        is missing or not an array)."""
        found = self.get(self.runtime, name)
        if found is None or not isinstance(found[1], list):
            return (*self.top_path("runtime"), name), []
        return (*self.top_path("runtime"), found[0]), found[1]

    def value(self, table: Mapping[str, Any], name: str, default: Any = None) -> Any:
        found = self.get(table, name)
        return default if found is None else found[1]

    def hv_value(self, name: str) -> Any:
        """The selected hypervisor's value of a key, or the catalogue default."""
        found = self.get(self.hv, name)
        if found is not None:
            return found[1]
        spec = schema.HYPERVISOR_KEYS.get(name)
        return spec.default if spec else None

    def hv_key(self, name: str) -> tuple[str, ...]:
        """The path of a hypervisor key as written (its spelling), for positions."""
        found = self.get(self.hv, name)
        return (*self.hv_path, found[0] if found else name)

    def sections(self) -> Iterator[tuple[tuple[str, ...], dict[str, Any], dict[str, Any]]]:
        """(path, table, catalogue) of every table the runtime decodes."""
        for name, table in self.tables("hypervisor").items():
            yield (*self.top_path("hypervisor"), name), table, schema.HYPERVISOR_KEYS
            if self.flavour == "rs" and isinstance(table.get("factory"), dict):
                path = (*self.top_path("hypervisor"), name, "factory")
                yield path, table["factory"], schema.FACTORY_KEYS
            if self.flavour == "rs" and isinstance(table.get("rootless_user"), dict):
                path = (*self.top_path("hypervisor"), name, "rootless_user")
                yield path, table["rootless_user"], schema.ROOTLESS_USER_KEYS
        for name, table in self.tables("agent").items():
            yield (*self.top_path("agent"), name), table, schema.AGENT_KEYS
            if isinstance(table.get("mem_agent"), dict):
                yield (*self.top_path("agent"), name, "mem_agent"), table["mem_agent"], {}
        runtime = self.top("runtime")
        if runtime is not None:
            yield (runtime[0],), runtime[1], schema.RUNTIME_KEYS
        factory = self.top("factory")
        if factory is not None:
            yield (factory[0],), factory[1], schema.FACTORY_KEYS

    def assuming(self, hypervisor: str) -> LintContext:
        """This configuration, checked as if `[hypervisor.<hypervisor>]` were selected."""
        clone = copy.copy(self)
        clone.__dict__ = {k: v for k, v in self.__dict__.items() if k not in _CACHED}
        clone._memo = {}
        clone.assumed_hypervisor = hypervisor
        return clone

    def memo(self, name: str, compute: Callable[[], T]) -> T:
        """A value several rules need, computed once per configuration."""
        if name not in self._memo:
            self._memo[name] = compute()
        return cast(T, self._memo[name])

    # -- positions -------------------------------------------------------------------------
    def source(self, path: str) -> SourceFile | None:
        return self._by_path.get(path)

    def where(self, path: tuple[str, ...]) -> tuple[str, int, int]:
        """(file, line, column) where a key or table was (last) written."""
        origin = self.origins.get(path)
        candidates = [self._by_path[origin]] if origin in self._by_path else []
        candidates += [s for s in reversed(self.files) if defines(s.data, path)]
        candidates += list(reversed(self.files))
        for source in candidates:
            if source.data is None:
                continue
            found = source.position(path)
            if found is not None:
                return source.path, found[0], found[1]
        main = self.files[0].path if self.files else "<config>"
        return main, 1, 1

    def defines(self, path: tuple[str, ...]) -> bool:
        """Whether the merged configuration sets this exact key path."""
        return defines(self.raw, path)

    def hit(self, path: tuple[str, ...], edit: Edit | None = None, **args: Any) -> Hit:
        return Hit(path=path, args=args, edit=edit)

    def value_hit(self, path: tuple[str, ...], needle: str | None = None, **args: Any) -> Hit:
        """A hit pointing at a key's value, or at `needle` (e.g. one array entry) within it."""
        file, line, column = self.where(path)
        source = self._by_path.get(file)
        if source is not None and 1 <= line <= len(source.lines):
            text = source.lines[line - 1]
            if needle is None:
                equals = text.find("=", column - 1)
                if equals >= 0:
                    rest = text[equals + 1 :]
                    column = equals + 2 + len(rest) - len(rest.lstrip())
            else:
                # the entry may sit on a continuation line of a multi-line array
                for offset, candidate in enumerate(source.lines[line - 1 : line + 200]):
                    start = candidate.find(needle, column - 1 if offset == 0 else 0)
                    if start >= 0:
                        line, column = line + offset, start + 1
                        break
        return Hit(path=path, args=args, file=file, line=line, column=column)

    def rename_edit(self, path: tuple[str, ...], new_name: str) -> Edit | None:
        """An edit that renames the key written at `path` (bare, quoted or dotted; quotes go).

        None when the new name is already set in that table: renaming would write the
        key twice, which is invalid TOML.
        """
        if self.defines((*path[:-1], new_name)):
            return None
        file, line, column = self.where(path)
        source = self._by_path.get(file)
        if source is None or not 1 <= line <= len(source.lines):
            return None
        span = key_span(source.lines[line - 1], column - 1, path[-1])
        if span is None:
            return None
        return Edit(file, line, span[0], span[1], new_name)


# one part of a (dotted) key: bare, "basic" or 'literal'
_KEY_PART = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*""")


def key_span(text: str, start: int, name: str) -> tuple[int, int, int] | None:
    """Where the last part of the key written at `start` is (quotes included), if it
    spells `name`: (its start, its end, the column just after `=`), 0-based."""
    position = start
    while True:
        part = _KEY_PART.match(text, position)
        if part is None:
            return None
        position = part.end()
        if text.startswith(".", position):
            position += 1
            continue
        break
    if not text.startswith("=", position):
        return None
    first, last = part.span(1)
    written = text[first:last]
    if written[0] in "\"'":
        written = written[1:-1]
    return (first, last, position + 1) if written == name else None
