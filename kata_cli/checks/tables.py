"""The requirement tables (`share/checks/<arch>.toml`) as typed data."""

from __future__ import annotations

import functools
import tomllib
from typing import Any

from kata_cli.record import record


@record(frozen=True)
class FlagRequirement:
    """A CPU flag the vendor table requires."""

    name: str
    description: str
    remedy: str


@record(frozen=True)
class ParamRequirement:
    """A kernel module parameter and the value it must have."""

    name: str
    expected: str
    remedy: str
    skip_on_vmm: bool = False
    report_only: bool = False


@record(frozen=True)
class ModuleRequirement:
    """A kernel module the vendor table requires (or only reports)."""

    name: str
    description: str
    required: bool
    strict_params: tuple[ParamRequirement, ...] = ()


@record(frozen=True)
class VendorTable:
    """The requirements for one CPU vendor."""

    key: str  # "intel" | "amd"
    match: str  # the vendor string, e.g. GenuineIntel
    description: str
    virt_flag: str
    virt_module: str
    hypervisors: tuple[str, ...]
    flags: tuple[FlagRequirement, ...]
    modules: tuple[ModuleRequirement, ...]

    def supports(self, hypervisor_type: str) -> bool:
        return "*" in self.hypervisors or hypervisor_type in self.hypervisors


@record(frozen=True)
class Requirements:
    """Every vendor table of one architecture."""

    vendors: tuple[VendorTable, ...]
    remote: tuple[str, ...]
    cpu_only: tuple[str, ...]

    def vendor(self, key: str) -> VendorTable:
        for table in self.vendors:
            if table.key == key:
                return table
        raise KeyError(key)


def _vendor(key: str, data: dict[str, Any]) -> VendorTable:
    return VendorTable(
        key=key,
        match=data["match"],
        description=data["description"],
        virt_flag=data["virt_flag"],
        virt_module=data["virt_module"],
        hypervisors=tuple(data.get("hypervisors", ["*"])),
        flags=tuple(FlagRequirement(**flag) for flag in data.get("flags", [])),
        modules=tuple(
            ModuleRequirement(
                name=mod["name"],
                description=mod["description"],
                required=bool(mod.get("required", True)),
                strict_params=tuple(ParamRequirement(**p) for p in mod.get("strict_params", [])),
            )
            for mod in data.get("modules", [])
        ),
    )


def parse(text: str) -> Requirements:
    data = tomllib.loads(text)
    return Requirements(
        vendors=tuple(_vendor(key, value) for key, value in data["vendors"].items()),
        remote=tuple(data.get("remote", [])),
        cpu_only=tuple(data.get("cpu_only", [])),
    )


@functools.cache
def requirements(arch: str = "x86_64") -> Requirements:
    """The shipped tables for an architecture (read once per process)."""
    from kata_cli.config.discovery import share_dir

    return parse((share_dir() / "checks" / f"{arch}.toml").read_text())
