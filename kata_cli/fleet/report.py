"""`fleet report`: merge many nodes' `check --json` documents into one view.

`fleet.inputs` reads the documents; here they are checked and merged. A node's newest
document wins. A document that is not valid is counted and named, never fatal.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from typing import Any

from kata_cli import jsonread
from kata_cli.checks.model import FAIL, CheckResult
from kata_cli.fleet.node import CAPABLE, NOT_CAPABLE, UNKNOWN, VERDICTS, parse_rfc3339
from kata_cli.fleet.reasons import BY_VALUE, NESTED_MARK, reason_for
from kata_cli.record import field, record

REPORT_SCHEMA = "kata-cli/fleet-report/1"
DOCUMENT_LIMIT = 16 * 1024 * 1024  # one node's document (a file, or one line)
NAME_LIMIT = 253


@record
class NodeEntry:
    node: str
    source: str
    verdict: str
    reason: str
    timestamp: float | None
    hypervisor: str = ""
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # id, category, detail
    stale: bool = False


@record
class BadDocument:
    source: str
    problem: str


@record
class FailureGroup:
    check: str
    nodes: list[str]
    diagnosis: str
    detail: str


@record
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


@record
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
            data = jsonread.loads(doc.text)
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
