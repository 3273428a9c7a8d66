"""`kata-cli vm guest build`: progress on stderr (rich bars on a terminal, one line per
stage otherwise) and the cache directory on stdout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from kata_cli.render.terminal import err, out, stderr_is_tty

if TYPE_CHECKING:
    from kata_cli.vm.guest_build import GuestBuild, Progress

LABELS = {"download": "download", "unpack": "unpack", "initrd": "initrd"}


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def _amount(stage: str, done: int, total: int) -> str:
    if stage == "download":
        return f"{_mib(done)} / {_mib(total)}" if total else _mib(done)
    return f"{done}/{total}" if total else ""


class _PlainProgress:
    """One line when a stage starts and one when it ends: logs stay readable."""

    def __init__(self) -> None:
        self.started: set[str] = set()

    def __call__(self, stage: str, done: int, total: int, detail: str) -> None:
        if stage not in self.started:
            self.started.add(stage)
            size = f" ({_mib(total)})" if stage == "download" and total else ""
            err(f"{LABELS.get(stage, stage)}: {detail}{size}")
        elif detail == "done":
            err(f"{LABELS.get(stage, stage)}: done ({_amount(stage, done, total)})")


class _RichProgress:
    def __init__(self, bar: Any) -> None:
        self.bar = bar
        self.tasks: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int, detail: str) -> None:
        task = self.tasks.get(stage)
        if task is None:
            task = self.bar.add_task(LABELS.get(stage, stage), total=total or None, amount="")
            self.tasks[stage] = task
        label = LABELS.get(stage, stage)
        description = f"{label}: {detail}" if detail and detail != "done" else label
        self.bar.update(
            task,
            completed=done,
            total=total or None,
            description=description,
            amount=_amount(stage, done, total),
        )


@contextmanager
def build_progress() -> Iterator[Progress]:
    """The progress callback `build_guest` reports to, for the duration of the build."""

    if not stderr_is_tty():
        yield _PlainProgress()
        return
    from rich.progress import BarColumn, Progress, TextColumn

    from kata_cli.render.terminal import console

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[amount]}"),
    )
    with Progress(*columns, console=console(stderr=True)) as bar:
        yield _RichProgress(bar)


def render_guest_build(build: GuestBuild, as_result: bool = True) -> None:
    """The cache directory on stdout; on stderr when the build only serves another
    command (`vm run --test-guest` offered it), whose output stdout carries."""
    if build.reused:
        err(f"test guest {build.kernel_package} {build.kernel_version} is already cached")
    if as_result:
        out(build.directory)
    else:
        err(f"test guest built in {build.directory}")
