"""The linter engine: pure, it takes parsed sources and returns findings.

File I/O (reading, writing fixes) belongs to the command; rules belong to `rules/`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kata_cli.config import loader, schema
from kata_cli.host import Host
from kata_cli.lint import registry
from kata_cli.lint.context import LintContext
from kata_cli.lint.model import SEVERITY_RANK, Edit, Finding, Hit, Rule, Unit
from kata_cli.lint.source import ParseProblem, SourceFile
from kata_cli.record import record


@record(eq=False)
class Options:
    """What to check: flavour override, target architecture, rule selection."""

    flavour: str | None = None
    arch: str = "amd64"
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    host: Host | None = None


@record(eq=False)
class UnitResult:
    """The findings of one configuration, and the fixes they offer."""

    unit: Unit
    findings: list[Finding]
    edits: list[Edit]


def lint_sources(
    sources: list[SourceFile], options: Options, facts: dict[str, Any] | None = None
) -> UnitResult:
    """Lint one configuration (a main file and its drop-ins, judged merged).

    `facts` describe the files' surroundings (how the main file was reached, which
    drop-ins are symlinks) for the environment rules.
    """
    rules = _rules(options.select, options.ignore)
    try:
        ctx = LintContext(sources, "go", options.arch, options.host, facts=dict(facts or {}))
        main = sources[0].path if sources else "<config>"
        ctx.flavour = options.flavour or loader.detect_flavour(main, ctx.raw)
        if any(source.problem is not None for source in sources):
            rules = [r for r in rules if r.family == "syntax"]
        contexts = [ctx]
        known = schema.RS_HYPERVISORS if ctx.flavour == "rs" else schema.GO_HYPERVISORS
        candidates = [name for name in ctx.tables("hypervisor") if name in known]
        if ctx.hv_name is None and len(candidates) > 1:
            # the runtime picks one at random (KATA206): check each as if it were picked
            contexts = [ctx.assuming(name) for name in candidates]
        hits = [(r, hit) for one in contexts for r in rules for hit in r.check(one)]
    except RecursionError:
        # nesting deeper than the interpreter can walk: a syntax finding, not a crash
        deep = SourceFile(sources[0].path if sources else "<config>", "main")
        deep.problem = ParseProblem("KATA001", 1, 1, "nested too deeply")
        ctx = LintContext([deep], options.flavour or "go", options.arch, None)
        rules = [registry.BY_CODE["KATA001"]]
        hits = [(rules[0], hit) for hit in rules[0].check(ctx)]
    findings: list[Finding] = []
    edits: list[Edit] = []
    seen: set[tuple[str, str, int, int, str]] = set()
    for rule, hit in hits:
        finding = _finding(ctx, rule, hit)
        key = (finding.code, finding.file, finding.line, finding.column, finding.message)
        if key in seen or _suppressed(ctx, finding):
            continue
        seen.add(key)
        findings.append(finding)
        if hit.edit is not None:
            edits.append(hit.edit)
    findings.sort(key=lambda f: (*f.sort_key(), SEVERITY_RANK[f.severity]))
    unit = Unit([s.path for s in sources], ctx.flavour, options.arch, ctx.hv_name or "")
    return UnitResult(unit, findings, edits)


_RULES: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Rule]] = {}


def _rules(select: tuple[str, ...], ignore: tuple[str, ...]) -> list[Rule]:
    """The rules --select/--ignore leave (computed once per selection)."""
    found = _RULES.get((select, ignore))
    if found is None:
        found = _RULES[(select, ignore)] = [
            r for r in registry.RULES if _enabled(r, select, ignore)
        ]
    return found


def _enabled(rule: Rule, select: tuple[str, ...], ignore: tuple[str, ...]) -> bool:
    # a file that cannot be read is always reported, whatever --select names (not --ignore)
    selected = rule.family == "syntax" or registry.matches(rule.code, select)
    if select and not selected:
        return False
    return not registry.matches(rule.code, ignore)


def _finding(ctx: LintContext, rule: Rule, hit: Hit) -> Finding:
    if hit.file is not None:
        file, line, column = hit.file, hit.line or 1, hit.column or 1
    else:
        file, line, column = ctx.where(hit.path)
    return Finding(
        code=rule.code,
        name=rule.name,
        severity=rule.severity,
        message=" ".join(rule.render(hit.args).split()),
        file=file,
        line=line,
        column=column,
        fix=rule.fix,
        fixable=hit.edit is not None and not hit.edit.unsafe,
    )


def _suppressed(ctx: LintContext, finding: Finding) -> bool:
    source = ctx.source(finding.file)
    if source is None:
        return False
    disabled = source.suppressed(finding.line)
    return bool(disabled) and registry.matches(finding.code, disabled)


def lint_text(
    text: str | bytes, path: str = "configuration.toml", **options: object
) -> list[Finding]:
    """Lint one in-memory file (tests, property tests)."""
    from kata_cli.lint.source import load_source

    data = text.encode("utf-8") if isinstance(text, str) else text
    return lint_sources([load_source(path, data)], Options(**options)).findings  # type: ignore[arg-type]


def codes(findings: Iterable[Finding]) -> list[str]:
    return [f.code for f in findings]
