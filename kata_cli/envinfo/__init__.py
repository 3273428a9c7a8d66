"""The `env` report: what the runtime would use and what the host offers (spec section 5)."""

from __future__ import annotations

from kata_cli.envinfo.build import build_env_info
from kata_cli.envinfo.model import FORMAT_VERSION, EnvInfo

__all__ = ["FORMAT_VERSION", "EnvInfo", "build_env_info", "to_json", "to_toml"]


def to_toml(info: EnvInfo) -> str:
    """The report in upstream's TOML layout (spec 5.3)."""
    from kata_cli.render import gotoml

    return gotoml.dumps(info)


def to_json(info: EnvInfo) -> str:
    """The report in upstream's JSON layout (spec 5.4), with a trailing newline."""
    from kata_cli.render import go_json_layout

    return go_json_layout.dumps(info)
