"""Every lint rule, in code order. An explicit list: no discovery by scanning directories."""

from __future__ import annotations

from kata_cli.lint.model import Rule
from kata_cli.lint.rules import (
    clamps,
    consistency,
    keys,
    paths,
    runtime_rs,
    security,
    syntax,
    types,
    values,
)

RULES: tuple[Rule, ...] = (
    *syntax.RULES,
    *types.RULES,
    *keys.RULES,
    *values.RULES,
    *consistency.RULES,
    *clamps.RULES,
    *security.RULES,
    *runtime_rs.RULES,
    *paths.RULES,
)
BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}
FAMILIES: dict[str, str] = {
    "syntax": "KATA0xx  files that are not TOML",
    "types": "KATA1xx  wrong TOML types and integer ranges",
    "keys": "KATA2xx  unknown tables and keys, spellings, table selection",
    "values": "KATA3xx  enumerated values",
    "consistency": "KATA4xx  keys that do not work together",
    "clamps": "KATA5xx  values silently changed, keys without effect",
    "security": "KATA6xx  placeholders, secrets, annotations",
    "runtime_rs": "KATA7xx  runtime-rs validation",
    "paths": "KATA9xx  files missing on the target host (environment)",
}


def matches(code: str, patterns: tuple[str, ...]) -> bool:
    """Whether a code is named by any of the codes or code prefixes (`KATA2`, `KATA201`)."""
    upper = code.upper()
    return any(upper.startswith(p.upper()) for p in patterns if p)


def unknown_patterns(patterns: tuple[str, ...]) -> list[str]:
    """Patterns that select no rule at all (typos in --select/--ignore)."""
    return [p for p in patterns if p and not any(matches(r.code, (p,)) for r in RULES)]
