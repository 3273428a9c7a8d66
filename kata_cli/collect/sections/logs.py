"""Logs of the Kata components: the systemd journal (Go `time=` lines and runtime-rs JSON
lines) bounded by `--since` and `--max-lines`, and the log files of runtimes that do not
use the journal (k3s's containerd). With `--sandbox ID` only lines carrying the id are
kept, merged from every source in time order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from kata_cli.collect.context import Context
from kata_cli.collect.model import FAILED, NOT_FOUND, SKIPPED, TIMED_OUT, Item
from kata_cli.collect.section import Command, Section

# syslog identifiers of the Go runtime (`kata`), its older name, and other components
IDENTIFIERS = ("kata", "kata-runtime", "containerd-shim-kata-v2", "kata-monitor", "kata-agent")
LOG_FILES = (
    "/var/lib/rancher/k3s/agent/containerd/containerd.log",
    "/var/log/containerd/containerd.log",
    "/var/log/crio/crio.log",
)
MAX_LOG_FILE = 8 * 1024 * 1024
TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d(?:[.,]\d+)?)")
PROBLEM = re.compile(
    r'level=(error|fatal|panic|warning)|"level":\s*"(ERRO|CRIT|WARN|error|warning|fatal)',
    re.I,
)
JOURNAL_DIRS = ("/var/log/journal", "/run/log/journal")
NO_JOURNAL = "No journal on this host"
NO_JOURNAL_FILES = "No journal files were found"  # journalctl's own words, on stderr

# {since} and {journal_lines} are filled from --since and --max-lines by the context
_JOURNAL = ("journalctl", "-q", "-a", "--no-pager", "-o", "short-iso-precise", "--since={since}")
KATA_JOURNAL = Command(
    (*_JOURNAL, "-n", "{journal_lines}", *(arg for name in IDENTIFIERS for arg in ("-t", name))),
    title="Kata components (journal)",
)
# runtime-rs and shim output often lands in containerd's unit log
CONTAINERD_JOURNAL = Command(
    (*_JOURNAL, "-n", "{journal_lines}", "-u", "containerd"),
    title="containerd unit lines from Kata shims (journal)",
)


def sort_key(line: str) -> str:
    match = TIMESTAMP.search(line)
    return f"{match.group(1)}T{match.group(2)}" if match else ""


def bounded(lines: list[str], limit: int) -> tuple[list[str], str]:
    total = len(lines)
    kept = lines[-limit:] if limit > 0 else []
    problems = sum(1 for line in lines if PROBLEM.search(line))
    note = f"{total} lines, {problems} warnings or errors"
    if total > len(kept):
        note += f"; last {len(kept)} shown"
    return kept, note


def journal_absent(ctx: Context, output: str) -> str | None:
    """Why there is no journal to read (None when there may be one).

    journalctl answers an empty journal and a missing one alike (nothing, exit 0), so an
    empty answer is only "no matching lines" when journal files exist on the host.
    """
    if NO_JOURNAL_FILES in output:
        return "journalctl: no journal files were found"
    if any(ctx.host.listdir_or_empty(directory) for directory in JOURNAL_DIRS):
        return None
    if not ctx.host.is_dir("/run/systemd/system"):
        return "systemd is not running and there are no journal files"
    return "no journal files in " + " or ".join(JOURNAL_DIRS)


def is_kata_line(line: str) -> bool:
    """A containerd line from a Kata shim: names kata, or is a runtime-rs JSON record."""
    return "kata" in line or ('{"' in line and '"sid":' in line)


def _journal(
    ctx: Context, command: Command, keep: Callable[[str], bool] | None
) -> tuple[Item, list[str]]:
    item = ctx.command(command)
    if item.status == NOT_FOUND:
        item.detail = "journalctl not found: no systemd journal to read (this is not 'no problems')"
        return item, []
    raw = item.text
    lines = [
        line
        for line in raw.splitlines()
        if line.strip() and not line.startswith("-- ") and NO_JOURNAL_FILES not in line
    ]
    if keep is not None:
        lines = [line for line in lines if keep(line)]
    if item.status != "ok":
        return item, lines
    kept, note = bounded(lines, ctx.options.max_lines)
    item.text = "\n".join(kept) + ("\n" if kept else "")
    item.detail = f"{item.detail}; {note}"
    if not lines:
        absent = journal_absent(ctx, raw)
        if absent is not None:
            item.status, item.detail = SKIPPED, f"{NO_JOURNAL.lower()}: {absent}"
            item.text = f"{NO_JOURNAL}.\n"
            return item, lines
        item.text = "No matching journal lines in the period.\n"
    if raw and raw != item.text:
        item.full_text = raw  # the report shows the excerpt, the archive keeps all of it
    return item, lines


def probe(ctx: Context) -> Iterator[Item]:
    sandbox = ctx.options.sandbox
    merged: list[str] = []
    mine = None if sandbox is None else (lambda line: sandbox in line)
    item, lines = _journal(ctx, KATA_JOURNAL, mine)
    merged += lines
    yield item
    if item.status == TIMED_OUT:
        # a journal that hangs once hangs again: one --timeout, not two, for the section
        yield Item(
            "command",
            CONTAINERD_JOURNAL.title or "",
            status=SKIPPED,
            detail="not run: journalctl timed out on the query above",
        )
    elif item.status not in (NOT_FOUND, SKIPPED):
        item, lines = _journal(ctx, CONTAINERD_JOURNAL, mine or is_kata_line)
        merged += lines
        yield item
    wanted = sandbox or "kata"
    for path in ctx.expand(LOG_FILES):  # declared as the section's `reads`
        title = f"{path} (lines mentioning {wanted})"
        try:
            data, cut = ctx.read_tail(path, MAX_LOG_FILE)
        except OSError as exc:
            status = NOT_FOUND if isinstance(exc, FileNotFoundError) else FAILED
            yield Item("file", title, path=path, status=status, detail=f"could not read: {exc}")
            continue
        lines = [line for line in data.decode("utf-8", "replace").splitlines() if wanted in line]
        merged += lines
        kept, note = bounded(lines, ctx.options.max_lines)
        if cut:
            note += f"; only the last {MAX_LOG_FILE // (1024 * 1024)} MiB of the file read"
        text = "\n".join(kept) + "\n" if kept else "No matching lines.\n"
        full = "\n".join(lines) + "\n" if len(kept) < len(lines) else None
        yield Item("file", title, path=path, text=text, detail=note, full_text=full)
    if sandbox:
        ordered = sorted(dict.fromkeys(merged), key=sort_key)
        kept, note = bounded(ordered, ctx.options.max_lines)
        yield Item(
            "text",
            f"Every log line carrying {sandbox}, in time order",
            text="\n".join(kept) + "\n" if kept else "No log line carries this id.\n",
            detail=note,
            status="ok" if kept else FAILED,
            full_text="\n".join(ordered) + "\n" if len(kept) < len(ordered) else None,
        )


SECTION = Section(
    id="logs",
    title="Logfiles",
    description="Journal of the Kata components (Go logfmt and runtime-rs JSON lines) since "
    "--since, containerd's kata lines, k3s/containerd log files; bounded by --max-lines.",
    probe=probe,
    uses=(KATA_JOURNAL, CONTAINERD_JOURNAL),
    reads=LOG_FILES,
)
