"""What a lint rule is, and what it finds.

A `Rule` is declarative metadata (code, name, severity, message template, rationale,
fix hint) plus one pure `check` function over a `LintContext`. The check yields `Hit`s
(`lint.hits`: where and with which message arguments); the engine turns them into
`Finding`s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from kata_cli.lint.hits import Edit, Hit
from kata_cli.record import field, record

if TYPE_CHECKING:
    from kata_cli.lint.context import LintContext

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)
SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}


Check = Callable[["LintContext"], Iterable[Hit]]


@record(eq=False)
class Rule:
    """One lint rule. Its docstring-like fields are its documentation (`--explain`)."""

    code: str
    name: str
    severity: str
    message: str  # str.format template over the hit's args
    rationale: str
    fix: str
    check: Check
    family: str = ""

    def render(self, args: dict[str, Any]) -> str:
        try:
            return self.message.format(**args)
        except (KeyError, IndexError, ValueError):
            return self.message


def rule(
    code: str, name: str, severity: str, message: str, rationale: str, fix: str
) -> Callable[[Check], Rule]:
    """Declare a rule over its check function (the function becomes the Rule)."""

    def wrap(check: Check) -> Rule:
        family = check.__module__.rsplit(".", 1)[-1]
        return Rule(code, name, severity, message, rationale, fix, check, family)

    return wrap


@record
class Finding:
    """One problem at one place, ready to render."""

    code: str
    name: str
    severity: str
    message: str
    file: str
    line: int
    column: int
    fix: str
    fixable: bool = False

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.code)


@record
class FileFix:
    """The result of applying fixes to one file."""

    file: str
    before: str
    after: str
    applied: int


@record
class Unit:
    """One linted configuration: a main file and its drop-ins, judged as merged."""

    files: list[str]
    flavour: str
    arch: str
    hypervisor: str


@record
class LintResult:
    """Everything one `config lint` run found."""

    units: list[Unit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    fixes: list[FileFix] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return [name for unit in self.units for name in unit.files]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def failed(self, strict: bool = False) -> bool:
        if self.count(ERROR):
            return True
        return strict and self.count(WARNING) > 0


__all__ = [
    "ERROR",
    "INFO",
    "SEVERITIES",
    "SEVERITY_RANK",
    "WARNING",
    "Check",
    "Edit",
    "FileFix",
    "Finding",
    "Hit",
    "LintResult",
    "Rule",
    "Unit",
    "rule",
]
