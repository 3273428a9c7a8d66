"""Human output of `config lint`: one line per finding, a summary, rule documentation."""

from __future__ import annotations

from kata_cli.lint.model import ERROR, INFO, WARNING, Finding, LintResult, Rule
from kata_cli.render.terminal import color_enabled, out
from kata_cli.render.text import printable  # file names, values: shown escaped

STYLES = {ERROR: "bold red", WARNING: "yellow", INFO: "cyan"}


def finding_line(finding: Finding) -> str:
    """`path:line:col: CODE [severity] message (fix: ...)`."""
    return printable(
        f"{finding.file}:{finding.line}:{finding.column}: {finding.code} "
        f"[{finding.severity}] {finding.message} (fix: {finding.fix})"
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(result: LintResult, fixed: int = 0) -> str:
    files = _plural(len(result.files), "file")
    fixed_text = f"; fixed {_plural(fixed, 'problem')}" if fixed else ""
    if not result.findings:
        return f"No problems found in {files}{fixed_text}."
    counts = (
        f"{_plural(result.count(ERROR), 'error')}, {_plural(result.count(WARNING), 'warning')}, "
        f"{result.count(INFO)} info"
    )
    fixable = sum(1 for f in result.findings if f.fixable)
    fixable_text = f"; {fixable} fixable with --fix" if fixable else ""
    return (
        f"Found {_plural(len(result.findings), 'problem')} ({counts}) in {files}"
        f"{fixed_text}{fixable_text}."
    )


def render(result: LintResult, fixed: int = 0) -> None:
    if color_enabled():
        from rich.text import Text

        from kata_cli.render.terminal import console

        term = console()
        for finding in result.findings:
            where = printable(f"{finding.file}:{finding.line}:{finding.column}: ")
            line = Text(where, style="bold")
            line.append(finding.code, style="bold")
            line.append(f" [{finding.severity}]", style=STYLES[finding.severity])
            line.append(f" {printable(finding.message)}")
            line.append(f" (fix: {printable(finding.fix)})", style="dim")
            term.print(line)
        term.print(summary_line(result, fixed), style="bold")
        return
    for finding in result.findings:
        out(finding_line(finding))
    out(summary_line(result, fixed))


def render_rules(rules: tuple[Rule, ...], families: dict[str, str]) -> None:
    """`--list-rules`: the catalogue, by family."""
    current = None
    for rule in rules:
        if rule.family != current:
            if current is not None:
                out()
            current = rule.family
            out(f"# {families.get(rule.family, rule.family)}")
        out(f"{rule.code}  {rule.severity:<7}  {rule.name:<30}  {rule.fix}")


def render_explain(rule: Rule) -> None:
    """`--explain CODE`: a rule's documentation."""
    out(f"{rule.code} {rule.name} ({rule.severity}, family {rule.family})")
    out()
    out(f"Message: {rule.message}")
    out(f"Why:     {rule.rationale}")
    out(f"Fix:     {rule.fix}")
    out()
    out(
        f"Disable on one line with `# kata-lint: disable={rule.code}`, or run with --ignore {rule.code}."
    )
