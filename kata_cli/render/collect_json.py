"""The `--json` form of a report (schema `kata-cli/collect-data/1`, documented in the README).

Top level: schema, tool, version, started (UTC), duration (s), deadline_expired, options,
redaction {enabled, hosts, counts{rule: n}}, sections [{id, title, status, notes, duration,
items [{kind, title, text, lang, status, argv, path, exit_code, duration, detail, data}]}].
"""

from __future__ import annotations

from kata_cli.collect.model import Report


def render(report: Report) -> str:

    from kata_cli.render.jsonout import json_text, to_data

    data = to_data(report)
    for section in data["sections"]:
        for item in section["items"]:
            item.pop("full_text", None)  # archive-only: the JSON keeps the bounded output
    # default=str: probes may hand over values JSON lacks (TOML datetimes, paths)
    return json_text(data, indent=2, default=str) + "\n"
