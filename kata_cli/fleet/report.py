"""`fleet report`: merge many nodes' `check --json` documents into one view.

Documents come from files (one per node, or JSON lines), directories of such files, or
a stream of lines as `kubectl logs -l app.kubernetes.io/name=kata-cli --prefix` prints
them (`[pod/NAME/CONTAINER] {...}`). A node's newest document wins. A document that
is not valid is counted and named, never fatal; log lines between documents are skipped.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kata_cli.checks.model import FAIL, CheckResult
from kata_cli.fleet.node import CAPABLE, NOT_CAPABLE, UNKNOWN, VERDICTS, parse_rfc3339
from kata_cli.fleet.reasons import BY_VALUE, NESTED_MARK, reason_for

REPORT_SCHEMA = "kata-cli/fleet-report/1"
DOCUMENT_LIMIT = 16 * 1024 * 1024  # one node's document (a file, or one line)
NAME_LIMIT = 253
PREFIX = re.compile(r"\[([^\]\s]{1,400})\] ")


@dataclass
class NodeEntry:
    node: str
    source: str
    verdict: str
    reason: str
    timestamp: float | None
    hypervisor: str = ""
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # id, category, detail
    stale: bool = False


@dataclass
class BadDocument:
    source: str
    problem: str


@dataclass
class FailureGroup:
    check: str
    nodes: list[str]
    diagnosis: str
    detail: str


@dataclass
class FleetReport:
    nodes: list[NodeEntry]
    bad: list[BadDocument]
    groups: list[FailureGroup]
    generated: float
    stale_after: float
    skipped_lines: int = 0

    def count(self, verdict: str) -> int:
        return sum(1 for n in self.nodes if not n.stale and n.verdict == verdict)

    @property
    def stale(self) -> int:
        return sum(1 for n in self.nodes if n.stale)

    @property
    def capable_percent(self) -> float:
        if not self.nodes:
            return 0.0
        return 100.0 * self.count(CAPABLE) / len(self.nodes)

    def totals(self) -> dict[str, int]:
        return {
            "nodes": len(self.nodes),
            "capable": self.count(CAPABLE),
            "not_capable": self.count(NOT_CAPABLE),
            "unknown": self.count(UNKNOWN),
            "stale": self.stale,
            "bad_documents": len(self.bad),
        }


@dataclass
class Document:
    source: str
    text: str | bytes
    name_hint: str  # file stem or pod name


class Merger:
    """Collects documents; `report()` builds the merged view."""

    def __init__(self) -> None:
        self.latest: dict[str, tuple[float, int, NodeEntry]] = {}
        self.bad: list[BadDocument] = []
        self.skipped_lines = 0
        self._order = 0

    def add(self, doc: Document) -> None:
        try:
            data = json.loads(doc.text)
        except (ValueError, RecursionError) as exc:
            self.bad.append(BadDocument(doc.source, f"not JSON: {_short(exc)}"))
            return
        entry = self._entry(data, doc)
        if isinstance(entry, str):
            self.bad.append(BadDocument(doc.source, entry))
            return
        self._order += 1
        key = (entry.timestamp if entry.timestamp is not None else float("-inf"), self._order)
        held = self.latest.get(entry.node)
        if held is None or key >= held[:2]:
            self.latest[entry.node] = (key[0], key[1], entry)

    def _entry(self, data: Any, doc: Document) -> NodeEntry | str:
        if not isinstance(data, dict):
            return "not a JSON object"
        schema = data.get("schema")
        if not isinstance(schema, str) or not schema.startswith("kata-cli/check/"):
            return f"not a kata-cli check document (schema {str(schema)[:60]!r})"
        checks = data.get("checks")
        capable = data.get("capable")
        if not isinstance(checks, list) or not isinstance(capable, bool):
            return "no `capable` boolean or `checks` list"
        failures: list[tuple[str, str, str]] = []
        for item in checks:
            try:
                check_id, status = item["id"], item["status"]
            except (TypeError, KeyError, IndexError):
                return "a `checks` entry is not an object with `id` and `status`"
            if type(check_id) is not str or type(status) is not str:
                return "a `checks` entry has no string `id` and `status`"
            if status == FAIL:
                detail = item.get("detail")
                category = item.get("category")
                if item.get("level") == "wiring":
                    category = "wiring"
                failures.append(
                    (
                        check_id[:200],
                        category[:100] if isinstance(category, str) else "",
                        detail[:1000] if isinstance(detail, str) else "",
                    )
                )
        timestamp = None
        if "timestamp" in data:
            timestamp = parse_rfc3339(data["timestamp"])
            if timestamp is None:
                return "`timestamp` is not an RFC 3339 time"
        verdict = data.get("verdict")
        if verdict not in VERDICTS:
            can_create = data.get("can_create")
            verdict = CAPABLE if capable and can_create is not False else NOT_CAPABLE
        node = data.get("node")
        if not isinstance(node, str) or not node.strip():
            node = doc.name_hint
        reason = data.get("reason")
        if not isinstance(reason, str) or reason not in BY_VALUE:
            reason = _reason(verdict, failures)
        hypervisor = data.get("hypervisor")
        return NodeEntry(
            node=node.strip()[:NAME_LIMIT],
            source=doc.source,
            verdict=str(verdict),
            reason=reason,
            timestamp=timestamp,
            hypervisor=hypervisor[:64] if isinstance(hypervisor, str) else "",
            failures=failures,
        )

    def report(self, now: float, stale_after: float) -> FleetReport:
        nodes = sorted((held[2] for held in self.latest.values()), key=lambda n: n.node)
        for node in nodes:
            node.stale = node.timestamp is not None and now - node.timestamp > stale_after
        return FleetReport(
            nodes=nodes,
            bad=self.bad,
            groups=group_failures(n for n in nodes if not n.stale),
            generated=now,
            stale_after=stale_after,
            skipped_lines=self.skipped_lines,
        )


def _reason(verdict: str, failures: list[tuple[str, str, str]]) -> str:
    if verdict == UNKNOWN:
        return "check-error"
    if verdict == CAPABLE:
        return ""
    found = [_diagnose(*f).value for f in failures]
    if not found:
        return "check-failed"
    from kata_cli.fleet.reasons import VALUES

    return min(found, key=VALUES.index)


def _diagnose(check_id: str, category: str, detail: str) -> Any:
    return _diagnose_cached(check_id, category, NESTED_MARK in detail)


@functools.lru_cache(maxsize=4096)
def _diagnose_cached(check_id: str, category: str, nested: bool) -> Any:
    detail = NESTED_MARK if nested else ""
    return reason_for(CheckResult(check_id, category, "", FAIL, True, detail))


def group_failures(nodes: Iterable[NodeEntry]) -> list[FailureGroup]:
    """Failing checks, most nodes first, each with the diagnosis most of its nodes share."""
    members: dict[str, list[str]] = {}
    diagnoses: dict[str, Counter[str]] = {}
    details: dict[str, Counter[str]] = {}
    for node in nodes:
        for check_id, category, detail in node.failures:
            members.setdefault(check_id, []).append(node.node)
            diagnoses.setdefault(check_id, Counter())[
                _diagnose(check_id, category, detail).text
            ] += 1
            details.setdefault(check_id, Counter())[detail] += 1
    groups = [
        FailureGroup(
            check=check_id,
            nodes=names,
            diagnosis=diagnoses[check_id].most_common(1)[0][0],
            detail=details[check_id].most_common(1)[0][0],
        )
        for check_id, names in members.items()
    ]
    return sorted(groups, key=lambda g: (-len(g.nodes), g.check))


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


# -- reading inputs ---------------------------------------------------------------------
def stream_documents(lines: Iterable[bytes], source: str, merger: Merger) -> Iterator[Document]:
    """Documents in JSON lines, with or without kubectl's `[pod/NAME/CONTAINER] ` prefix."""
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        hint = ""
        if line.startswith(b"["):
            match = PREFIX.match(line.decode("utf-8", "replace"))
            if match:
                hint = _pod_name(match.group(1))
                line = line[len(match.group(0).encode("utf-8", "replace")) :].strip()
        if not line.startswith(b"{"):
            merger.skipped_lines += 1  # a log line on stderr, e.g. "verdict ... -> ..."
            continue
        where = f"{source}:{number}" + (f" ({hint})" if hint else "")
        if len(line) > DOCUMENT_LIMIT:
            merger.bad.append(BadDocument(where, "longer than 16 MiB"))
            continue
        yield Document(where, line, hint or f"{source}:{number}")


def _pod_name(prefix: str) -> str:
    """`pod/kata-cli-x7k2p/check` -> `kata-cli-x7k2p` (the node name is in the document)."""
    parts = prefix.split("/")
    return parts[1] if len(parts) >= 2 and parts[0] == "pod" else prefix


def file_documents(path: str, data: bytes, merger: Merger) -> Iterator[Document]:
    """One file: a whole JSON document (pretty-printed `check --json`) or JSON lines."""
    stem = os.path.basename(path)
    for suffix in (".jsonl", ".json", ".log"):
        stem = stem.removesuffix(suffix)
    text = data.strip()
    lined = b"\n" + text
    if (text.startswith(b"{") and b"\n{" not in text) or (
        b"\n{" not in lined and b"\n[pod/" not in lined
    ):
        yield Document(path, text, stem)  # one document (or not JSON: a bad one)
        return
    yield from stream_documents(text.split(b"\n"), path, merger)


def bounded_lines(stream: Any, limit: int = DOCUMENT_LIMIT) -> Iterator[bytes]:
    """Lines of a binary stream, none longer than `limit` (a longer one becomes a stub
    that fails to parse, so it is counted as a bad document)."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while True:  # drop the rest of the overlong line
                rest = stream.readline(1024 * 1024)
                if not rest or rest.endswith(b"\n"):
                    break
            yield b"{ overlong line dropped"
            continue
        yield line


def merge_inputs(paths: Iterable[str], stdin: Any, merger: Merger) -> None:
    """Feed every document of PATHs (files, directories; `-` is stdin) to `merger`.

    These are local files the user named. A directory's files are read with the
    directory as the root (a link cannot lead out of it), never a FIFO or a device,
    each bounded. A PATH that cannot be read raises OSError; a file inside a directory
    that cannot be read is a bad document.
    """
    from kata_cli.host import Host, local_host

    this_host = local_host()
    for path in paths:
        if path == "-":
            for doc in stream_documents(bounded_lines(stdin), "<stdin>", merger):
                merger.add(doc)
            continue
        full = os.path.abspath(path)
        if this_host.is_dir(full):
            directory = Host(full)
            for name in directory.listdir("/"):
                if name.startswith("."):
                    continue
                shown = os.path.join(path, name)
                try:
                    _merge_file(directory, name, shown, merger, in_directory=True)
                except OSError as exc:
                    merger.bad.append(BadDocument(shown, f"cannot read: {exc.strerror or exc}"))
        else:
            _merge_file(this_host, full, path, merger, in_directory=False)


def _merge_file(host: Any, name: str, shown: str, merger: Merger, in_directory: bool) -> None:
    flags = os.O_RDONLY | os.O_NONBLOCK | (os.O_NOFOLLOW if in_directory else 0)
    fd = host.open_fd(name, flags)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if in_directory:
            return  # subdirectories, FIFOs, sockets, devices are not read
        raise OSError(errno.EINVAL, "not a regular file", shown)
    with os.fdopen(fd, "rb") as handle:
        os.set_blocking(handle.fileno(), True)
        if info.st_size > DOCUMENT_LIMIT:  # only JSON lines can be this large
            for doc in stream_documents(bounded_lines(handle), shown, merger):
                merger.add(doc)
            return
        # the size it has (+1 sees growth): read(16 MiB) would allocate 16 MiB per file
        data = handle.read(info.st_size + 1)
    if len(data) > DOCUMENT_LIMIT:
        merger.bad.append(BadDocument(shown, "larger than 16 MiB"))
        return
    for doc in file_documents(shown, data, merger):
        merger.add(doc)
