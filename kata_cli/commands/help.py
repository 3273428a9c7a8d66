"""`kata-cli help [COMMAND...] [--man]`: a command's help, or the whole reference as a man page.

This module also turns the click tree into the plain `CommandDoc` model that
`render/reference.py` renders (`docs/commands.md`, `kata-cli.1`): it is the one place
that reads click's objects for documentation.
"""

from __future__ import annotations

import click

from kata_cli.render.reference import ArgumentDoc, CommandDoc, OptionDoc

MAN_DESCRIPTION = [
    "kata-cli answers the questions an operator, a CI pipeline or a bug reporter asks of a "
    "host that runs Kata Containers: can this machine run Kata (check), what would the "
    "runtime use (env, config show), is this configuration right (config lint), what is "
    "going on inside a sandbox (exec, metrics, sandbox list), how to hand a volume to a "
    "sandbox (direct-volume), what to attach to a bug report (collect-data), and it boots, "
    "inspects and tears down QEMU VMs from the Kata configuration (vm).",
    "Global options go before the command: kata-cli --host-root /host check.",
]

# Sections of the man page that describe the program rather than one command.
MAN_SECTIONS: dict[str, list[str]] = {
    "EXIT STATUS": [
        "\b\n0    success (for check: the host can run Kata Containers)\n"
        "1    a failing verdict or a command error; one line on stderr says what failed\n"
        "2    usage error (unknown command or option, bad value)\n"
        "130  interrupted (Ctrl-C)\n"
        "143  terminated (SIGTERM)",
        "exec ... -- CMD and vm exec return the guest command's status.",
    ],
    "ENVIRONMENT": [
        "\bKATA_HOST_ROOT       root of the host to inspect (--host-root)\n"
        "KATA_CONF_FILE       configuration file (after --config)\n"
        "KATA_CLI_LOG         log file (--log)\n"
        "KATA_CLI_LOG_FORMAT  text or json (--log-format)\n"
        "KATA_CLI_RUN_DIR     state directory of `vm` VMs\n"
        "KATA_CLI_DEBUG=1     print a traceback for errors (for bug reports)\n"
        "NO_COLOR             no colour in human output",
    ],
    "FILES": [
        "The configuration search list is printed by kata-cli --show-default-config-paths; "
        "every path is taken under the host root.",
    ],
    "SEE ALSO": ["kata-runtime(1), containerd(8)"],
}


def _paragraphs(text: str | None) -> list[str]:
    """Split a click help text into paragraphs; a `\\b` paragraph keeps its line breaks."""
    if not text:
        return []
    import inspect

    text = inspect.cleandoc(text).split("\f", 1)[0]
    result = []
    for block in text.split("\n\n"):
        block = block.strip("\n")
        if not block:
            continue
        if block.startswith("\b"):
            result.append("\b" + block[1:].lstrip("\n"))
        else:
            result.append(" ".join(line.strip() for line in block.splitlines()))
    return result


def _details(text: str | None) -> str:
    """The Markdown after a help text's `\\f`: reference prose that --help leaves out."""
    if not text or "\f" not in text:
        return ""
    import inspect

    return inspect.cleandoc(text).partition("\f")[2].strip("\n")


def _option_doc(param: click.Option, ctx: click.Context) -> OptionDoc:
    names = [*param.opts, *param.secondary_opts]
    names.sort(key=lambda n: (n.startswith("--"), n))
    metavar = ""
    if not param.is_flag and not param.count:
        metavar = param.make_metavar(ctx) if hasattr(param, "make_metavar") else ""
    choices: list[str] = []
    if isinstance(param.type, click.Choice):
        choices = [str(c) for c in param.type.choices]
    default = ""
    if param.show_default and not param.is_flag and param.default not in (None, "", ()):
        default = str(param.default)
    envvar = param.envvar if isinstance(param.envvar, str) else ""
    return OptionDoc(names, metavar, param.help or "", default, envvar, choices)


def command_doc(
    command: click.Command,
    path: list[str],
    parent: click.Context | None = None,
    aliases: dict[str, list[str]] | None = None,
) -> CommandDoc:
    """The documentation model of a click command and (recursively) its subcommands."""
    ctx = click.Context(command, info_name=path[-1], parent=parent, **command.context_settings)
    pieces = command.collect_usage_pieces(ctx)
    usage = " ".join([*path, *pieces])
    options = [
        _option_doc(p, ctx)
        for p in command.get_params(ctx)
        if isinstance(p, click.Option) and not p.hidden
    ]
    arguments = [
        ArgumentDoc(p.human_readable_name, p.required, p.nargs == -1 or p.multiple)
        for p in command.params
        if isinstance(p, click.Argument)
    ]
    doc = CommandDoc(
        path=path,
        usage=usage,
        summary=command.get_short_help_str(limit=300),
        paragraphs=_paragraphs(command.help)[1:],
        epilog=_paragraphs(command.epilog),
        options=options,
        arguments=arguments,
        aliases=(aliases or {}).get(" ".join(path[1:]), []),
        details=_details(command.help),
    )
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            doc.subcommands.append(command_doc(sub, [*path, name], ctx, aliases))
    return doc


def reference() -> CommandDoc:
    """The whole tree of `kata-cli`, aliases attached to the commands they name."""
    from kata_cli.cli import ALIASES, cli

    aliases: dict[str, list[str]] = {}
    for alias, target in sorted(ALIASES.items()):
        aliases.setdefault(target, []).append(f"kata-cli {alias}")
    root = command_doc(cli, ["kata-cli"], None, aliases)
    # the root's description is its whole help text (its summary is the first line)
    root.paragraphs = _paragraphs(cli.help)[1:] or root.paragraphs
    return root


def manpage_text() -> str:
    from kata_cli import __version__
    from kata_cli.render.reference import manpage

    return manpage(reference(), __version__, MAN_DESCRIPTION, MAN_SECTIONS)


@click.command(
    "help",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Read the man page with: kata-cli help --man | man -l -",
)
@click.option("--man", "as_man", is_flag=True, help="Print the whole reference as a man page.")
@click.argument("command", nargs=-1)
@click.pass_context
def help_(ctx: click.Context, as_man: bool, command: tuple[str, ...]) -> None:
    """Show a command's help, or the whole reference as a man page (--man)."""
    from kata_cli.errors import UsageError
    from kata_cli.render.terminal import out

    if as_man:
        out(manpage_text(), end="")
        return
    root = ctx.find_root()
    current: click.Command = root.command
    current_ctx = root
    for depth, name in enumerate(command):
        sub = current.get_command(current_ctx, name) if isinstance(current, click.Group) else None
        if sub is None:
            # click's wording for an unknown command, pointing at the help that lists them
            known = " ".join(["kata-cli", *command[:depth]])
            unknown = name if isinstance(current, click.Group) else " ".join(command[: depth + 1])
            raise UsageError(f"No such command '{unknown}'.", f"see {known} --help")
        current_ctx = click.Context(sub, info_name=name, parent=current_ctx)
        current = sub
    out(current.get_help(current_ctx))
