"""`kata-cli config`: lint configuration files, show the effective configuration."""

from __future__ import annotations

import click

from kata_cli.appctx import AppContext
from kata_cli.commands import completers
from kata_cli.commands.options import flavour_option, pass_app
from kata_cli.errors import ConfigError, UsageError, VerdictFailure

ARCHES = ("amd64", "arm64", "s390x", "ppc64le", "riscv64", "x86_64", "aarch64")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def config() -> None:
    """Lint and show Kata configuration files."""


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(
        part.strip().upper() for value in values for part in value.split(",") if part.strip()
    )


@config.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...", shell_complete=completers.files)
@flavour_option
@click.option(
    "--arch", type=click.Choice(ARCHES), help="Target architecture (default: this host's)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--select", multiple=True, metavar="CODES", help="Only these codes or prefixes (KATA2,KATA301)."
)
@click.option(
    "--ignore", multiple=True, metavar="CODES", help="Skip these codes or prefixes (e.g. KATA9)."
)
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@click.option("--fix", is_flag=True, help="Apply mechanical fixes in place (atomically).")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; change nothing.")
@click.option(
    "--remove-placeholders",
    is_flag=True,
    help="With --fix/--diff: also delete lines whose value is an unresolved @VAR@.",
)
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("--explain", metavar="CODE", help="Explain one rule and exit.")
@pass_app
def lint(
    app: AppContext,
    paths: tuple[str, ...],
    flavour: str | None,
    arch: str | None,
    output_format: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    strict: bool,
    fix: bool,
    diff: bool,
    remove_placeholders: bool,
    list_rules: bool,
    explain: str | None,
) -> None:
    """Lint configuration files: every problem, with file, line, column, code and fix.

    With no PATH, the configuration the runtime would use (and its config.d drop-ins)
    is linted as one merged configuration; `-` reads standard input. Exit status: 0 no error-severity finding,
    1 errors (or warnings with --strict), 2 usage error. Suppress a finding on its line
    with `# kata-lint: disable=KATA101`.
    """
    from kata_cli.lint import registry

    if list_rules:
        if output_format == "json":
            from kata_cli.render import lint_json

            lint_json.render_rules(registry.RULES)
        else:
            from kata_cli.render import lint_text

            lint_text.render_rules(registry.RULES, registry.FAMILIES)
        return
    if explain:
        rule = registry.BY_CODE.get(explain.strip().upper())
        if rule is None:
            raise UsageError(f"no rule {explain!r}", "see --list-rules")
        from kata_cli.render import lint_text

        lint_text.render_explain(rule)
        return
    if fix and not diff and "-" in paths:
        raise UsageError("cannot --fix standard input", "use --diff to see the fixes")
    selected, ignored = _codes(select), _codes(ignore)
    unknown = registry.unknown_patterns(selected + ignored)
    if unknown:
        raise UsageError(f"no rule matches {', '.join(unknown)}", "see --list-rules")
    from kata_cli.lint.runner import run_lint

    outcome = run_lint(
        app,
        paths,
        flavour=flavour,
        arch=arch,
        select=selected,
        ignore=ignored,
        fix=fix,
        diff=diff,
        unsafe=remove_placeholders,
    )
    if diff:
        from kata_cli.render.terminal import out

        out("".join(outcome.diffs), end="")
    elif output_format == "json":
        from kata_cli.render import lint_json

        lint_json.render(outcome.result, outcome.fixed)
    elif output_format == "sarif":
        from kata_cli.render import sarif

        sarif.render(outcome.result, registry.RULES)
    else:
        from kata_cli.render import lint_text

        lint_text.render(outcome.result, outcome.fixed)
    if outcome.result.failed(strict):
        raise VerdictFailure()


@config.command()
@flavour_option
@click.option("--origin", is_flag=True, help="Say which file (or default) set each value.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["toml", "json"]),
    default="toml",
    show_default=True,
    help="Output format.",
)
@pass_app
def show(app: AppContext, flavour: str | None, origin: bool, output_format: str) -> None:
    """Print the effective configuration: merged files, defaults and clamping applied."""
    from kata_cli.lint.show import effective_view
    from kata_cli.render import lint_show

    try:
        view = effective_view(app.load_config(flavour))
    except RecursionError:
        # tables nested thousands deep (the loader merges recursively)
        raise ConfigError(
            "the configuration is nested too deeply to load", "see `kata-cli config lint`"
        ) from None
    if output_format == "json":
        lint_show.render_json(view)
    else:
        lint_show.render_toml(view, origin)
