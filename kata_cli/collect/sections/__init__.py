"""The registry of collect-data sections, in report order."""

from __future__ import annotations

from kata_cli.collect.section import Section
from kata_cli.collect.sections import (
    check,
    config_files,
    container_managers,
    devices,
    env,
    guest_assets,
    kernel_log,
    logs,
    meta,
    modules,
    packages,
    sandboxes,
    security,
    versions,
)

SECTIONS: tuple[Section, ...] = (
    meta.SECTION,
    check.SECTION,
    env.SECTION,
    config_files.SECTION,
    guest_assets.SECTION,
    versions.SECTION,
    modules.SECTION,
    devices.SECTION,
    security.SECTION,
    kernel_log.SECTION,
    *container_managers.SECTIONS,
    logs.SECTION,
    sandboxes.SECTION,
    packages.SECTION,
)

__all__ = ["SECTIONS"]
