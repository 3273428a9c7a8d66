"""The root command: global options, the lazy command table, and `main()`.

Command modules are imported only when their command runs, so `--version` and
`--help` stay fast (they never import rich, requests or yaml). `main()` is the one
place where errors become exit statuses: 0 ok, 1 failure, 2 usage, 130 interrupted,
143 terminated (SIGTERM is raised as `errors.Terminated` where Ctrl-C would be).
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from kata_cli.commands import completers
from kata_cli.errors import EXIT_USAGE

if TYPE_CHECKING:
    from kata_cli.environment import Environment
    from kata_cli.host import Host

# name -> (module, attribute, one-line summary). Aliases point at the same command.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": (
        "kata_cli.commands.check",
        "check",
        "Test whether this host can run Kata Containers.",
    ),
    "env": (
        "kata_cli.commands.env",
        "env",
        "Show the effective runtime, hypervisor and host settings.",
    ),
    "exec": ("kata_cli.commands.exec_", "exec_", "Enter a sandbox's guest debug console."),
    "direct-volume": (
        "kata_cli.commands.direct_volume",
        "direct_volume",
        "Directly assign volumes to Kata sandboxes.",
    ),
    "sandbox": (
        "kata_cli.commands.sandbox",
        "sandbox",
        "List running sandboxes (Go and runtime-rs).",
    ),
    "metrics": ("kata_cli.commands.metrics", "metrics", "Print a sandbox's Prometheus metrics."),
    "iptables": (
        "kata_cli.commands.iptables",
        "iptables",
        "Get or set iptables in a sandbox guest.",
    ),
    "policy": ("kata_cli.commands.policy", "policy", "Set the agent policy of a sandbox."),
    "collect-data": (
        "kata_cli.commands.collect_data",
        "collect_data",
        "Write a redacted bug-report bundle.",
    ),
    "config": ("kata_cli.commands.config", "config", "Lint and show Kata configuration files."),
    "fleet": (
        "kata_cli.commands.fleet",
        "fleet",
        "Run kata-cli on every node of a cluster; merge the results.",
    ),
    "vm": ("kata_cli.commands.vm", "vm", "Boot, inspect and tear down VMs with QEMU."),
    "version": ("kata_cli.commands.version", "version", "Show version details."),
    "help": ("kata_cli.commands.help", "help_", "Show a command's help, or the man page."),
    "completion": (
        "kata_cli.commands.completion",
        "completion",
        "Print the shell completion script for bash, zsh or fish.",
    ),
}
ALIASES: dict[str, str] = {
    "kata-check": "check",
    "kata-env": "env",
    "ps": "sandbox list",
}

EPILOG = (
    "Commands starting with 'kata-' are aliases kept for kata-runtime users. "
    "Every read of /proc, /sys, /dev, /etc, /run, /var, /opt and /usr goes through --host-root."
)


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = ALIASES.get(cmd_name, cmd_name)
        parts = target.split()
        if not parts:
            return None
        entry = COMMANDS.get(parts[0])
        if entry is None:
            return None
        module_name, attr, _ = entry
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        command: click.Command = getattr(module, attr)
        for sub in parts[1:]:
            assert isinstance(command, click.Group)
            found = command.get_command(ctx, sub)
            assert found is not None
            command = found
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, summary) for name, (_, _, summary) in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
        alias_rows = [(alias, f"same as '{target}'") for alias, target in sorted(ALIASES.items())]
        with formatter.section("Aliases"):
            formatter.write_dl(alias_rows)


def _show_paths(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from kata_cli.config.discovery import default_config_paths

    click.echo("\n".join(default_config_paths()))
    ctx.exit(0)


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from kata_cli.version import version_text

    click.echo(version_text(), nl=False)
    ctx.exit(0)


@click.group(
    cls=LazyGroup,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--config",
    "--kata-config",
    "config_path",
    metavar="PATH",
    shell_complete=completers.files,
    help="Configuration file to use (else KATA_CONF_FILE, else the default search list).",
)
@click.option(
    "--host-root",
    metavar="DIR",
    shell_complete=completers.directories,
    envvar="KATA_HOST_ROOT",
    default="/",
    show_default=True,
    help="Root of the host to inspect (e.g. /host inside a pod). Env: KATA_HOST_ROOT.",
)
@click.option(
    "--log",
    "log_path",
    metavar="PATH",
    shell_complete=completers.files,
    envvar="KATA_CLI_LOG",
    help="Append log records to this file. Env: KATA_CLI_LOG.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="KATA_CLI_LOG_FORMAT",
    help="Format of --log records.",
)
@click.option(
    "--show-default-config-paths",
    "--kata-show-default-config-paths",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_paths,
    help="Print the configuration search list and exit.",
)
@click.option(
    "--version",
    "-v",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Print version details and exit.",
)
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: str | None,
    host_root: str,
    log_path: str | None,
    log_format: str,
) -> None:
    """Administration utility for Kata Containers hosts."""
    from kata_cli.appctx import AppContext
    from kata_cli.host import Host
    from kata_cli.render.terminal import note, use_environment

    handed = ctx.obj if isinstance(ctx.obj, Handed) else Handed()  # run(..., env=, host_type=)
    app = AppContext.create(
        config_path=config_path,
        host_root=host_root,
        log_path=log_path,
        log_format=log_format,
        notify=note,
        env=handed.env,
        host_type=handed.host_type or Host,
    )
    ctx.obj = app
    # the output is rendered for the environment the core sees (terminals, NO_COLOR)
    previous = use_environment(app.env)
    ctx.call_on_close(lambda: use_environment(previous))


def main(argv: list[str] | None = None, prog_name: str = "kata-cli") -> None:
    """Entry point: run the CLI and turn every outcome into an exit status."""
    sys.exit(run(argv, prog_name))


# global options `kata-collect-data` also accepts (they go before the subcommand)
_GLOBAL_VALUE_OPTIONS = ("--host-root", "--config", "--kata-config", "--log", "--log-format")


def collect_data_argv(args: list[str]) -> list[str]:
    """`kata-collect-data ARGS` as `kata-cli [GLOBAL OPTIONS] collect-data [OPTIONS]`."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        name = arg.split("=", 1)[0]
        if name in _GLOBAL_VALUE_OPTIONS:
            if "=" in arg:
                front.append(arg)
            elif index + 1 >= len(args):
                # no value: left last, so click says it needs one (followed by
                # "collect-data", it would take that as its value)
                return [*front, arg]
            else:
                front += [arg, args[index + 1]]
                index += 1
        else:
            rest.append(arg)
        index += 1
    return [*front, "collect-data", *rest]


def collect_data_main() -> None:
    """Entry point of `kata-collect-data`, the script's familiar name."""
    sys.exit(run(collect_data_argv(sys.argv[1:]), "kata-collect-data"))


class Handed(NamedTuple):
    """What a caller of `run()` (a test) hands the core in place of the process's own."""

    env: Environment | None = None
    host_type: type[Host] | None = None


def run(
    argv: list[str] | None = None,
    prog_name: str = "kata-cli",
    env: Environment | None = None,
    host_type: type[Host] | None = None,
) -> int:
    """Run the CLI and return its exit status. `env` replaces the process's environment
    (`Environment.from_process()`) as the core sees it; `host_type` replaces `Host` (a
    subclass that injects a fault: a denied read, a refused write)."""
    from kata_cli.funnel import guarded

    return guarded(lambda: _run_click(argv, prog_name, Handed(env, host_type)))


def _run_click(argv: list[str] | None, prog_name: str, handed: Handed) -> int:
    """Run the click tree; click's own outcomes become statuses here, the rest in
    `funnel.guarded`."""
    from kata_cli.funnel import interrupted

    try:
        result: Any = cli.main(args=argv, prog_name=prog_name, standalone_mode=False, obj=handed)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort as exc:
        # click has already ended the ^C line with a newline on stderr
        return interrupted(exc)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code if exc.exit_code else EXIT_USAGE
