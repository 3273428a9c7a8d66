"""Runs the check units in order, applies --ignore and --strict, and reaches the verdict."""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from kata_cli.checks import (
    assets,
    confidential,
    configload,
    cpu,
    hostenv,
    modules,
    storage,
    vsock,
)
from kata_cli.checks import kvm as kvm_unit
from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import FAIL, PASS, SKIP, WARN, CheckReport, CheckResult, CheckSpec
from kata_cli.checks.tables import requirements

if TYPE_CHECKING:
    from kata_cli.config.model import Config
    from kata_cli.host import Host

Unit = Callable[[CheckContext], Iterable[CheckResult]]

# Categories whose failures decide `can_create` rather than `capable`, and the one that
# never decides anything (a network problem is not a host problem).
CREATE_CATEGORIES = ("kvm", "boot")
ADVISORY_CATEGORIES = ("release",)


HOST_UNITS: tuple[Unit, ...] = (
    configload.config_checks,
    hostenv.host_checks,
    cpu.cpu_checks,
    modules.module_checks,
)
INSTALL_UNITS: tuple[Unit, ...] = (
    vsock.vsock_checks,
    storage.storage_checks,
    assets.asset_checks,
    confidential.confidential_checks,
)


def catalogue() -> list[CheckSpec]:
    """Every check kata-cli can run (for `check --list`), in running order."""
    from kata_cli.checks import boot, release

    tables = requirements()
    specs = [
        *configload.catalogue(),
        *hostenv.catalogue(),
        *cpu.catalogue(tables),
        *modules.catalogue(tables),
        kvm_unit.USABLE,
        *vsock.catalogue(),
        *storage.catalogue(),
        *assets.catalogue(),
        *confidential.catalogue(),
        boot.BOOT,
        release.RELEASE,
    ]
    seen: dict[str, CheckSpec] = {}
    for spec in specs:
        seen.setdefault(spec.id, spec)
    return list(seen.values())


def run(
    host: Host,
    config: Config | None,
    *,
    strict: bool = False,
    ignore: Iterable[str] = (),
    load_modules: bool = False,
    kvm: bool = True,
    extra_units: Iterable[Unit] = (),
    is_root: bool | None = None,
    config_error: str = "",
) -> CheckReport:
    """Run the units. `config_error` (the loader's message) means the configuration is
    broken: `config.load` fails and the checks that need the configuration are skipped."""
    ctx = CheckContext(
        host,
        None if config_error else config,
        strict=strict,
        is_root=host.is_root() if is_root is None else is_root,
        load_modules=load_modules,
        config_error=config_error,
    )
    units: list[Unit] = [*HOST_UNITS]
    if kvm:
        units.append(kvm_unit.kvm_checks)
    units += [*INSTALL_UNITS, *extra_units]
    results: list[CheckResult] = []
    for unit in units:
        results += _run_unit(unit, ctx)
    patterns = [p for p in ignore if p]
    results = [_apply_ignore(r, patterns) for r in results]
    if strict:
        results = [_strict(r) for r in results]
    report = verdict(results)
    report.actions = list(ctx.actions)
    report.kvm_error = ctx.kvm_error if _kvm_failed(results) else ""
    return report


def _run_unit(unit: Unit, ctx: CheckContext) -> list[CheckResult]:
    """A unit that breaks on an unexpected host must not take the whole report down."""
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
            )
        ]


def _apply_ignore(result: CheckResult, patterns: list[str]) -> CheckResult:
    if any(fnmatch.fnmatchcase(result.id, p) for p in patterns):
        return dataclasses.replace(
            result, status=SKIP, detail=f"ignored (--ignore); was {result.status}", remedy=""
        )
    return result


def _strict(result: CheckResult) -> CheckResult:
    if result.status == WARN and result.category not in ADVISORY_CATEGORIES:
        return dataclasses.replace(result, status=FAIL)
    return result


def _kvm_failed(results: list[CheckResult]) -> bool:
    return any(r.id == kvm_unit.USABLE.id and r.status == FAIL for r in results)


def verdict(results: list[CheckResult]) -> CheckReport:
    """capable: no failed host requirement; can_create: the KVM test (and boot) outcome."""
    capable = not any(
        r.status == FAIL
        for r in results
        if r.category not in CREATE_CATEGORIES + ADVISORY_CATEGORIES
    )
    create = [r for r in results if r.category in CREATE_CATEGORIES]
    can_create: bool | None = None
    if any(r.status == FAIL for r in create):
        can_create = False
    elif any(r.id == kvm_unit.USABLE.id and r.status == PASS for r in create):
        can_create = True
    return CheckReport(capable=capable, can_create=can_create, results=results)


def capability_only(host: Host, config: Config | None) -> bool:
    """Upstream's "host capable" test: CPU and kernel modules only, nothing loaded."""
    ctx = CheckContext(host, config, is_root=False)
    results: list[CheckResult] = []
    for unit in (cpu.cpu_checks, modules.module_checks):
        results += _run_unit(unit, ctx)
    return not any(r.status == FAIL for r in results)
