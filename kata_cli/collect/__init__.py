"""collect-data: a fast, bounded, redacted bug-report bundle.

`collect()` runs the section units (`sections/`, one module per thing gathered) through
the runner (`runner.py`, which hands each a `context.Context`), redacts every text
(`kata_cli/redaction/`) and returns a `Report` (data). The renderers
`kata_cli/render/collect_markdown.py`, `collect_json.py` and `collect_archive.py` turn it
into output; nothing here imports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from kata_cli.collect.context import Context
from kata_cli.collect.model import SCHEMA, Item, Options, Report, SectionResult
from kata_cli.collect.runner import Progress, run_sections
from kata_cli.collect.section import Section
from kata_cli.host import Host
from kata_cli.redaction import Redactor

__all__ = ["Options", "Report", "collect"]


def host_names(host: Host) -> tuple[str, ...]:
    """The host's own names, mapped to placeholders by --redact-hosts."""
    names: list[str] = []
    for path in ("/etc/hostname", "/proc/sys/kernel/hostname"):
        name = (host.read_text_or(path, "") or "").strip()
        if name and name not in names:
            names.append(name)
    if host.is_native:
        import socket

        name = socket.gethostname()
        if name and name not in names:
            names.append(name)
    return tuple(sorted(names, key=len, reverse=True))


def redact_results(results: list[SectionResult], redactor: Redactor) -> None:
    for section in results:
        section.notes = [redactor.text(note) for note in section.notes]
        for item in section.items:
            _redact_item(item, redactor)


def _redact_item(item: Item, redactor: Redactor) -> None:
    item.title = redactor.text(item.title)
    if item.full_text is None:
        item.text = redactor.text(item.text)
    else:
        item.full_text = redactor.text(item.full_text)
        counted = dict(redactor.counts)
        item.text = redactor.text(item.text)
        redactor.counts = counted  # the excerpt's secrets were counted in the whole output
    if item.detail:
        item.detail = redactor.text(item.detail)
    if item.argv:
        item.argv = redactor.argv(item.argv)
    if item.path:
        item.path = redactor.text(item.path)
    if item.data is not None:
        item.data = redactor.data(item.data)


def collect(
    host: Host,
    options: Options,
    *,
    redact: bool = True,
    redact_hosts: bool = False,
    sections: Sequence[Section] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Gather every section within the deadline, then redact the results."""
    from kata_cli import __version__

    if sections is None:
        from kata_cli.collect.sections import SECTIONS

        sections = SECTIONS
    clock = host.env
    started = datetime.fromtimestamp(clock.clock(), UTC)
    start = clock.monotonic()
    ctx = Context(host, options, start)
    results, expired = run_sections(ctx, sections, progress)
    redactor = Redactor(enabled=redact, hosts=redact_hosts, known_hosts=host_names(host))
    redact_results(results, redactor)
    return Report(
        schema=SCHEMA,
        tool="kata-cli collect-data",
        version=__version__,
        started=started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        duration=round(clock.monotonic() - start, 3),
        options={
            "timeout": options.timeout,
            "deadline": options.deadline,
            "since": options.since,
            "max_lines": options.max_lines,
            "sandbox": options.sandbox,
            "full_configs": options.full_configs,
            "chroot": options.chroot,
            "host_root": str(host.root),
        },
        redaction={
            "enabled": redact,
            "hosts": redact_hosts and redact,
            "counts": dict(sorted(redactor.counts.items())),
        },
        sections=results,
        deadline_expired=expired,
    )
