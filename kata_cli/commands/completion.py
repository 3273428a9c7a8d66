"""`kata-cli completion bash|zsh|fish`: print the shell completion script.

The script asks kata-cli itself what to offer on each Tab press (click's dynamic
completion), so it knows VM names, sandbox ids, files and directories, not only words.
"""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_KATA_CLI_COMPLETE"


def script(shell: str, prog_name: str = "kata-cli") -> str:
    """The completion script click generates for `shell` and the `kata-cli` command."""
    from click.shell_completion import get_completion_class

    from kata_cli.cli import cli

    cls = get_completion_class(shell)
    assert cls is not None
    source = cls(cli, {}, prog_name, COMPLETE_VAR).source()
    return source if source.endswith("\n") else source + "\n"


@click.command(
    "completion",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="\b\nbash (needs the bash-completion package):\n"
    "  kata-cli completion bash > /etc/bash_completion.d/kata-cli\n"
    'zsh:  kata-cli completion zsh > "${fpath[1]}/_kata-cli"\n'
    "fish: kata-cli completion fish > ~/.config/fish/completions/kata-cli.fish",
)
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish.

    Completion is dynamic: VM names, sandbox ids and prefixes, files for --config and
    directories for --host-root are offered as you type.
    """
    from kata_cli.render.terminal import out

    out(script(shell), end="")
