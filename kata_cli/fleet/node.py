"""One node's check run as data (`NodeRun`) and as the node document other tools read.

The node document is the `check --json` object plus what a fleet view needs: the node's
name, when the run started (RFC 3339, UTC), how long it took, the hypervisor and
flavour of the judged configuration, the tool's version and a three-way `verdict`
(`capable`, `not-capable`, `unknown` when the run itself failed).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kata_cli.checks.model import CheckReport, CheckResult
from kata_cli.fleet.reasons import BY_VALUE, Reason, first_reason
from kata_cli.record import field, record

if TYPE_CHECKING:
    from kata_cli.host import Host

NODE_SCHEMA = "kata-cli/check/1"
CAPABLE = "capable"
NOT_CAPABLE = "not-capable"
UNKNOWN = "unknown"
VERDICTS = (CAPABLE, NOT_CAPABLE, UNKNOWN)
NODE_NAME_LIMIT = 253


@record
class NodeRun:
    """What one run found. `report` is None when the run itself failed (`error` says why)."""

    node: str
    started: float  # seconds since the epoch
    duration: float
    version: str
    report: CheckReport | None = None
    hypervisor: str = ""
    flavour: str = ""
    error: str = ""
    data: dict[str, Any] = field(default_factory=dict)  # the report's --json object

    @property
    def verdict(self) -> str:
        if self.report is None:
            return UNKNOWN
        return CAPABLE if report_capable(self.report) else NOT_CAPABLE

    @property
    def results(self) -> list[CheckResult]:
        return [] if self.report is None else list(self.report.results)

    @property
    def reason(self) -> Reason | None:
        if self.report is None:
            return BY_VALUE["check-error"]
        if report_capable(self.report):
            return None
        return first_reason(self.report.results) or BY_VALUE["check-failed"]


def report_capable(report: CheckReport) -> bool:
    """The exit-status verdict of `check`: capable, and the KVM test (if run) did not fail."""
    return bool(report.capable) and report.can_create is not False


def rfc3339(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    # %Y is not zero-padded by glibc: year 1 (Go's zero time) would print as "1-01-01"
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> float | None:
    """Seconds since the epoch, or None for anything that is not an RFC 3339 time."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    try:  # "0001-01-01T00:00:00+01:00" is in year 0 in UTC: no time we can print
        parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return parsed.timestamp()


def node_name(host: Host, explicit: str | None, environ: dict[str, str]) -> str:
    """--node-name, else NODE_NAME (the DaemonSet sets it), else the host's hostname."""
    for candidate in (explicit, environ.get("NODE_NAME")):
        if candidate:
            return candidate[:NODE_NAME_LIMIT]
    text = host.read_text_or("/etc/hostname", None)
    if text and text.strip():
        return text.strip().splitlines()[0][:NODE_NAME_LIMIT]
    import socket

    return socket.gethostname()[:NODE_NAME_LIMIT]


def node_document(run: NodeRun) -> dict[str, Any]:
    """The node document: `check --json` keys first, then the fleet keys."""
    if run.data:
        doc: dict[str, Any] = dict(run.data)
    elif run.report is not None:
        from kata_cli.checks import report_data

        doc = report_data(run.report)
    else:
        doc = {"schema": NODE_SCHEMA}
    if run.report is None:
        doc.setdefault("capable", False)
        doc.setdefault("can_create", False)
        doc.setdefault("checks", [])
    reason = run.reason
    doc.update(
        {
            "node": run.node,
            "timestamp": rfc3339(run.started),
            "duration_seconds": round(run.duration, 6),
            "verdict": run.verdict,
            "reason": reason.value if reason else "",
            "hypervisor": run.hypervisor,
            "flavour": run.flavour,
            "version": run.version,
        }
    )
    if run.error:
        doc["error"] = run.error
    return doc


def run_node(
    host: Host,
    node: str,
    *,
    config_path: str | None,
    flavour: str | None,
    strict: bool = False,
    ignore: Iterable[str] = (),
    clock: Any = time,
) -> NodeRun:
    """Load the configuration afresh and run the checks; never raises for a failed run."""
    from kata_cli import __version__

    started = clock.time()
    began = clock.monotonic()
    run = NodeRun(node=node, started=started, duration=0.0, version=__version__ or "unknown")
    try:
        report, config = _check(host, config_path, flavour, strict, list(ignore))
    except Exception as exc:  # a failed run is an "unknown" verdict, never a crash
        run.error = f"{type(exc).__name__}: {exc}"[:500]
    else:
        attach(run, report, config)
    run.duration = clock.monotonic() - began
    return run


def attach(run: NodeRun, report: CheckReport, config: Any) -> None:
    """Fill a run from a finished report and the configuration it judged (or None)."""
    from kata_cli.checks import report_data

    run.report = report
    run.data = report_data(report)
    if config is not None:
        run.hypervisor = config.hypervisor_name
        run.flavour = config.flavour


def _check(
    host: Host, config_path: str | None, flavour: str | None, strict: bool, ignore: list[str]
) -> tuple[CheckReport, Any]:
    from kata_cli.checks.model import CheckOptions
    from kata_cli.checks.runner import run
    from kata_cli.config import load
    from kata_cli.errors import ConfigError

    config = None
    config_error = None
    try:
        config = load(host, explicit=config_path, flavour=flavour)
    except ConfigError as exc:
        config_error = exc
    options = CheckOptions(strict=strict, ignore=tuple(ignore))
    report = run(host, config, options, is_root=host.is_root(), config_error=config_error)
    return report, config
