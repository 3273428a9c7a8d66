"""`kata-cli env` (alias `kata-env`): the effective settings report, TOML or JSON."""

from __future__ import annotations

import click

from kata_cli.appctx import AppContext
from kata_cli.commands.env_body import run_env
from kata_cli.commands.options import flavour_option, pass_app


@click.command()
@click.option("--json", "as_json", is_flag=True, help="JSON (Go encoder layout) instead of TOML.")
@click.option(
    "-f",
    "--file",
    "file_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report to FILE (atomically) instead of stdout (- is stdout).",
)
@flavour_option
@pass_app
def env(app: AppContext, as_json: bool, file_path: str | None, flavour: str | None) -> None:
    """Show the effective runtime, hypervisor, agent and host settings.

    The layout is upstream kata-runtime's (format 1.0.27), which scripts parse. Missing
    assets are reported as configured, with a warning on stderr; `kata-cli check`
    is the command that fails on them.

    \f
    What the runtime would actually use, and what the host offers, in upstream
    `kata-runtime env`'s layout (format `1.0.27`; the field names are the Go names, which
    scripts and `kata-collect-data` parse).

    ```
    kata-cli env                 # TOML, upstream's exact layout
    kata-cli env --json          # JSON, Go encoder layout ("<" as \\u003c, null for empty lists)
    kata-cli env --file env.toml # (-f) written atomically instead of stdout (`-f -`: stdout)
    kata-cli env --flavour rs    # fill the same schema from a runtime-rs configuration
    ```

    Values are the *effective* ones: defaults applied and upstream's clamps done, so the
    report shows what a sandbox gets, not what the file says. `Kernel.Parameters` comes from
    the same function that builds a VM's command line (`kata-cli vm plan`).

    Where upstream's `env` stops, this one reports and warns on stderr:
    - a missing hypervisor binary, kernel, image or initrd: the configured path is reported
      (`kata-cli check` is the command that fails on assets);
    - no `/dev/vhost-vsock` while running as root: `SocketPath` is the template, no failure;
    - an unknown CPU vendor: the report is printed with `VMContainerCapable = false`;
    - `Hypervisor.Version` is `<hypervisor> --version` with a 2 s timeout, `<<unknown>>` on
      any failure or hang; only a `path` the configuration names is run (upstream also runs
      the built-in `/usr/bin/qemu-system-x86_64` default when `path` is absent: we print
      `<<unknown>>` instead);
    - no `/proc/cpuinfo`, no `vendor_id` or no `model name` line: `<<unknown>>` and a warning
      (upstream's `env` stops with an error);
    - Intel host with a `remote` configuration: the report is printed (upstream stops with
      `Unknown hypervisor type remote`).

    On the shipped Go configurations the values equal upstream 4.1.0's, key by key, including
    what upstream's per-hypervisor constructors leave out whatever the file says:
    firecracker `MachineType`, `SharedFS`, `HotPlugVFIO`, `ColdPlugVFIO` are `""` and
    `Msize9p` 0; stratovirt `Msize9p` 0 and empty VFIO ports; remote has no local hypervisor
    (`Path` `""`, `Version` `<<unknown>>`, `BlockDeviceDriver` `dummy`, `EntropySource` `""`,
    `MemorySlots` 0, empty `Kernel`), and its `VMContainerCapable` is judged by the CPU
    vendor's local-VM tables, as upstream does (`tests/envinfo/golden/upstream-go.json`).
    `Runtime.Version.Version.Commit` is the git commit: read from the checkout when running
    from one (editable install, source tree, git worktree), else recorded in
    `kata_cli/_build_info.py` when the wheel is built (`hatch_build.py`); `<<unknown>>` only
    for a build made without git.

    `SocketPath` is `<<unknown>>` for non-root users (as upstream), otherwise the real
    per-sandbox template: clh `/run/vc/vm/{ID}/clh.sock` (upstream prints a truncated
    `{ID}/clh.sock`), firecracker `/run/vc/firecracker/{ID}/root/kata.hvsock`, runtime-rs
    hybrid-vsock hypervisors `/run/kata/{ID}/root/kata.hvsock`, `""` for vsock hypervisors
    (qemu). `Runtime.Path` is this tool's executable and `Runtime.Version` its version.
    `env` ends with status 1 and one line on stderr only when the configuration is missing or
    invalid, `/proc/version` cannot be read, or an os-release file exists but cannot be read
    (as upstream); status 2 is a usage error, 130 an interruption. An unreadable or garbled
    `/proc/cpuinfo` or `/proc/meminfo` gives `<<unknown>>` / zero values and a warning.
    """
    run_env(app, as_json=as_json, file_path=file_path, flavour=flavour)
