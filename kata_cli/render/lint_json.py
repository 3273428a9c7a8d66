"""`config lint --format json` (schema `kata-cli/config-lint/1`).

{"schema": ..., "units": [{"files", "flavour", "arch", "hypervisor"}],
 "findings": [{"code", "name", "severity", "message", "file", "line", "column", "fix",
 "fixable"}], "summary": {"files", "errors", "warnings", "info", "fixed"}}
"""

from __future__ import annotations

import json
from typing import Any

from kata_cli.lint.model import ERROR, INFO, WARNING, LintResult, Rule
from kata_cli.render.jsonout import to_data
from kata_cli.render.terminal import out

SCHEMA = "kata-cli/config-lint/1"


def document(result: LintResult, fixed: int = 0) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "units": to_data(result.units),
        "findings": to_data(result.findings),
        "summary": {
            "files": len(result.files),
            "errors": result.count(ERROR),
            "warnings": result.count(WARNING),
            "info": result.count(INFO),
            "fixed": fixed,
        },
    }


def render(result: LintResult, fixed: int = 0) -> None:
    from kata_cli.render.jsonout import json_text

    out(json_text(document(result, fixed), indent=2))


def render_rules(rules: tuple[Rule, ...]) -> None:
    data = [
        {
            "code": r.code,
            "name": r.name,
            "severity": r.severity,
            "family": r.family,
            "message": r.message,
            "rationale": r.rationale,
            "fix": r.fix,
        }
        for r in rules
    ]
    out(json.dumps({"schema": "kata-cli/lint-rules/1", "rules": data}, indent=2))
