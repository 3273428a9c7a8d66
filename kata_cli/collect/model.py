"""What collect-data produces: the options it ran with and its results (data only).

The declarations of what is gathered are in `section.py`; the renderers
(`kata_cli/render/collect_*.py`) turn these results into output.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kata_cli.record import field, record

SCHEMA = "kata-cli/collect-data/1"

# item statuses
OK = "ok"
FAILED = "failed"  # a command exited non-zero, or a probe raised
TIMED_OUT = "timed-out"  # a command hit --timeout (or the deadline's remainder)
NOT_FOUND = "not-found"  # program or file absent
DEADLINE = "deadline"  # the section had not finished when --deadline expired
SKIPPED = "skipped"
STATUSES = (OK, FAILED, TIMED_OUT, NOT_FOUND, DEADLINE, SKIPPED)


@record
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


@record
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


@record
class SectionResult:
    id: str
    title: str
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = OK  # ok | deadline | skipped (nothing relevant on this host)
    duration: float = 0.0


@record
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
