"""The loaded configuration as data: the files read, the typed tables, and what the
runtime would adjust. Built by `loader`, completed by `effective`, read by everyone else.
"""

from __future__ import annotations

from typing import Any

from kata_cli.config import schema
from kata_cli.record import field, record


@record
class ConfigFile:
    """One file that contributed to the configuration."""

    path: str  # as reported (resolved host path, or local path)
    text: str
    data: dict[str, Any]
    role: str  # "main" | "drop-in" | "embedded"


@record
class Adjustment:
    """A value the runtime would silently change (clamp, reset or force)."""

    table: str
    key: str
    configured: Any
    effective: Any
    reason: str


@record
class Config:
    """The loaded configuration: where it came from and the effective values."""

    path: str
    requested: str
    source: str
    flavour: str
    hypervisor_name: str
    hypervisor_type: str
    agent_name: str
    hypervisor: schema.HypervisorConfig
    agent: schema.AgentConfig
    runtime: schema.RuntimeConfig
    factory: schema.FactoryConfig
    raw: dict[str, Any]
    origins: dict[tuple[str, ...], str]
    files: list[ConfigFile]
    adjustments: list[Adjustment] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def embedded(self) -> bool:
        return self.source == "embedded"

    @property
    def dropins(self) -> list[str]:
        return [f.path for f in self.files if f.role == "drop-in"]

    def origin(self, *path: str) -> str:
        """The file that set a key (`"default"` when no file did).

        For the Go runtime a key may be spelt in another case (`Default_Memory`).
        """
        found = self.origins.get(tuple(path))
        if found is None and self.flavour == "go":
            wanted = tuple(part.lower() for part in path)
            for key, origin in self.origins.items():
                if tuple(part.lower() for part in key) == wanted:
                    return origin
        return found or "default"

    def hypervisor_origin(self, key: str) -> str:
        return self.origin("hypervisor", self.hypervisor_name, key)

    def agent_origin(self, key: str) -> str:
        return self.origin("agent", self.agent_name, key)
