"""What every check unit is given: the host, the configuration and facts read once."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from kata_cli import probe
from kata_cli.checks.model import NOT_INSTALLED, CheckOptions
from kata_cli.checks.tables import Requirements, VendorTable, requirements
from kata_cli.host import Host
from kata_cli.record import field, record

if TYPE_CHECKING:
    from kata_cli.config.model import Config


CONFIG_NOT_LOADED = "configuration could not be loaded"


@record
class CpuFacts:
    """The parts of /proc/cpuinfo the checks need, or why it could not be read."""

    text: str | None  # the whole file
    block: str  # first CPU block
    flags: list[str] | None
    vendor_id: str | None
    error: str | None = None


@record
class CheckContext:
    """What every check unit is handed: the host, the configuration, who runs us."""

    host: Host
    config: Config | None
    options: CheckOptions = field(default_factory=CheckOptions)
    is_root: bool = False
    actions: list[str] = field(default_factory=list)
    kvm_error: str = ""  # bare errno text of a failed KVM test, e.g. "device or resource busy"
    config_error: str = ""  # the loader's one-line message when the configuration is broken
    config_missing: bool = False  # ... because the file named by --config does not exist

    @property
    def strict(self) -> bool:
        return self.options.strict

    @property
    def load_modules(self) -> bool:
        return self.options.load_modules

    @property
    def installed(self) -> bool:
        """Is Kata installed: not the embedded default standing in for a configuration
        file? A broken file counts (installed, and broken); so does no configuration at
        all (a library caller's choice: the checks that need one skip themselves)."""
        return self.config_error != "" or self.config is None or not self.config.embedded

    @property
    def no_config_reason(self) -> str:
        """Why a check that needs the configuration is skipped."""
        if self.config_error:
            return CONFIG_NOT_LOADED
        return "no configuration" if self.config is None else NOT_INSTALLED

    @property
    def hypervisor_type(self) -> str | None:
        return None if self.config is None else self.config.hypervisor_type

    @functools.cached_property
    def tables(self) -> Requirements:
        return requirements()

    @functools.cached_property
    def cpu(self) -> CpuFacts:
        try:
            text = self.host.read_text(probe.CPUINFO)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            return CpuFacts(None, "", None, None, f"cannot read {probe.CPUINFO}: {reason}")
        block = probe.first_cpu_block(text)
        return CpuFacts(text, block, probe.cpu_flags(block), probe.cpu_field(block, "vendor_id"))

    @functools.cached_property
    def vendor(self) -> VendorTable | None:
        """The vendor table: the whole cpuinfo is searched, Intel first (upstream's order)."""
        text = self.cpu.text or ""
        for table in self.tables.vendors:
            if table.match in text:
                return table
        return None

    @functools.cached_property
    def on_vmm(self) -> bool:
        """Is this host itself a virtual machine (the `hypervisor` CPU flag)?"""
        return "hypervisor" in (self.cpu.flags or [])

    def module_loaded(self, name: str) -> bool:
        return probe.module_loaded(self.host, name)

    @functools.cached_property
    def builtin_modules(self) -> frozenset[str]:
        """Modules built into the running kernel (modules.builtin), which a module without
        parameters never shows under /sys/module."""
        try:
            release = probe.kernel_release(self.host)
        except (OSError, ValueError):
            return frozenset()
        for directory in ("/lib/modules", "/usr/lib/modules"):
            text = self.host.read_text_or(f"{directory}/{release}/modules.builtin")
            if text is not None:
                return frozenset(
                    line.rsplit("/", 1)[-1].removesuffix(".ko").replace("-", "_")
                    for line in text.split()
                )
        return frozenset()
