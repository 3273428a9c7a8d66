"""`kata-cli check --junit FILE`: one testsuite, one testcase per check (for CI)."""

from __future__ import annotations

from kata_cli.checks.model import FAIL, LEVELS, SKIP, WARN, CheckReport
from kata_cli.errors import KataError
from kata_cli.render.text import printable, valid_xml


def _flag(value: bool | None) -> str:
    return "unknown" if value is None else str(value).lower()


def junit_xml(report: CheckReport) -> bytes:
    """JUnit XML: warnings pass (with system-out); the verdict is in the properties."""
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
    ET.SubElement(props, "property", name="can_create", value=_flag(report.can_create))
    ET.SubElement(props, "property", name="kata_installed", value=str(report.installed).lower())
    for level in LEVELS:
        value = _flag(report.levels.get(level))
        ET.SubElement(props, "property", name=f"level.{level}", value=value)
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
    return valid_xml(ET.tostring(suite, encoding="utf-8", xml_declaration=True)) + b"\n"


def write_junit(path: str, report: CheckReport) -> None:
    from kata_cli.host import atomic_write

    try:
        atomic_write(path, junit_xml(report), 0o644)
    except OSError as exc:
        raise KataError(
            f"cannot write JUnit report {path}: {exc.strerror or exc}",
            "name a file in an existing, writable directory",
        ) from None
