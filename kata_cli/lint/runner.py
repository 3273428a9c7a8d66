"""One `config lint` run: read the units, lint them, apply or preview fixes."""

from __future__ import annotations

import os
from typing import Any

from kata_cli.appctx import AppContext
from kata_cli.lint import files
from kata_cli.lint.engine import Options, UnitResult, lint_sources
from kata_cli.lint.fix import apply_edits, unified_diff
from kata_cli.lint.model import Edit, FileFix, LintResult
from kata_cli.record import field, record


@record(eq=False)
class Outcome:
    """A whole run: the findings, how many fixes were written, the diffs shown."""

    result: LintResult
    fixed: int = 0
    diffs: list[str] = field(default_factory=list)


# machine name -> Go architecture name (what the rules and --arch use)
GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def target_arch(arch: str | None) -> str:
    """--arch, else this machine's (os.uname: cheaper to import than `platform`)."""
    machine = arch or os.uname().machine
    return GO_ARCH.get(machine, machine)


def run_lint(
    app: AppContext,
    paths: tuple[str, ...],
    *,
    flavour: str | None = None,
    arch: str | None = None,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
    fix: bool = False,
    diff: bool = False,
    unsafe: bool = False,
) -> Outcome:
    if paths:
        units: list[tuple[list[files.Located], dict[str, Any]]] = [
            (unit, {}) for unit in files.named(app.host.this_machine(), paths, app.host)
        ]
    else:
        units = [files.discovered(app.host, app.config_path)]
    options = Options(flavour, target_arch(arch), select, ignore, app.host)
    outcome = Outcome(LintResult())
    for unit, facts in units:
        result = _lint_unit(unit, options, facts)
        if fix or diff:
            fixes = _fixes(unit, result.edits, unsafe)
            for item, fixed, bom in fixes:
                outcome.result.fixes.append(fixed)
                if diff:
                    outcome.diffs.append(unified_diff(fixed.file, fixed.before, fixed.after))
                else:
                    files.write_fixed(item, fixed.after, bom)
                    outcome.fixed += fixed.applied
            if fix and not diff and fixes:
                result = _lint_unit(unit, options, facts)
        outcome.result.units.append(result.unit)
        outcome.result.findings.extend(result.findings)
    return outcome


def _lint_unit(unit: list[files.Located], options: Options, facts: dict[str, Any]) -> UnitResult:
    return lint_sources([files.read(item) for item in unit], options, facts)


def _fixes(
    unit: list[files.Located], edits: list[Edit], unsafe: bool
) -> list[tuple[files.Located, FileFix, bool]]:
    """Each file's fixes, with whether it starts with a byte-order mark (kept on write)."""
    result = []
    for item in unit:
        mine = [e for e in edits if e.file == item.display and (unsafe or not e.unsafe)]
        if not mine:
            continue
        source = files.read(item)
        after, applied = apply_edits(source.text, mine)
        if applied and after != source.text:
            result.append((item, FileFix(item.display, source.text, after, applied), source.bom))
    return result
