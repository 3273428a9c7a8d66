"""The registry of collect-data sections, in report order."""

from __future__ import annotations

from kata_cli.collect.model import Section
from kata_cli.collect.sections import (
    configs,
    core,
    guest,
    host_state,
    logs,
    managers,
    meta,
    packages,
    sandboxes,
    versions,
)

SECTIONS: tuple[Section, ...] = (
    meta.SECTION,
    core.CHECK,
    core.ENV,
    configs.SECTION,
    guest.SECTION,
    versions.SECTION,
    host_state.MODULES_SECTION,
    host_state.DEVICES_SECTION,
    host_state.SECURITY_SECTION,
    host_state.KERNEL_LOG_SECTION,
    *managers.SECTIONS,
    logs.SECTION,
    sandboxes.SECTION,
    packages.SECTION,
)

__all__ = ["SECTIONS"]
