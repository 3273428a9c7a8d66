"""Rendering a CheckReport: upstream-compatible lines, the verbose table, JSON, JUnit XML.

The only writers used are kata_cli.render.terminal's (stdout for results, stderr for
diagnostics) and kata_cli.host.atomic_write for the JUnit file.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable

from kata_cli.checks import report_data
from kata_cli.checks.model import FAIL, PASS, SKIP, WARN, CheckReport, CheckResult, CheckSpec
from kata_cli.errors import KataError
from kata_cli.render.terminal import console, err, note, out, stream_is_tty

CAPABLE = "System is capable of running Kata Containers"
CAN_CREATE = "System can currently create Kata Containers"
NOT_CAPABLE = "ERROR: System is not capable of running Kata Containers"
STATUS_STYLE = {PASS: "green", WARN: "yellow", FAIL: "bold red", SKIP: "dim"}
# details quote host files and configuration values: a terminal must not interpret them
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text safe for a terminal line or XML: control characters as visible escapes."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def _release_lines(report: CheckReport) -> list[CheckResult]:
    return [
        r
        for r in report.results
        if r.category == "release" and not r.detail.startswith("cannot check")
    ]


def render_problems(report: CheckReport) -> None:
    """Each failure and warning on stderr, naming the check and its remedy."""
    shown = {id(r) for r in _release_lines(report)}
    for level, status in (("ERROR", FAIL), ("WARNING", WARN)):
        for result in report.results:
            if result.status != status or id(result) in shown:
                continue
            err(f"{level}: {result.id}: {printable(result.detail)}")
            if result.remedy:
                err(f"  remedy: {printable(result.remedy)}")


def render_verdict(report: CheckReport) -> None:
    for action in report.actions:
        note(action)
    for result in _release_lines(report):
        out(printable(result.detail))
    if not report.capable:
        err(NOT_CAPABLE)
        return
    out(CAPABLE)
    if report.can_create:
        out(CAN_CREATE)
    elif report.can_create is False:
        err(printable(report.kvm_error or _create_failure(report)))


def _create_failure(report: CheckReport) -> str:
    for result in report.results:
        if result.category in ("kvm", "boot") and result.status == FAIL:
            return result.detail
    return "cannot create a VM"


def render_default(report: CheckReport) -> None:
    render_problems(report)
    render_verdict(report)


def render_verbose(report: CheckReport) -> None:
    """A table of every check on stdout (rich on a terminal, plain text otherwise)."""
    if stream_is_tty(sys.stdout):
        _rich_table(report)
    else:
        for line in plain_table(report.results):
            out(line)
    render_verdict(report)


def plain_table(results: Iterable[CheckResult]) -> list[str]:
    rows = list(results)
    width = max([len(r.id) for r in rows] + [5])
    lines = [f"{'STATUS':<6} {'CHECK':<{width}}  DETAIL"]
    for r in rows:
        lines.append(f"{r.status.upper():<6} {r.id:<{width}}  {printable(r.detail)}")
        if r.remedy:
            lines.append(f"{'':<6} {'':<{width}}  remedy: {printable(r.remedy)}")
    return lines


def _rich_table(report: CheckReport) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=False, header_style="bold")
    for name in ("status", "check", "detail", "remedy"):
        table.add_column(name.upper(), overflow="fold")
    for r in report.results:
        style = STATUS_STYLE.get(r.status, "")
        # Text, not markup: a `[/]` in a configured path must not be read as a rich tag
        table.add_row(
            Text(r.status.upper(), style=style),
            Text(r.id),
            Text(printable(r.detail)),
            Text(printable(r.remedy)),
        )
    console().print(table)


def render_json(report: CheckReport) -> None:
    for action in report.actions:
        note(action)
    out(json.dumps(report_data(report), indent=2, ensure_ascii=False))


LIST_SCHEMA = "kata-cli/check-list/1"


def render_list(specs: list[CheckSpec], as_json: bool = False) -> None:
    if as_json:
        data = {
            "schema": LIST_SCHEMA,
            "checks": [
                {
                    "id": s.id,
                    "category": s.category,
                    "description": s.description,
                    "required": s.required,
                    "needs_root": s.needs_root,
                }
                for s in specs
            ],
        }
        out(json.dumps(data, indent=2))
        return
    width = max(len(s.id) for s in specs)
    cat = max(len(s.category) for s in specs)
    out(f"{'CHECK':<{width}}  {'CATEGORY':<{cat}}  REQUIRED  ROOT  DESCRIPTION")
    for s in specs:
        required = "yes" if s.required else "no"
        root = "yes" if s.needs_root else "no"
        out(f"{s.id:<{width}}  {s.category:<{cat}}  {required:<8}  {root:<4}  {s.description}")


def junit_xml(report: CheckReport) -> bytes:
    """JUnit XML: one testsuite, one testcase per check (warnings pass, with system-out)."""
    import xml.etree.ElementTree as ET

    failures = sum(1 for r in report.results if r.status == FAIL)
    skipped = sum(1 for r in report.results if r.status == SKIP)
    suite = ET.Element(
        "testsuite",
        name="kata-cli check",
        tests=str(len(report.results)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="capable", value=str(report.capable).lower())
    can_create = "unknown" if report.can_create is None else str(report.can_create).lower()
    ET.SubElement(props, "property", name="can_create", value=can_create)
    for r in report.results:
        case = ET.SubElement(
            suite, "testcase", classname=f"kata-cli.check.{r.category}", name=r.id, time="0"
        )
        detail, remedy = printable(r.detail), printable(r.remedy)  # XML 1.0 has no control chars
        if r.status == FAIL:
            failure = ET.SubElement(case, "failure", message=detail, type="fail")
            failure.text = f"{r.description}\n{detail}\nremedy: {remedy}"
        elif r.status == SKIP:
            ET.SubElement(case, "skipped", message=detail)
        elif r.status == WARN:
            ET.SubElement(case, "system-out").text = f"WARNING: {detail}\nremedy: {remedy}"
        elif detail:
            ET.SubElement(case, "system-out").text = detail
    ET.indent(suite)
    return ET.tostring(suite, encoding="utf-8", xml_declaration=True) + b"\n"


def write_junit(path: str, report: CheckReport) -> None:
    from kata_cli.host import atomic_write

    try:
        atomic_write(path, junit_xml(report), 0o644)
    except OSError as exc:
        raise KataError(
            f"cannot write JUnit report {path}: {exc.strerror or exc}",
            "name a file in an existing, writable directory",
        ) from None
