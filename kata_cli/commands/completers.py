"""Dynamic shell completion (click `shell_complete` callbacks).

Each runs on every Tab press, so each is cheap, bounded and never raises: a failure
completes nothing rather than printing a traceback into the user's shell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # imported when a completion runs, not at start-up
    from click.shell_completion import CompletionItem

MAX_ITEMS = 200


def files(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Let the shell complete file names."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="file")]


def directories(
    _ctx: click.Context, _param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Let the shell complete directory names."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="dir")]


def _host_root(ctx: click.Context) -> str:
    import os

    root = ctx.find_root().params.get("host_root")
    return str(root or os.environ.get("KATA_HOST_ROOT") or "/")


def _matching(names: list[str], incomplete: str) -> list[CompletionItem]:
    from click.shell_completion import CompletionItem

    return [CompletionItem(n) for n in sorted(set(names)) if n.startswith(incomplete)][:MAX_ITEMS]


def vm_names(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Names of the VMs `kata-cli vm` knows (directories in its state directory)."""
    try:
        from kata_cli.host import Host
        from kata_cli.vm.state import NAME_RE, vms_dir

        directory = vms_dir()
        # only names `vm` accepts: a directory called "a\nb" would offer the shell two words
        names = [n for n in Host("/").listdir_or_empty(str(directory)) if NAME_RE.match(n)]
        return _matching(names, incomplete)
    except Exception:
        return []


def sandbox_ids(
    ctx: click.Context, _param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Ids of the sandboxes found under the host root (Go runtime and runtime-rs)."""
    try:
        from kata_cli.host import Host
        from kata_cli.shim import sandboxes

        host = Host(_host_root(ctx))
        names = sandboxes.sandbox_ids(host, "go") + sandboxes.sandbox_ids(host, "rs")
        return _matching(names, incomplete)
    except Exception:
        return []
