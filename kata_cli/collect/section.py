"""A collect-data section *declares* what it gathers, as sos plugins do.

Host files (paths or globs under the host root), external commands (argument lists,
never a shell) and an optional in-process probe that yields items. The runner
(`runner.py`) runs `files` and `commands`; a probe interprets what it gathers, running
the section's declared `uses` (through `Context.command`) only when it decides to, e.g. a
fallback. Either way the context owns argv: placeholders such as `{since}` are filled
from the options, argv[0] is looked up, and timeouts and the deadline apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kata_cli.collect.context import Context
from kata_cli.collect.model import Item
from kata_cli.record import record


@record(frozen=True)
class Command:
    """One external program a section gathers; the runner looks it up and runs it.

    The runner owns how it runs: argv[0] lookup (PATH, `extra_dirs`, --chroot), the
    environment, the output bound and the timeout (`timeout`, else --timeout, never past
    --deadline). `{name}` placeholders in argv and title are filled by the context
    (`Context.placeholders()`, or values the probe passes); with `host_program`, argv[0]
    is a host path run as `Context.host_program()` says. `unless` names a host condition under which the command is not run (the
    reason becomes the item's detail); `then` turns the raw outcome into what is shown.
    """

    argv: tuple[str, ...]
    lang: str = ""
    title: str | None = None
    timeout: float | None = None
    extra_dirs: tuple[str, ...] = ()
    host_program: bool = False
    unless: Callable[[Context], str | None] | None = None
    then: Callable[[Context, Item], Item] | None = None


@record(frozen=True)
class Section:
    """A collect-data unit: a title, what it reads and runs, and an optional probe.

    `uses` and `reads` declare the commands and files the probe itself runs and reads
    (in that order in the output): the probe picks and interprets, the context runs.
    They bind: the probe's context (`Context.for_section`) runs nothing but `commands`
    and `uses` and reads no file but `files` and `reads` (`UndeclaredAccess`).
    """

    id: str
    title: str
    description: str
    files: tuple[str, ...] = ()  # host paths or globs; missing ones are skipped quietly
    commands: tuple[Command, ...] = ()
    probe: Callable[[Context], Iterable[Item]] | None = None
    uses: tuple[Command, ...] = ()  # commands the probe runs (Context.command), in order
    reads: tuple[str, ...] = ()  # host paths or globs the probe reads (placeholders: Scope)
    requires: tuple[str, ...] = ()  # programs: the whole section is omitted when none exists
    files_lang: str = ""
