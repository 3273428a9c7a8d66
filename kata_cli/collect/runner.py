"""Runs collect-data sections concurrently, bounded by per-command timeouts and a deadline.

Every file group, command and probe of every section is one task for a small pool of
daemon threads; commands (a section's own `commands` here, the declared `uses` a probe
picks) all run through `Context.command`, on a view of the context scoped to what the
section declares (`Context.for_section`: nothing undeclared is read or run). Commands get `min(--timeout, time left before
--deadline)`; when the deadline expires the runner stops waiting, records what had not
finished, and returns (an in-process probe stuck on I/O cannot be killed, but being a
daemon thread it cannot keep the process alive either).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence

from kata_cli.collect.context import Context
from kata_cli.collect.model import DEADLINE, FAILED, SKIPPED, Item, SectionResult
from kata_cli.collect.section import Command, Section
from kata_cli.record import field, record

MAX_WORKERS = 16
INTERRUPT_GRACE = 2.0  # seconds spent ending the commands still running after Ctrl-C

Progress = Callable[[int, int, str], None]


@record
class _Task:
    section: int
    slot: int
    label: str
    work: Callable[[], Iterable[Item]]
    items: list[Item] = field(default_factory=list)
    done: bool = False
    started: float = 0.0
    ended: float = 0.0


def _file_items(ctx: Context, section: Section) -> Iterable[Item]:
    for path in ctx.expand(section.files):
        yield ctx.read_file(path, lang=section.files_lang or None)


def _command_items(ctx: Context, command: Command) -> Iterable[Item]:
    title = command.title or " ".join(command.argv)
    reason = command.unless(ctx) if command.unless is not None else None
    if reason:
        yield Item("text", title, status=SKIPPED, detail=reason)
        return
    item = ctx.command(command)
    yield item if command.then is None else command.then(ctx, item)


def _plan(ctx: Context, section: Section, index: int) -> list[_Task]:
    ctx = ctx.for_section(
        section.id, (*section.files, *section.reads), (*section.commands, *section.uses)
    )
    tasks: list[_Task] = []
    if section.files:
        tasks.append(_Task(index, 0, f"{section.id}: files", lambda: _file_items(ctx, section)))
    for slot, command in enumerate(section.commands, start=1):
        tasks.append(
            _Task(
                index,
                slot,
                f"{section.id}: {command.argv[0]}",
                lambda command=command: _command_items(ctx, command),  # type: ignore[misc]
            )
        )
    probe = section.probe
    if probe is not None:
        tasks.append(_Task(index, len(section.commands) + 1, f"{section.id}", lambda: probe(ctx)))
    return tasks


def _work(task: _Task) -> None:
    task.started = time.monotonic()
    try:
        for item in task.work():
            task.items.append(item)
    except Exception as exc:  # a broken probe is a finding, not an abort
        task.items.append(
            Item("text", "error", status=FAILED, detail=f"{type(exc).__name__}: {exc}")
        )
    task.ended = time.monotonic()


def _stop(ctx: Context, pending: list[_Task], threads: Sequence[threading.Thread]) -> None:
    """After Ctrl-C: start nothing more and end every command the workers still run.

    A worker may be between starting a program and registering it, or a probe may go on
    to its next command, so killing once is not enough: kill until the workers are done
    (bounded; a probe stuck on I/O cannot keep the process alive, its thread is a daemon).
    """
    from kata_cli.host import kill_running

    ctx.interrupted = True
    pending.clear()
    end = time.monotonic() + INTERRUPT_GRACE
    while True:
        kill_running()
        alive = [thread for thread in threads if thread.is_alive()]
        if not alive or time.monotonic() >= end:
            return
        alive[0].join(0.05)


def run_sections(
    ctx: Context, sections: Sequence[Section], progress: Progress | None = None
) -> tuple[list[SectionResult], bool]:
    """Run every section; returns the results (declared order) and whether the deadline hit."""
    results = [SectionResult(s.id, s.title) for s in sections]
    tasks: list[_Task] = []
    for index, section in enumerate(sections):
        if section.requires and not any(ctx.which(name) for name in section.requires):
            results[index].status = SKIPPED
            results[index].notes.append(f"not installed: {', '.join(section.requires)}")
            continue
        tasks.extend(_plan(ctx, section, index))

    pending = list(tasks)
    cond = threading.Condition()
    finished = [0]

    def worker() -> None:
        while True:
            with cond:
                if not pending:
                    return
                task = pending.pop(0)
            if ctx.remaining() > 0:
                _work(task)
            else:
                task.items.append(
                    Item("text", task.label, status=DEADLINE, detail="not started: deadline")
                )
            with cond:
                task.done = True
                finished[0] += 1
                cond.notify_all()
            if progress is not None:
                progress(finished[0], len(tasks), task.label)

    threads = [
        threading.Thread(target=worker, name="collect-data", daemon=True)
        for _ in range(min(MAX_WORKERS, len(tasks)))
    ]
    try:  # Ctrl-C may land while threads are still being started: cover that too
        for thread in threads:
            thread.start()
        with cond:
            while finished[0] < len(tasks):
                left = ctx.remaining()
                if left <= 0:
                    break
                cond.wait(timeout=left)
            snapshot = [(task, task.done, list(task.items)) for task in tasks]
    except KeyboardInterrupt:
        _stop(ctx, pending, threads)
        raise  # main() reports the interruption (exit 130)
    expired = any(not done for _, done, _ in snapshot)

    by_section: dict[int, list[tuple[int, list[Item]]]] = {}
    spans: dict[int, list[float]] = {}
    now = time.monotonic()
    for task, done, items in snapshot:
        if not done:
            items.append(
                Item(
                    "text",
                    task.label,
                    status=DEADLINE,
                    detail=f"did not finish before the --deadline of {ctx.options.deadline:g}s",
                )
            )
            results[task.section].status = DEADLINE
        by_section.setdefault(task.section, []).append((task.slot, items))
        if task.started:
            span = spans.setdefault(task.section, [task.started, 0.0])
            span[0] = min(span[0], task.started)
            span[1] = max(span[1], task.ended if done and task.ended else now)
    for index, slots in by_section.items():
        for _, items in sorted(slots, key=lambda pair: pair[0]):
            results[index].items.extend(items)
        if index in spans:
            results[index].duration = round(spans[index][1] - spans[index][0], 3)
    return results, expired
