"""Versions of the hypervisor, virtiofsd, shim, monitor and runtime binaries."""

from __future__ import annotations

from collections.abc import Iterator

from kata_cli.collect.context import KATA_BIN_DIRS, Context
from kata_cli.collect.model import NOT_FOUND, Item
from kata_cli.collect.section import Command, Section

# Kata programs looked up on PATH, then in the usual install directories of the host
KATA_PROGRAMS = (
    Command(("containerd-shim-kata-v2", "--version"), extra_dirs=KATA_BIN_DIRS),
    Command(("kata-monitor", "--version"), extra_dirs=KATA_BIN_DIRS),
    Command(("kata-runtime", "--version"), extra_dirs=KATA_BIN_DIRS),
    Command(("kata-ctl", "version"), extra_dirs=KATA_BIN_DIRS),
)
# a program the configuration names (hypervisor, virtiofsd), by its host path
CONFIGURED = Command(("{program}", "--version"), title="{program} --version", host_program=True)


def _configured(ctx: Context, what: str, path: str) -> Item:
    program = ctx.host_program(path)
    if program is None:
        return Item(
            "command",
            f"{what} {path} --version",
            status=NOT_FOUND,
            detail=f"{path}: not found or not executable under the host root",
        )
    return ctx.command(CONFIGURED, program=path)


def probe(ctx: Context) -> Iterator[Item]:
    config = ctx.config()
    if config is None:
        yield ctx.unconfigured("hypervisor")
    else:
        if config.hypervisor.path:
            yield _configured(ctx, "hypervisor", config.hypervisor.path)
        if config.hypervisor.virtio_fs_daemon:
            yield _configured(ctx, "virtiofsd", config.hypervisor.virtio_fs_daemon)
    for command in KATA_PROGRAMS:
        yield ctx.command(command)


SECTION = Section(
    id="versions",
    title="Component versions",
    description="`--version` of the configured hypervisor and virtiofsd, the shim v2, "
    "kata-monitor, kata-runtime and kata-ctl (missing programs are named, not faked).",
    probe=probe,
    uses=(CONFIGURED, *KATA_PROGRAMS),
)
