"""`kata-cli check` for people and scripts: upstream-compatible lines, the verbose table,
the JSON object, the list of checks, the release lines.

stdout carries the verdict (and release lines, a passed boot); stderr one line per
problem with its remedy. Every host-derived text goes through `printable()`.
"""

from __future__ import annotations

from collections.abc import Iterable

from kata_cli.checks import report_data
from kata_cli.checks.model import FAIL, PASS, SKIP, WARN, CheckReport, CheckResult, CheckSpec
from kata_cli.render.terminal import console, err, note, out, stdout_is_tty
from kata_cli.render.text import printable

CAPABLE = "System is capable of running Kata Containers"
# the embedded default stood in for a configuration: only the first level was judged
NOT_INSTALLED_SCOPE = " (hardware and kernel; Kata is not installed)"
CAN_CREATE = "System can currently create Kata Containers"
NOT_CAPABLE = "ERROR: System is not capable of running Kata Containers"
STATUS_STYLE = {PASS: "green", WARN: "yellow", FAIL: "bold red", SKIP: "dim"}


def capable_line(report: CheckReport) -> str:
    """The verdict line of a capable host, saying what the verdict covers."""
    return CAPABLE + ("" if report.installed else NOT_INSTALLED_SCOPE)


def _stdout_results(report: CheckReport) -> list[CheckResult]:
    """Results told on stdout: the release answer, and a boot that passed."""
    return [
        r
        for r in report.results
        if (r.category == "release" and not r.detail.startswith("cannot check"))
        or (r.category == "boot" and r.status == PASS)
    ]


def render_problems(report: CheckReport) -> None:
    """Each failure and warning on stderr, naming the check and its remedy."""
    shown = {id(r) for r in _stdout_results(report)}
    for level, status in (("ERROR", FAIL), ("WARNING", WARN)):
        for result in report.results:
            if result.status != status or id(result) in shown:
                continue
            err(f"{level}: {result.id}: {printable(result.detail)}")
            if result.remedy:
                err(f"  remedy: {printable(result.remedy)}")


def render_verdict(report: CheckReport) -> None:
    """The capable line exactly when the exit status is 0; the "not capable" line else."""
    for action in report.actions:
        note(action)
    for result in _stdout_results(report):
        out(printable(result.detail))
    if not report.capable:
        err(NOT_CAPABLE)
        return
    out(capable_line(report))
    if report.can_create:
        out(CAN_CREATE)


def render_default(report: CheckReport) -> None:
    render_problems(report)
    render_verdict(report)


def render_verbose(report: CheckReport) -> None:
    """A table of every check on stdout (rich on a terminal, plain text otherwise)."""
    if stdout_is_tty():
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


def render_json(report: CheckReport, config_error: str = "") -> None:
    """The JSON object on stdout; a configuration that did not load is also one stderr line."""
    if config_error:
        err(printable(config_error))

    for action in report.actions:
        note(action)
    from kata_cli.render.jsonout import json_text

    out(json_text(report_data(report), indent=2))


LIST_SCHEMA = "kata-cli/check-list/1"


def render_list(specs: list[CheckSpec], as_json: bool = False) -> None:
    if as_json:
        import json

        data = {
            "schema": LIST_SCHEMA,
            "checks": [
                {
                    "id": s.id,
                    "category": s.category,
                    "level": s.level,
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
    level = max(len(s.level) for s in specs)
    out(f"{'CHECK':<{width}}  {'CATEGORY':<{cat}}  REQUIRED  ROOT  {'LEVEL':<{level}}  DESCRIPTION")
    for s in specs:
        required = "yes" if s.required else "no"
        root = "yes" if s.needs_root else "no"
        out(
            f"{s.id:<{width}}  {s.category:<{cat}}  {required:<8}  {root:<4}  "
            f"{s.level:<{level}}  {s.description}"
        )


def render_release_lines(lines: list[str]) -> None:
    """--check-version-only / --only-list-releases: what the release API answered."""
    for line in lines:
        out(printable(line))
