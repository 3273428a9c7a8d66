"""What collect-data is made of: section units (declarations) and their results (data).

A section *declares* what it gathers: host files (paths or globs under the host root),
external commands (argument lists, never a shell) and an optional in-process probe that
yields items. The runner (`runner.py`) owns threads, timeouts and the deadline; the
renderers (`kata_cli/render/collect_*.py`) turn the results into output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kata_cli.collect.context import Context

SCHEMA = "kata-cli/collect-data/1"

# item statuses
OK = "ok"
FAILED = "failed"  # a command exited non-zero, or a probe raised
TIMED_OUT = "timed-out"  # a command hit --timeout (or the deadline's remainder)
NOT_FOUND = "not-found"  # program or file absent
DEADLINE = "deadline"  # the section had not finished when --deadline expired
SKIPPED = "skipped"
STATUSES = (OK, FAILED, TIMED_OUT, NOT_FOUND, DEADLINE, SKIPPED)


@dataclass
class Options:
    """What the command line asked for."""

    timeout: float = 10.0
    deadline: float = 60.0
    since: str = "24h"
    max_lines: int = 300
    sandbox: str | None = None
    full_configs: bool = False
    chroot: bool = False
    explicit_config: str | None = None
    search_path: str | None = None  # PATH used to look programs up (None: the environment's)


@dataclass(frozen=True)
class Command:
    """One external program a section gathers; the runner looks it up and runs it.

    The runner owns how it runs: argv[0] lookup (PATH, `extra_dirs`, --chroot), the
    environment, the output bound and the timeout (`timeout`, else --timeout, never past
    --deadline). `unless` names a host condition under which the command is not run (the
    reason becomes the item's detail); `then` turns the raw outcome into what is shown.
    """

    argv: tuple[str, ...]
    lang: str = ""
    title: str | None = None
    timeout: float | None = None
    extra_dirs: tuple[str, ...] = ()
    unless: Callable[[Context], str | None] | None = None
    then: Callable[[Context, Item], Item] | None = None


@dataclass(frozen=True)
class Section:
    """A collect-data unit: a title, what it reads and runs, and an optional probe."""

    id: str
    title: str
    description: str
    files: tuple[str, ...] = ()  # host paths or globs; missing ones are skipped quietly
    commands: tuple[Command, ...] = ()
    probe: Callable[[Context], Iterable[Item]] | None = None
    requires: tuple[str, ...] = ()  # programs: the whole section is omitted when none exists
    files_lang: str = ""


@dataclass
class Item:
    """One thing shown in a section: a command's output, a file, a probe's finding."""

    kind: str  # "command" | "file" | "text" | "data"
    title: str
    text: str = ""
    lang: str = ""
    status: str = OK
    argv: list[str] | None = None
    path: str | None = None
    exit_code: int | None = None
    duration: float | None = None
    detail: str | None = None  # e.g. "exit 1", "timed out after 1.0s", "could not read: ..."
    data: Any = None  # structured (JSON-able) form, when there is one
    # the whole output when `text` is a bounded or filtered excerpt: kept for the archive only
    full_text: str | None = None


@dataclass
class SectionResult:
    id: str
    title: str
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = OK  # ok | deadline | skipped (nothing relevant on this host)
    duration: float = 0.0


@dataclass
class Report:
    schema: str
    tool: str
    version: str
    started: str  # ISO 8601 UTC
    duration: float
    options: dict[str, Any]
    redaction: dict[str, Any]
    sections: list[SectionResult]
    deadline_expired: bool = False

    def items(self) -> Iterable[tuple[SectionResult, Item]]:
        for section in self.sections:
            for item in section.items:
                yield section, item
