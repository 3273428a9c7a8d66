"""Configuration discovery, loading and effective values (one module every command uses)."""

from kata_cli.config.discovery import default_config_paths
from kata_cli.config.loader import load
from kata_cli.config.model import Adjustment, Config, ConfigFile
from kata_cli.config.schema import AgentConfig, FactoryConfig, HypervisorConfig, RuntimeConfig

load_config = load

__all__ = [
    "Adjustment",
    "AgentConfig",
    "Config",
    "ConfigFile",
    "FactoryConfig",
    "HypervisorConfig",
    "RuntimeConfig",
    "default_config_paths",
    "load",
    "load_config",
]
