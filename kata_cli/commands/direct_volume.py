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
    "--volume-path",
    required=True,  # left out, it used to be '' and read as "must not be empty"
    metavar="PATH",
    help="Volume path, as the pod spec names it.",
)


@click.group(invoke_without_command=True)
@click.pass_context
def direct_volume(ctx: click.Context) -> None:
    """Directly assign volumes to Kata sandboxes.

    Volumes live under /run/kata-containers/shared/direct-volumes/<base64 of the path>/.

    \f
    Hand a host volume (a block device or a file) directly to a sandbox instead of sharing it
    through the file system. The layout is upstream's, so shims of both runtimes find it:
    `/run/kata-containers/shared/direct-volumes/<URL-safe base64 of the volume path>/mountInfo.json`,
    plus an empty file named after each sandbox that uses the volume.

    ```
    kata-cli direct-volume add    --volume-path /kubelet/pods/v1 \\
        --mount-info '{"volume-type":"block","device":"/dev/sdb","fstype":"ext4"}'
    kata-cli direct-volume remove --volume-path /kubelet/pods/v1
    kata-cli direct-volume stats  --volume-path /kubelet/pods/v1      # JSON from the guest
    kata-cli direct-volume resize --volume-path /kubelet/pods/v1 --size 10737418240
    kata-cli direct-volume list [--json]
    ```

    Differences from `kata-runtime direct-volume`, all on the safe side:
    - an empty or blank `--volume-path` is refused (exit 2); upstream's `remove` would
      delete the whole direct-volumes directory. `add` also refuses `/`, and a path whose
      encoded name would exceed 255 bytes is refused up front. Paths are otherwise taken
      exactly as given (relative paths and `..` included: they only change the encoded
      name, which always stays inside the direct-volumes directory; bytes that are not
      UTF-8 are encoded as they are);
    - the mount info is checked before anything is written: a JSON object with string
      `volume-type`, `device` and `fstype`, optional `metadata` (strings) and `options`
      (array of strings); the message names the field, and a failed `add` leaves nothing
      behind. The accepted text is stored verbatim, atomically, mode 0600 in a 0700 directory
      (a volume directory that is a symbolic link is refused rather than written through);
    - `remove` of a volume that is not there succeeds quietly;
    - `stats` and `resize` find the sandbox using the volume in either runtime's layout and
      speak its shim's dialect (Go: `GET /direct-volume/stats`, `{"VolumePath","Size"}`;
      runtime-rs: `POST`, `{"volume_guest_path","size"}`); `+` and `&` in a device path are
      escaped (upstream turns `+` into a space and cuts the path at `&`); runtime-rs stats
      requests use the absolute-form target `http://shim/direct-volume/stats?path=...`, the
      only form its handler can parse (it drops the connection for the usual `/direct-volume/...`);
      a non-200 reply is an error with the status and body (upstream prints the error body
      and exits 0);
    - `add` and `remove` confirm on stderr when it is a terminal.

    `list` shows each volume directory with its decoded path, mount info and the sandboxes
    using it (a directory whose name is not base64 shows as `? (<dir>)`, a broken
    `mountInfo.json` shows its problem in the TYPE column). `list --json`:

    ```
    {"schema": "kata-cli/direct-volume-list/1",
     "volumes": [{"directory": "/run/kata-containers/shared/direct-volumes/L2EvYi9j",
                  "volume_path": "/a/b/c",          # null when the name is not base64
                  "mount_info": {...},              # the parsed mountInfo.json, or null
                  "error": null,                    # or why mount_info is null
                  "sandboxes": ["sb1"]}]}
    ```

    Exit statuses: 0 done (including `remove` of a volume that is not there); 1 an error
    (bad mount info — Go `encoding/json` wording for syntax and type errors, the field
    name for the stricter checks —, no sandbox uses the volume, the shim is missing,
    silent for 3 s, or answered non-200); 2 a usage error (empty/blank path, `/` on `add`,
    bad `--size`).
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
