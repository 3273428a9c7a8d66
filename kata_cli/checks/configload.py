"""Does the configuration load? A broken file becomes a failing check, not a lost report.

`kata-cli check --json` in a CI pipeline must still print its object when the
configuration is malformed: the loader's one-line message becomes the detail of
`config.load`, and the checks that need the configuration are skipped with
`NOT_LOADED` as the reason, while the CPU, module and KVM checks still run.
"""

from __future__ import annotations

from collections.abc import Iterator

from kata_cli.checks.context import CONFIG_NOT_LOADED as NOT_LOADED
from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import CheckResult, CheckSpec

CATEGORY = "config"
__all__ = ["LOAD", "NOT_LOADED", "catalogue", "config_checks", "is_missing_file"]

LOAD = CheckSpec(
    "config.load",
    CATEGORY,
    "the Kata configuration file loads (valid TOML, one hypervisor, right value types)",
    required=True,
    remedy="run `kata-cli config lint` to see every problem in the file, then fix it "
    "(or name a working file with --config)",
)


MISSING_REMEDY = "name an existing configuration file with --config (or KATA_CONF_FILE)"
# the loader's (upstream's byte-exact) text when --config / KATA_CONF_FILE names nothing
MISSING_PREFIX = "Cannot find usable config file (file "


def is_missing_file(message: str) -> bool:
    """Does the loader's message say that an explicitly named file does not exist?"""
    return message.startswith(MISSING_PREFIX)


def catalogue() -> list[CheckSpec]:
    return [LOAD]


def config_checks(ctx: CheckContext) -> Iterator[CheckResult]:
    if ctx.config_error:
        missing = is_missing_file(ctx.config_error)
        yield LOAD.failed(ctx.config_error, MISSING_REMEDY if missing else None)
    elif ctx.config is None:
        yield LOAD.skipped("no configuration given to the checks")
    else:
        config = ctx.config
        where = "embedded default" if config.embedded else config.path
        yield LOAD.passed(f"{where} loaded")
