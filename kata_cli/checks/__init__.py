"""Host checks: can this host run Kata Containers, and if not, what exactly to fix.

Cheap to import (no rich, no requests): `kata-cli env` and `collect-data` use it too.

* `run_checks(host, config, ...)` runs every check unit and returns a `CheckReport`.
* `host_capable(host, config)` is the CPU + kernel-module verdict only (no ioctl, no
  network, no side effect), used for `VMContainerCapable` by `env`.
* `report_data(report)` is the documented `--json` object.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kata_cli.checks.model import (
    FAIL,
    PASS,
    SKIP,
    WARN,
    CheckReport,
    CheckResult,
    CheckSpec,
)

if TYPE_CHECKING:
    from kata_cli.config.model import Config
    from kata_cli.host import Host

JSON_SCHEMA = "kata-cli/check/1"

__all__ = [
    "FAIL",
    "JSON_SCHEMA",
    "PASS",
    "SKIP",
    "WARN",
    "CheckReport",
    "CheckResult",
    "CheckSpec",
    "host_capable",
    "report_data",
    "run_checks",
]


def run_checks(
    host: Host,
    config: Config | None,
    *,
    strict: bool = False,
    ignore: Iterable[str] = (),
    load_modules: bool = False,
    kvm: bool = True,
) -> CheckReport:
    """Run every host check. Never raises for host problems: they become results."""
    from kata_cli.checks.runner import run

    return run(host, config, strict=strict, ignore=ignore, load_modules=load_modules, kvm=kvm)


def host_capable(host: Host, config: Config | None) -> bool:
    """The CPU + kernel-module verdict (upstream's "host capable" test), side-effect free."""
    from kata_cli.checks.runner import capability_only

    return capability_only(host, config)


def report_data(report: CheckReport) -> dict[str, Any]:
    """The `--json` object: schema, capable, can_create, and one entry per check."""
    return {
        "schema": JSON_SCHEMA,
        "capable": report.capable,
        "can_create": report.can_create,
        "checks": [
            {
                "id": r.id,
                "category": r.category,
                "description": r.description,
                "status": r.status,
                "required": r.required,
                "detail": r.detail,
                "remedy": r.remedy,
            }
            for r in report.results
        ],
    }
