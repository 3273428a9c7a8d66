"""Where the configuration comes from (spec section 2, config-schema section 1).

Order: `--config` (must exist) -> `KATA_CONF_FILE` (must exist; any path is accepted,
unlike the shim) -> the default list under the host root (Go paths, then runtime-rs
paths); the first one that resolves wins, symlinks followed. Nothing found -> the
embedded default shipped in `share/` (announced on stderr by the caller).

An explicit path (option or environment) names a file on the machine the tool runs on;
the default list is searched under the host root.
"""

from __future__ import annotations

import os
from pathlib import Path

from kata_cli.errors import ConfigError, ConfigNotFound
from kata_cli.host import Host
from kata_cli.record import record

GO_DEFAULT_PATHS = (
    "/etc/kata-containers/configuration.toml",
    "/usr/share/defaults/kata-containers/configuration.toml",
    "/opt/kata/share/defaults/kata-containers/configuration.toml",
)
RS_DEFAULT_PATHS = (
    "/etc/kata-containers/runtime-rs/configuration.toml",
    "/usr/share/defaults/kata-containers/runtime-rs/configuration.toml",
    "/opt/kata/share/defaults/kata-containers/runtime-rs/configuration.toml",
)
ENV_VAR = "KATA_CONF_FILE"
EMBEDDED = "<embedded>"


def default_config_paths() -> list[str]:
    """The search list, in order (what `--show-default-config-paths` prints)."""
    return [*GO_DEFAULT_PATHS, *RS_DEFAULT_PATHS]


def share_dir() -> Path:
    """The shipped data directory: inside the wheel, or `share/` of a source checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_share"
    if packaged.is_dir():
        return packaged
    return here.parent / "share"


def embedded_config_path() -> Path:
    return share_dir() / "configuration.toml"


@record
class Located:
    """A configuration file that was found."""

    path: str  # resolved path (host path for defaults, local path otherwise)
    requested: str  # the path as asked for (before symlinks)
    source: str  # "option" | "env" | "default" | "embedded"
    fs: Host  # how to read it and its config.d

    @property
    def embedded(self) -> bool:
        return self.source == "embedded"


def locate(
    host: Host,
    explicit: str | None = None,
    environ: dict[str, str] | None = None,
    allow_embedded: bool = True,
) -> Located | None:
    """Find the configuration file; None only when nothing is found and no embedded default.
    `environ` defaults to the host's environment (`host.env`)."""
    environ = dict(host.env.environ) if environ is None else environ
    if explicit:
        return _explicit(host, explicit, "option")
    from_env = environ.get(ENV_VAR, "")
    if from_env:
        return _explicit(host, from_env, "env")
    for candidate in default_config_paths():
        try:
            resolved = host.resolve(candidate)
        except FileNotFoundError:
            continue
        except OSError as exc:  # a symlink loop: there is a file, but not a usable one
            raise ConfigError(
                f"Cannot use config file {candidate}: {exc.strerror or exc}",
                "fix or remove it",
            ) from None
        if host.is_file(resolved):
            return Located(resolved, candidate, "default", host)
        if host.exists(resolved):
            kind = "a directory" if host.is_dir(resolved) else "not a regular file"
            raise ConfigError(
                f"Cannot use config file {candidate}: it is {kind}", "fix or remove it"
            )
    if allow_embedded:
        return Located(str(embedded_config_path()), EMBEDDED, "embedded", Host("/"))
    return None


def _explicit(host: Host, path: str, source: str) -> Located:
    """A file named by --config or KATA_CONF_FILE: on this machine, read through
    `host.this_machine()` (the run's Host type and environment, root `/`)."""
    absolute = os.path.abspath(path)
    local = host.this_machine()
    try:
        resolved = local.resolve(absolute)
    except OSError:
        resolved = ""
    if not resolved or not local.exists(resolved):
        # byte-exact upstream text for --config; the environment variable is named otherwise
        hint = None if source == "option" else f"check the {ENV_VAR} environment variable"
        raise ConfigNotFound(
            f"Cannot find usable config file (file {absolute} does not exist)", hint, explicit=True
        )
    if local.is_dir(resolved):
        raise ConfigError(f"Cannot use config file {absolute}: it is a directory")
    return Located(resolved, absolute, source, local)


LIST_PATHS_HINT = "kata-cli --show-default-config-paths lists them"


def searched_summary(host: Host) -> str:
    """`the 6 default paths` (+ ` under host root R`): the short form of the search list."""
    where = "" if host.is_native else f" under host root {host.root}"
    return f"the {len(default_config_paths())} default paths{where}"


def not_found_message(host: Host) -> str:
    """One short line: none of the default paths resolved (they are listed on request)."""
    return f"Cannot find usable config file (none of {searched_summary(host)} exists)"
