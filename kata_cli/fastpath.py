"""The everyday invocations of `check` and `env`, run without importing click.

Importing click (with the `typing`, `inspect`, `uuid`, `datetime` and `gettext` it pulls
in) costs more than the rest of a plain `kata-cli env`. Scripts, probes and DaemonSets
call `check` and `env` over and over, so the few spellings they use are parsed here:

    kata-cli [GLOBAL OPTIONS] check|kata-check [-v] [-s] [-n] [--json] [--flavour go|rs]
    kata-cli [GLOBAL OPTIONS] env|kata-env [--json] [--flavour go|rs]

where GLOBAL OPTIONS are `--host-root`, `--config`/`--kata-config`, `--log` and
`--log-format`, each as `--opt VALUE` or `--opt=VALUE`. Anything else (`--help`, another
option, a misspelling, bundled short flags, a value that looks like an option, shell
completion) returns None and click parses it, so every error message and every rarer
option stays click's. What runs is the same function click calls (`commands/*_body.py`)
with the same values, environment variables included; `tests/test_fastpath.py` runs
both ways and compares.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kata_cli.record import record

if TYPE_CHECKING:
    from kata_cli.environment import Environment
    from kata_cli.host import Host

# option -> (parameter, environment variable or "")
GLOBAL_OPTIONS: dict[str, tuple[str, str]] = {
    "--host-root": ("host_root", "KATA_HOST_ROOT"),
    "--config": ("config_path", ""),
    "--kata-config": ("config_path", ""),
    "--log": ("log_path", "KATA_CLI_LOG"),
    "--log-format": ("log_format", "KATA_CLI_LOG_FORMAT"),
}
GLOBAL_DEFAULTS: dict[str, str | None] = {
    "host_root": "/",
    "config_path": None,
    "log_path": None,
    "log_format": "text",
}
# values an option accepts, where click would refuse others
CHOICES: dict[str, tuple[str, ...]] = {
    "log_format": ("text", "json"),
    "flavour": ("go", "rs"),
}


@record(frozen=True, eq=False)
class Command:
    """One command the fast path runs: its names, flags and valued options."""

    names: tuple[str, ...]
    flags: dict[str, str]  # spelling -> parameter set to True
    values: dict[str, str]  # spelling -> parameter taking the next word
    environment: dict[str, str]  # parameter -> environment variable (click's envvar=)
    function: Callable[[], Callable[..., None]]  # imports and returns the body


def _check() -> Callable[..., None]:
    from kata_cli.commands.check_body import run_check

    return run_check


def _env() -> Callable[..., None]:
    from kata_cli.commands.env_body import run_env

    return run_env


COMMANDS = (
    Command(
        ("check", "kata-check"),
        flags={
            "-v": "verbose",
            "--verbose": "verbose",
            "--json": "as_json",
            "-s": "strict",
            "--strict": "strict",
            "-n": "no_network_checks",
            "--no-network-checks": "no_network_checks",
        },
        values={"--flavour": "flavour"},
        environment={"node_name": "NODE_NAME"},
        function=_check,
    ),
    Command(
        ("env", "kata-env"),
        flags={"--json": "as_json"},
        values={"--flavour": "flavour"},
        environment={},
        function=_env,
    ),
)


@record(frozen=True, eq=False)
class Invocation:
    """What `parse` understood: the global options and the command's keyword arguments."""

    command: Command
    globals: dict[str, Any]
    options: dict[str, Any]


def parse(args: list[str], environ: Mapping[str, str]) -> Invocation | None:
    """The invocation `args` spells, or None when click should parse it."""
    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in environ):
        return None  # shell completion is click's
    found: dict[str, Any] = {}
    index = _options(args, 0, GLOBAL_OPTIONS_BY_SPELLING, {}, found)
    if index is None or index >= len(args):
        return None
    command = next((c for c in COMMANDS if args[index] in c.names), None)
    if command is None:
        return None
    globals_ = {
        name: _from_environment(name, variable, environ, GLOBAL_DEFAULTS[name])
        for name, variable in _GLOBAL_PARAMETERS.items()
    }
    globals_.update(found)
    options: dict[str, Any] = {
        name: _from_environment(name, variable, environ, None)
        for name, variable in command.environment.items()
    }
    if _options(args, index + 1, command.values, command.flags, options) != len(args):
        return None
    if _UNSET in globals_.values() or _UNSET in options.values():
        return None
    return Invocation(command, globals_, options)


GLOBAL_OPTIONS_BY_SPELLING = {spelling: name for spelling, (name, _) in GLOBAL_OPTIONS.items()}
_GLOBAL_PARAMETERS = dict(GLOBAL_OPTIONS.values())  # parameter -> environment variable or ""
_UNSET = object()  # a value click would refuse


def _from_environment(name: str, variable: str, environ: Mapping[str, str], default: Any) -> Any:
    """An option's value from its environment variable, as click reads it (empty = unset)."""
    value = environ.get(variable) if variable else None
    if not value:
        return default
    return value if _acceptable(name, value) else _UNSET


def _acceptable(name: str, value: str) -> bool:
    choices = CHOICES.get(name)
    return choices is None or value in choices


def _options(
    args: list[str],
    index: int,
    values: Mapping[str, str],
    flags: Mapping[str, str],
    into: dict[str, Any],
) -> int | None:
    """Read options from `args[index]` on into `into`; the index of the first word that is
    not one of them (the command name), or None for anything click should judge."""
    while index < len(args):
        word = args[index]
        if not word.startswith("-"):
            return index
        if word in flags:
            into[flags[word]] = True
            index += 1
            continue
        spelling, equals, value = word.partition("=")
        name = values.get(spelling)
        if name is None or (equals and not spelling.startswith("--")):
            return None
        if not equals:
            if index + 1 >= len(args) or args[index + 1].startswith("-"):
                return None
            value = args[index + 1]
            index += 1
        if not _acceptable(name, value):
            return None
        into[name] = value
        index += 1
    return index


def run(
    args: list[str], env: Environment | None = None, host_type: type[Host] | None = None
) -> int | None:
    """Run `args` when the fast path understands them; None hands them to click.
    `env` and `host_type` as in `cli.run`."""
    invocation = parse(args, os.environ)
    if invocation is None:
        return None
    from kata_cli.funnel import guarded

    return guarded(lambda: _invoke(invocation, env, host_type))


def _invoke(invocation: Invocation, env: Environment | None, host_type: type[Host] | None) -> int:
    from kata_cli.appctx import AppContext
    from kata_cli.funnel import interrupted
    from kata_cli.host import Host
    from kata_cli.render.terminal import note, use_environment

    try:
        app = AppContext.create(
            **invocation.globals, notify=note, env=env, host_type=host_type or Host
        )
        # the output is rendered for the environment the core sees, as in cli.py
        previous = use_environment(app.env)
        try:
            invocation.command.function()(app, **invocation.options)
        finally:
            use_environment(previous)
    except (KeyboardInterrupt, EOFError) as exc:
        sys.stderr.write("\n")  # as click ends the ^C line
        return interrupted(exc)
    return 0
