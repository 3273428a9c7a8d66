"""`kata-cli direct-volume`: hand host volumes (block devices, files) directly to sandboxes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kata_cli.appctx import AppContext
from kata_cli.commands.options import pass_app

if TYPE_CHECKING:
    from kata_cli.shim.client import ShimClient
    from kata_cli.shim.volumes import MountInfo

_path_option = click.option(
    "--volume-path", default="", metavar="PATH", help="Volume path, as the pod spec names it."
)


@click.group(invoke_without_command=True)
@click.pass_context
def direct_volume(ctx: click.Context) -> None:
    """Directly assign volumes to Kata sandboxes.

    Volumes live under /run/kata-containers/shared/direct-volumes/<base64 of the path>/.
    """
    if ctx.invoked_subcommand is None:
        from kata_cli.render.terminal import out

        out(ctx.get_help())


@direct_volume.command()
@_path_option
@click.option("--mount-info", default="", metavar="JSON", help="Mount information (JSON).")
@pass_app
def add(app: AppContext, volume_path: str, mount_info: str) -> None:
    """Record a volume's mount information for the sandbox that will use it."""
    from kata_cli.render.direct_volume import confirm
    from kata_cli.shim.volumes import add_volume

    add_volume(app.host, volume_path, mount_info)
    confirm(f"added direct volume {volume_path}")


@direct_volume.command()
@_path_option
@pass_app
def remove(app: AppContext, volume_path: str) -> None:
    """Forget a volume (a volume that is not there is not an error)."""
    from kata_cli.render.direct_volume import confirm
    from kata_cli.shim.volumes import remove_volume

    removed = remove_volume(app.host, volume_path)
    confirm(f"removed direct volume {volume_path}" if removed else f"no volume {volume_path}")


@direct_volume.command()
@_path_option
@pass_app
def stats(app: AppContext, volume_path: str) -> None:
    """Print the volume's usage statistics, as the guest reports them (JSON)."""
    from kata_cli.render.direct_volume import render_stats

    client, info = _volume_client(app, volume_path)
    render_stats(client.volume_stats(info.device))


@direct_volume.command()
@_path_option
@click.option("--size", type=click.IntRange(0, 2**64 - 1), required=True, help="New size in bytes.")
@pass_app
def resize(app: AppContext, volume_path: str, size: int) -> None:
    """Resize the volume inside the guest."""
    client, info = _volume_client(app, volume_path)
    client.volume_resize(info.device, size)


@direct_volume.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """List every directly assigned volume and the sandboxes using it."""
    from kata_cli.render.direct_volume import render_list
    from kata_cli.shim.volumes import list_volumes

    render_list(list_volumes(app.host), as_json)


def _volume_client(app: AppContext, volume_path: str) -> tuple[ShimClient, MountInfo]:
    from kata_cli.shim.client import ShimClient
    from kata_cli.shim.sandboxes import locate_sandbox
    from kata_cli.shim.volumes import volume_sandbox

    sandbox_id, info = volume_sandbox(app.host, volume_path)
    return ShimClient(app.host, locate_sandbox(app.host, sandbox_id)), info
