"""Rendering a FleetReport: the text view, the `--json` object, JUnit XML (one case per node)."""

from __future__ import annotations

from typing import Any

from kata_cli.fleet.node import CAPABLE, NOT_CAPABLE, UNKNOWN, rfc3339
from kata_cli.fleet.report import REPORT_SCHEMA, FleetReport
from kata_cli.render.terminal import out

NAMES_SHOWN = 5
DETAIL_SHOWN = 200  # characters of a group's example detail in the text view


def _clean(text: str) -> str:
    from kata_cli.render.text import printable

    return printable(text)


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def text_lines(report: FleetReport, show_nodes: bool = True) -> list[str]:
    totals = report.totals()
    nodes = totals["nodes"]
    lines = [f"{nodes} {'node' if nodes == 1 else 'nodes'}, {report.capable_percent:.1f}% capable"]
    width = len(str(max(totals.values(), default=0)))
    rows = [
        ("capable", totals["capable"], ""),
        ("not capable", totals["not_capable"], ""),
        ("unknown", totals["unknown"], "  (the check could not run)"),
        ("stale", totals["stale"], f"  (no report in the last {_duration(report.stale_after)})"),
        ("bad documents", totals["bad_documents"], ""),
    ]
    lines += [f"  {name:<13} {count:>{width}}{note}" for name, count, note in rows]
    if report.groups:
        lines += ["", "Failures by check:"]
        for group in report.groups:
            count = len(group.nodes)
            noun = "node" if count == 1 else "nodes"
            lines.append(f"  {count} {noun}: {_clean(group.check)}, {group.diagnosis}")
            shown = ", ".join(_clean(n) for n in group.nodes[:NAMES_SHOWN])
            more = f" (+{count - NAMES_SHOWN} more)" if count > NAMES_SHOWN else ""
            lines.append(f"      {shown}{more}")
            if group.detail:
                detail = _clean(group.detail)
                if len(detail) > DETAIL_SHOWN:
                    detail = detail[: DETAIL_SHOWN - 3] + "..."
                lines.append(f"      e.g. {detail}")
    if report.bad:
        lines += ["", "Bad documents:"]
        lines += [f"  {_clean(b.source)}: {_clean(b.problem)}" for b in report.bad]
    if show_nodes and report.nodes:
        lines += ["", *_node_table(report)]
    return lines


def _node_table(report: FleetReport) -> list[str]:
    rows = []
    for node in report.nodes:
        verdict = "stale" if node.stale else node.verdict
        when = rfc3339(node.timestamp) if node.timestamp is not None else "-"
        # every field comes from the node's document: escaped like the node name
        reason, hypervisor = _clean(node.reason or "-"), _clean(node.hypervisor or "-")
        rows.append((_clean(node.node), verdict, reason, hypervisor, when))
    headers = ("NODE", "VERDICT", "REASON", "HYPERVISOR", "LAST RUN")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths[:-1]) + "  {}"
    return [fmt.format(*headers), *(fmt.format(*row) for row in rows)]


def render_text(report: FleetReport, show_nodes: bool = True) -> None:
    out("\n".join(text_lines(report, show_nodes)))


def report_data(report: FleetReport) -> dict[str, Any]:
    return {
        "schema": REPORT_SCHEMA,
        "generated": rfc3339(report.generated),
        "stale_after_seconds": report.stale_after,
        "totals": report.totals(),
        "capable_percent": round(report.capable_percent, 2),
        "failures": [
            {
                "check": g.check,
                "nodes": len(g.nodes),
                "diagnosis": g.diagnosis,
                "detail": g.detail,
                "node_names": g.nodes,
            }
            for g in report.groups
        ],
        "bad_documents": [{"source": b.source, "problem": b.problem} for b in report.bad],
        "skipped_lines": report.skipped_lines,
        "nodes": [
            {
                "node": n.node,
                "verdict": n.verdict,
                "stale": n.stale,
                "reason": n.reason,
                "hypervisor": n.hypervisor,
                "timestamp": rfc3339(n.timestamp) if n.timestamp is not None else None,
                "failed_checks": [f[0] for f in n.failures],
                "source": n.source,
            }
            for n in report.nodes
        ],
    }


def render_json(report: FleetReport) -> None:
    from kata_cli.render.jsonout import json_text

    out(json_text(report_data(report), indent=2))


def junit_xml(report: FleetReport) -> bytes:
    """One testcase per node (failure: not capable or stale; error: unknown), and one
    error case per bad document."""
    import xml.etree.ElementTree as ET

    failures = report.count(NOT_CAPABLE) + report.stale
    errors = report.count(UNKNOWN) + len(report.bad)
    suite = ET.Element(
        "testsuite",
        name="kata-cli fleet report",
        tests=str(len(report.nodes) + len(report.bad)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
    )
    for node in report.nodes:
        case = ET.SubElement(suite, "testcase", classname="kata-cli.fleet", name=_clean(node.node))
        checks = ", ".join(_clean(f[0]) for f in node.failures)
        if node.stale:
            when = rfc3339(node.timestamp) if node.timestamp is not None else "never"
            ET.SubElement(case, "failure", type="stale", message=f"stale: last report {when}")
        elif node.verdict == NOT_CAPABLE:
            failure = ET.SubElement(
                case, "failure", type="not-capable", message=f"not capable: {node.reason}"
            )
            failure.text = (
                "\n".join(f"{_clean(i)}: {_clean(d)}" for i, _c, d in node.failures) or checks
            )
        elif node.verdict == UNKNOWN:
            ET.SubElement(case, "error", type="unknown", message="the check could not run")
        elif node.verdict == CAPABLE and node.hypervisor:
            ET.SubElement(case, "system-out").text = f"capable ({_clean(node.hypervisor)})"
    for bad in report.bad:
        case = ET.SubElement(
            suite, "testcase", classname="kata-cli.fleet.document", name=_clean(bad.source)
        )
        ET.SubElement(case, "error", type="bad-document", message=_clean(bad.problem))
    ET.indent(suite)
    from kata_cli.render.text import valid_xml

    return valid_xml(ET.tostring(suite, encoding="utf-8", xml_declaration=True)) + b"\n"
