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
from kata_cli.checks.model import INSTALLATION, CheckResult, CheckSpec
from kata_cli.errors import ConfigError, ConfigNotFound

CATEGORY = "config"
__all__ = ["LOAD", "NOT_LOADED", "catalogue", "config_checks", "fatal_error"]

LOAD = CheckSpec(
    "config.load",
    CATEGORY,
    "the Kata configuration file loads (valid TOML, one hypervisor, right value types)",
    required=True,
    remedy="run `kata-cli config lint` to see every problem in the file, then fix it "
    "(or name a working file with --config)",
    level=INSTALLATION,
)

MISSING_REMEDY = "name an existing configuration file with --config (or KATA_CONF_FILE)"


def is_explicit_missing(error: ConfigError | None) -> bool:
    """Did --config (or KATA_CONF_FILE) name a file that does not exist?"""
    return isinstance(error, ConfigNotFound) and error.explicit


def fatal_error(error: ConfigError | None, machine_readable: bool) -> ConfigError | None:
    """The configuration error that ends `check` instead of becoming a failing check.

    `--config PATH` naming nothing keeps upstream's byte-exact error as the only output
    for people; a machine reader (--json) still gets its report, with config.load failing
    in it (and --junit still writes its file before the error is raised)."""
    if machine_readable or not is_explicit_missing(error):
        return None
    return error


def catalogue() -> list[CheckSpec]:
    return [LOAD]


def config_checks(ctx: CheckContext) -> Iterator[CheckResult]:
    if ctx.config_error:
        missing = ctx.config_missing
        yield LOAD.failed(ctx.config_error, MISSING_REMEDY if missing else None)
    elif ctx.config is None:
        yield LOAD.skipped("no configuration given to the checks")
    else:
        config = ctx.config
        where = "embedded default" if config.embedded else config.path
        yield LOAD.passed(f"{where} loaded")
