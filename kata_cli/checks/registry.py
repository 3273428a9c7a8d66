"""The check registry: every check kata-cli can run, as `Check(specs, function)` units, in
running order. `check --list`, `--ignore`, the JSON and the JUnit report come from it.

To add a check: write its `CheckSpec`s (id, category, level, required, remedy) and one
function `(CheckContext) -> Iterable[CheckResult]` in a module of this package, and add a
`Check` here. A container-manager check uses `level=WIRING`. A duplicate id is an
import-time error, so two units can never answer for the same check.
"""

from __future__ import annotations

from collections.abc import Iterable

from kata_cli.checks import (
    assets,
    boot,
    confidential,
    configload,
    cpu,
    hostenv,
    kvm,
    modules,
    release,
    storage,
    vsock,
)
from kata_cli.checks.model import ALL_LEVELS, CATEGORIES, Check, CheckSpec
from kata_cli.checks.tables import requirements
from kata_cli.checks.wiring import units as wiring


class DuplicateCheckId(ValueError):
    """Two registry units declare the same check id."""


def validate(units: Iterable[Check]) -> tuple[Check, ...]:
    """The units, unchanged, once every id is known to be unique and every spec valid."""
    units = tuple(units)
    owners: dict[str, str] = {}
    for unit in units:
        name = getattr(unit.function, "__qualname__", repr(unit.function))
        for spec in unit.specs:
            if spec.id in owners:
                raise DuplicateCheckId(
                    f"check id {spec.id} is declared twice ({owners[spec.id]} and {name})"
                )
            if spec.level not in ALL_LEVELS or spec.category not in CATEGORIES:
                raise ValueError(f"check {spec.id}: unknown level or category")
            owners[spec.id] = name
    return units


_TABLES = requirements()

CHECKS: tuple[Check, ...] = validate(
    (
        Check(tuple(configload.catalogue()), configload.config_checks),
        Check(tuple(hostenv.catalogue()), hostenv.host_checks),
        Check(tuple(cpu.catalogue(_TABLES)), cpu.cpu_checks),
        Check(tuple(modules.catalogue(_TABLES)), modules.module_checks),
        Check((kvm.USABLE,), kvm.kvm_checks),
        Check(tuple(vsock.catalogue()), vsock.vsock_checks),
        Check(tuple(storage.catalogue()), storage.storage_checks),
        Check(tuple(assets.catalogue()), assets.asset_checks),
        Check(tuple(confidential.catalogue()), confidential.confidential_checks),
        Check(tuple(wiring.catalogue()), wiring.wiring_checks),
        Check((boot.BOOT,), boot.boot_checks),
        Check((release.RELEASE,), release.release_checks),
    )
)


def catalogue() -> list[CheckSpec]:
    """Every check, in running order (for `check --list`)."""
    return [spec for unit in CHECKS for spec in unit.specs]
