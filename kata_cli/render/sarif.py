"""SARIF 2.1.0 output of `config lint`, loadable by code-scanning tools.

One run; the tool driver lists every rule (so `ruleIndex` is stable); results carry
`level` (error / warning / note), the message and a physical location with 1-based
line and column.
"""

from __future__ import annotations

import os
import re
from typing import Any

from kata_cli import __version__
from kata_cli.lint.model import ERROR, INFO, WARNING, LintResult, Rule
from kata_cli.render.terminal import out

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {ERROR: "error", WARNING: "warning", INFO: "note"}


def _uri(path: str) -> str:
    """A URI reference: `file:` for absolute paths, else relative, percent-encoded
    (a space, `#` or `%` in a file name would otherwise make an invalid URI)."""
    from urllib.parse import quote

    if os.path.isabs(path):
        from pathlib import PurePosixPath

        return PurePosixPath(path).as_uri()
    return quote(path.replace(os.sep, "/"), safe="/")


def _summary(rule: Rule) -> str:
    """The message template with its `{placeholders}` shown as an ellipsis."""
    return re.sub(r"\{[a-z_]+\}", "…", rule.message)


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": _summary(rule)},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": f"{rule.rationale} Fix: {rule.fix}"},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"family": rule.family},
    }


def document(result: LintResult, rules: tuple[Rule, ...]) -> dict[str, Any]:
    index = {rule.code: position for position, rule in enumerate(rules)}
    results = [
        {
            "ruleId": f.code,
            "ruleIndex": index.get(f.code, 0),
            "level": LEVELS[f.severity],
            "message": {"text": f"{f.message} (fix: {f.fix})"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.file)},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }
            ],
        }
        for f in result.findings
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kata-cli config lint",
                        "version": __version__,
                        "informationUri": "https://github.com/kata-containers/kata-containers",
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "artifacts": [{"location": {"uri": _uri(path)}} for path in result.files],
                "results": results,
            }
        ],
    }


def render(result: LintResult, rules: tuple[Rule, ...]) -> None:
    from kata_cli.render.jsonout import json_text

    out(json_text(document(result, rules), indent=2))
