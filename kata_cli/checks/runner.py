"""Runs the registry's units in order, applies --ignore and --strict, and reaches the verdict."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING

from kata_cli.checks import cpu, modules
from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import (
    ADVISORY,
    FAIL,
    HARDWARE,
    INSTALLATION,
    LEVELS,
    NOT_INSTALLED,
    PASS,
    SKIP,
    WARN,
    WIRING,
    CheckOptions,
    CheckReport,
    CheckResult,
    Unit,
)
from kata_cli.errors import ConfigError
from kata_cli.record import replace

if TYPE_CHECKING:
    from kata_cli.config.model import Config
    from kata_cli.host import Host

# the checks whose passing shows that a VM can be created now (`can_create`)
CREATE_CHECKS = ("kvm.usable", "boot.vm")
# the levels that are not judged when Kata is not installed (the embedded default)
INSTALLED_LEVELS = (INSTALLATION, WIRING)


def run(
    host: Host,
    config: Config | None,
    options: CheckOptions | None = None,
    *,
    is_root: bool | None = None,
    config_error: ConfigError | str | None = None,
) -> CheckReport:
    """Run the units. `config_error` (the loader's error or message) means the
    configuration is broken: `config.load` fails and the checks that need the
    configuration are skipped."""
    from kata_cli.checks.configload import is_explicit_missing
    from kata_cli.checks.registry import CHECKS

    options = options or CheckOptions()
    if isinstance(config_error, ConfigError):
        message, missing = config_error.one_line(), is_explicit_missing(config_error)
    else:
        message, missing = config_error or "", False
    ctx = CheckContext(
        host,
        None if message else config,
        options,
        is_root=host.is_root() if is_root is None else is_root,
        config_error=message,
        config_missing=missing,
    )
    results: list[CheckResult] = []
    for unit in CHECKS:
        level = unit.specs[0].level if unit.specs else HARDWARE
        results += _run_unit(unit.function, ctx, level)
    if not ctx.installed:
        results = [_not_installed(r) for r in results]
    patterns = [p for p in options.ignore if p]
    results = [_apply_ignore(r, patterns) for r in results]
    if options.strict:
        results = [_strict(r) for r in results]
    report = verdict(results, installed=ctx.installed)
    report.actions = list(ctx.actions)
    return report


def _run_unit(unit: Unit, ctx: CheckContext, level: str = HARDWARE) -> list[CheckResult]:
    """A unit that breaks on an unexpected host must not take the whole report down: it
    becomes a failure of the level the unit's checks belong to."""
    try:
        return list(unit(ctx))
    except (OSError, ValueError) as exc:  # e.g. an unreadable or garbled host file
        name = getattr(unit, "__name__", "check").removesuffix("_checks")
        return [
            CheckResult(
                id=f"{name}.error",
                category="host",
                description=f"{name} checks could run",
                status=FAIL,
                required=True,
                detail=f"cannot verify: {getattr(exc, 'strerror', None) or exc}",
                remedy="check that the host root is readable",
                level=level,
            )
        ]


def _not_installed(result: CheckResult) -> CheckResult:
    """Without a configuration file the installation and wiring are not judged."""
    if result.level not in INSTALLED_LEVELS or result.detail.startswith(NOT_INSTALLED):
        return result
    return replace(result, status=SKIP, detail=NOT_INSTALLED, remedy="")


def _apply_ignore(result: CheckResult, patterns: list[str]) -> CheckResult:
    if any(fnmatch.fnmatchcase(result.id, p) for p in patterns):
        return replace(
            result, status=SKIP, detail=f"ignored (--ignore); was {result.status}", remedy=""
        )
    return result


def _strict(result: CheckResult) -> CheckResult:
    if result.status == WARN and result.level != ADVISORY:
        return replace(result, status=FAIL)
    return result


def verdict(results: list[CheckResult], installed: bool = True) -> CheckReport:
    """The truth table: a level is False when one of its checks failed, None when all were
    skipped, else True; `capable` when no check failed at any level (advisory ones never
    decide); `can_create` only for a capable host with Kata installed whose KVM test or
    boot passed, False when one of those failed."""
    levels: dict[str, bool | None] = {}
    for level in LEVELS:
        mine = [r for r in results if r.level == level]
        if any(r.status == FAIL for r in mine):
            levels[level] = False
        elif all(r.status == SKIP for r in mine):
            levels[level] = None
        else:
            levels[level] = True
    capable = not any(r.status == FAIL for r in results if r.level != ADVISORY)
    create = [r for r in results if r.id in CREATE_CHECKS]
    can_create: bool | None = None
    if any(r.status == FAIL for r in create):
        can_create = False
    elif capable and installed and any(r.status == PASS for r in create):
        can_create = True  # without Kata installed, a VM is not yet a Kata Container
    return CheckReport(
        capable=capable,
        can_create=can_create,
        results=results,
        levels=levels,
        installed=installed,
    )


def capability_only(host: Host, config: Config | None) -> bool:
    """Upstream's "host capable" test: CPU and kernel modules only, nothing loaded."""
    ctx = CheckContext(host, config, is_root=False)
    results: list[CheckResult] = []
    for unit in (cpu.cpu_checks, modules.module_checks):
        results += _run_unit(unit, ctx)
    return not any(r.status == FAIL for r in results)
