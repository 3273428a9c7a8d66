"""A node's verdict in the Prometheus text format, for node_exporter's textfile collector.

Every family carries HELP and TYPE lines; label values are escaped (backslash, double
quote, newline) so no check id or version string can break the exposition. When the
run failed (verdict unknown) `kata_check_up` is 0 and `kata_check_capable` is absent:
a value would be a guess.
"""

from __future__ import annotations

from collections.abc import Iterable

from kata_cli.fleet.node import NodeRun, report_capable

Sample = tuple[dict[str, str], float]


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def number(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def family(name: str, help_text: str, samples: Iterable[Sample], kind: str = "gauge") -> list[str]:
    rows = list(samples)
    if not rows:
        return []
    lines = [f"# HELP {name} {escape_help(help_text)}", f"# TYPE {name} {kind}"]
    for labels, value in rows:
        text = ",".join(f'{key}="{escape_label(val)}"' for key, val in labels.items())
        lines.append(f"{name}{{{text}}} {number(value)}" if text else f"{name} {number(value)}")
    return lines


def textfile(run: NodeRun) -> bytes:
    lines: list[str] = []
    if run.report is not None:
        lines += family(
            "kata_check_capable",
            "1 when this node can run Kata Containers (every required check passed), else 0.",
            [({"hypervisor": run.hypervisor, "flavour": run.flavour}, report_capable(run.report))],
        )
    lines += family(
        "kata_check_up",
        "1 when the last check run completed, 0 when it failed (verdict unknown).",
        [({}, 1 if run.report is not None else 0)],
    )
    lines += family(
        "kata_check_result",
        "One series per check; the status label is pass, warn, fail or skip (value always 1).",
        [
            (
                {
                    "check": r.id,
                    "category": r.category,
                    "required": "true" if r.required else "false",
                    "status": r.status,
                },
                1,
            )
            for r in run.results
        ],
    )
    lines += family(
        "kata_check_last_run_timestamp_seconds",
        "When the last check run started, in seconds since the epoch.",
        [({}, round(run.started, 3))],
    )
    lines += family(
        "kata_check_duration_seconds",
        "How long the last check run took, in seconds.",
        [({}, round(run.duration, 6))],
    )
    lines += family(
        "kata_cli_info",
        "The kata-cli version that wrote this file.",
        [({"version": run.version}, 1)],
    )
    return ("\n".join(lines) + "\n").encode("utf-8", "backslashreplace")
