"""Host checks: can this host run Kata Containers, and if not, what exactly to fix.

Cheap to import (no rich, no requests): `kata-cli env` and `collect-data` use it too.

* `run_checks(host, config, ...)` runs every check of the registry (`checks.registry`)
  and returns a `CheckReport`.
* `host_capable(host, config)` is the CPU + kernel-module verdict only (no ioctl, no
  network, no side effect), used for `VMContainerCapable` by `env`.
* `report_data(report)` is the documented `--json` object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kata_cli.checks.model import (
    FAIL,
    PASS,
    SKIP,
    WARN,
    CheckOptions,
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
    "CheckOptions",
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
    ignore: tuple[str, ...] = (),
    load_modules: bool = False,
    kvm: bool = True,
) -> CheckReport:
    """Run every host check. Never raises for host problems: they become results."""
    from kata_cli.checks.runner import run

    options = CheckOptions(strict=strict, ignore=tuple(ignore), load_modules=load_modules, kvm=kvm)
    return run(host, config, options)


def host_capable(host: Host, config: Config | None) -> bool:
    """The CPU + kernel-module verdict (upstream's "host capable" test), side-effect free."""
    from kata_cli.checks.runner import capability_only

    return capability_only(host, config)


def report_data(report: CheckReport) -> dict[str, Any]:
    """The `--json` object: schema, the verdict (capable, can_create, one value per level)
    and one entry per check."""
    return {
        "schema": JSON_SCHEMA,
        "capable": report.capable,
        "can_create": report.can_create,
        "kata_installed": report.installed,
        "levels": dict(report.levels),
        "checks": [
            {
                "id": r.id,
                "category": r.category,
                "level": r.level,
                "description": r.description,
                "status": r.status,
                "required": r.required,
                "detail": r.detail,
                "remedy": r.remedy,
            }
            for r in report.results
        ],
    }
