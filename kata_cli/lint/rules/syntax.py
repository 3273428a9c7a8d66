"""Files that cannot be read as TOML at all (KATA0xx).

When one of these fires, the other families are not run on that configuration: the
runtime would refuse the file before looking at any key.
"""

from __future__ import annotations

from collections.abc import Iterator

from kata_cli.lint.context import LintContext
from kata_cli.lint.model import ERROR, Hit, rule


def _parse_problems(ctx: LintContext, code: str) -> Iterator[Hit]:
    for source in ctx.files:
        problem = source.problem
        if problem is not None and problem.code == code:
            yield Hit(
                args={"detail": problem.detail},
                file=source.path,
                line=problem.line,
                column=problem.column,
            )


@rule(
    "KATA001",
    "invalid-toml",
    ERROR,
    "invalid TOML: {detail}",
    "Both runtimes refuse a file (or a config.d drop-in) that is not valid TOML, and "
    "only the first syntax error is ever reported.",
    "correct the syntax at that position (quotes, brackets, `key = value`)",
)
def invalid_toml(ctx: LintContext) -> Iterator[Hit]:
    yield from _parse_problems(ctx, "KATA001")


@rule(
    "KATA002",
    "not-utf8",
    ERROR,
    "{detail}",
    "TOML files must be UTF-8; the runtime cannot decode anything else.",
    "re-save the file as UTF-8",
)
def not_utf8(ctx: LintContext) -> Iterator[Hit]:
    yield from _parse_problems(ctx, "KATA002")


@rule(
    "KATA003",
    "unreadable-file",
    ERROR,
    "{detail}",
    "A file that cannot be read (missing, a directory inside config.d, no permission, "
    "several MiB large) stops the runtime before any key is looked at.",
    "fix the file's path, type or permissions; remove stray entries from config.d",
)
def unreadable_file(ctx: LintContext) -> Iterator[Hit]:
    yield from _parse_problems(ctx, "KATA003")


RULES = (invalid_toml, not_utf8, unreadable_file)
