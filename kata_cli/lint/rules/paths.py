"""Files the configuration names that do not exist on the target host (KATA9xx).

An environment check rather than a configuration error: the paths are looked up under
`--host-root`. Linting a file meant for another machine? `--ignore KATA9`.
"""

from __future__ import annotations

from collections.abc import Iterator

from kata_cli.config import schema
from kata_cli.host import Host
from kata_cli.lint.context import LintContext
from kata_cli.lint.model import ERROR, WARNING, Hit, rule

# keys resolved (must exist) when the runtime loads, per flavour
RESOLVED = {
    "go": ("path", "jailer_path", "kernel", "image", "initrd", "firmware", "firmware_volume"),
    "rs": (
        "path",
        "jailer_path",
        "ctlpath",
        "kernel",
        "image",
        "initrd",
        "firmware",
        "entropy_source",
        "virtio_fs_daemon",
    ),
}
EXECUTABLES = ("path", "jailer_path", "virtio_fs_daemon")
VSOCK_DEVICE = "/dev/vhost-vsock"


def _configured_paths(ctx: LintContext) -> Iterator[tuple[tuple[str, ...], str, str]]:
    """(key path, key name, host path) of every file path the runtime will resolve."""
    if ctx.hv_name is None:
        return
    kind = ctx.hv_type
    for name in RESOLVED[ctx.flavour]:
        spec = schema.HYPERVISOR_KEYS[name]
        found = ctx.get(ctx.hv, name)
        if found is None or not spec.used_by_type(kind):
            continue
        if isinstance(found[1], str) and found[1]:
            yield ctx.hv_key(name), name, found[1]
    pflashes = ctx.get(ctx.hv, "pflashes")
    if pflashes is not None and isinstance(pflashes[1], list):
        for entry in pflashes[1]:
            if isinstance(entry, str) and entry:
                yield ctx.hv_key("pflashes"), "pflashes", entry
    if ctx.flavour == "rs":
        for entry in ctx.hv_value("guest_extension_images") or []:
            if isinstance(entry, dict) and isinstance(entry.get("path"), str) and entry["path"]:
                yield ctx.hv_key("guest_extension_images"), "guest_extension_images", entry["path"]
    path, mounts = ctx.runtime_list("sandbox_bind_mounts")
    for mount in mounts:
        if not isinstance(mount, str) or not mount:
            continue
        if ctx.flavour == "rs" and mount.endswith((":ro", ":rw")):
            mount = mount[:-3]
        yield path, "sandbox_bind_mounts", mount


def _exists(host: Host, value: str) -> bool:
    try:
        return host.exists(value)
    except (OSError, ValueError):  # NUL bytes, names too long: no such file either
        return False


@rule(
    "KATA901",
    "missing-path",
    ERROR,
    "{key} = {value}: no such file under {root}",
    "The runtime resolves these paths when it loads the configuration and refuses to "
    "start when one does not exist ('file ... does not exist').",
    "install the file, correct the path, or --ignore KATA9 when linting for another host",
)
def missing_path(ctx: LintContext) -> Iterator[Hit]:
    host = ctx.host
    if host is None:
        return
    for path, name, value in _configured_paths(ctx):
        if not value.startswith("/"):
            continue
        if not _exists(host, value):
            yield ctx.hit(path, key=name, value=value, root=str(host.root))


@rule(
    "KATA902",
    "not-executable",
    WARNING,
    "{key} = {value} is not an executable file",
    "The hypervisor, jailer and virtiofsd are started as programs; a file without the "
    "execute bit fails only when the first pod starts.",
    "chmod +x the file or point at the right binary",
)
def not_executable(ctx: LintContext) -> Iterator[Hit]:
    host = ctx.host
    if host is None:
        return
    for path, name, value in _configured_paths(ctx):
        if name not in EXECUTABLES or not value.startswith("/") or not _exists(host, value):
            continue
        if host.is_file(value) and not host.is_executable(value):
            yield ctx.hit(path, key=name, value=value)


@rule(
    "KATA903",
    "unread-dropin-directory",
    WARNING,
    "{unread} is not read: the configuration is a symlink, and drop-ins are read from {read}",
    "The runtime takes config.d from the directory of the *resolved* configuration file: "
    "when /etc/kata-containers/configuration.toml links into /opt/kata/..., fragments in "
    "/etc/kata-containers/config.d are silently ignored.",
    "move the fragments into the directory next to the link's target",
)
def unread_dropin_directory(ctx: LintContext) -> Iterator[Hit]:
    unread = ctx.facts.get("unread_dropin_dir")
    if unread and ctx.files:
        read = ctx.facts.get("dropin_dir", "")
        yield Hit(args={"unread": unread, "read": read}, file=ctx.files[0].path, line=1, column=1)


@rule(
    "KATA904",
    "rs-symlinked-dropin",
    ERROR,
    "runtime-rs rejects the drop-in {path} because it is a symbolic link",
    "runtime-rs checks the type of each config.d entry without following links, so a "
    "symlinked fragment is refused (despite its message allowing symlinks).",
    "copy the fragment into config.d instead of linking it",
)
def rs_symlinked_dropin(ctx: LintContext) -> Iterator[Hit]:
    if ctx.flavour != "rs":
        return
    for path in ctx.facts.get("symlinked_dropins", []):
        yield Hit(args={"path": path}, file=path, line=1, column=1)


@rule(
    "KATA910",
    "image-larger-than-memory",
    WARNING,
    "image {value} ({size} MiB) is not smaller than default_memory ({memory} MiB)",
    "The Go runtime only warns when the guest image is at least as large as the guest "
    "memory; the VM still starts, but it usually means the wrong image or far too little "
    "memory.",
    "check the image, or raise default_memory",
)
def image_larger_than_memory(ctx: LintContext) -> Iterator[Hit]:
    yield from _asset_not_smaller_than_memory(ctx, "image")


# names editors, package managers and people give to copies they do not mean to be read
BACKUP_SUFFIXES = (
    "~",
    ".bak",
    ".old",
    ".orig",
    ".rej",
    ".swp",
    ".swo",
    ".tmp",
    ".save",
    ".disabled",
    ".dpkg-old",
    ".dpkg-dist",
    ".dpkg-new",
    ".rpmnew",
    ".rpmsave",
    ".rpmorig",
)


def _looks_like_backup(name: str) -> bool:
    return (
        name.startswith(".")
        or (name.startswith("#") and name.endswith("#"))
        or name.lower().endswith(BACKUP_SUFFIXES)
    )


@rule(
    "KATA909",
    "dropin-backup-file",
    WARNING,
    "{name} looks like a backup or disabled copy, but the runtime merges every entry of config.d",
    "Both runtimes read every entry of config.d in name order, whatever its suffix: an "
    "editor's `10-memory.toml~`, a package manager's `.rpmnew` or a fragment renamed to "
    "`.disabled` still overrides the configuration.",
    "delete the file or move it out of config.d",
)
def dropin_backup_file(ctx: LintContext) -> Iterator[Hit]:
    for source in ctx.files:
        name = source.path.rsplit("/", 1)[-1]
        if source.role == "drop-in" and _looks_like_backup(name):
            yield Hit(args={"name": name}, file=source.path, line=1, column=1)


def _asset_size(ctx: LintContext, name: str) -> tuple[tuple[str, ...], str, int] | None:
    """(key path, host path, size) of an existing image/initrd file."""
    host = ctx.host
    found = ctx.get(ctx.hv, name)
    if host is None or ctx.hv_name is None or found is None or not isinstance(found[1], str):
        return None
    value = found[1]
    if not value.startswith("/") or not _exists(host, value) or not host.is_file(value):
        return None
    try:
        return ctx.hv_key(name), value, host.stat(value).st_size
    except OSError:
        return None


@rule(
    "KATA905",
    "empty-asset",
    ERROR,
    "{key} = {value} is an empty file",
    "The Go runtime refuses an empty image or initrd when it loads ('image ... is empty'); "
    "usually a failed download or copy.",
    "reinstall the guest image / initrd",
)
def empty_asset(ctx: LintContext) -> Iterator[Hit]:
    for name in ("image", "initrd"):
        found = _asset_size(ctx, name)
        if found is not None and found[2] == 0:
            yield ctx.hit(found[0], key=name, value=found[1])


@rule(
    "KATA906",
    "initrd-larger-than-memory",
    ERROR,
    "initrd {value} ({size} MiB) does not fit in default_memory ({memory} MiB)",
    "The Go runtime refuses an initrd at least as large as the guest memory: the guest "
    "could not even unpack it.",
    "raise default_memory or use a smaller initrd (or an image)",
)
def initrd_larger_than_memory(ctx: LintContext) -> Iterator[Hit]:
    yield from _asset_not_smaller_than_memory(ctx, "initrd")


def _asset_not_smaller_than_memory(ctx: LintContext, name: str) -> Iterator[Hit]:
    """Go flavour: the asset `name` is at least as large as the effective guest memory."""
    if ctx.flavour != "go":
        return
    found = _asset_size(ctx, name)
    memory = ctx.hv_value("default_memory")
    if found is None or isinstance(memory, bool) or not isinstance(memory, int):
        return
    if memory < 256:
        memory = 2048  # what the runtime would use (KATA501)
    if found[2] >= memory * 1024 * 1024:
        size = found[2] // (1024 * 1024)
        yield ctx.hit(found[0], value=found[1], size=size, memory=memory)


@rule(
    "KATA907",
    "no-vhost-vsock",
    ERROR,
    "{device} does not exist: {hypervisor} guests need vhost-vsock",
    "The Go runtime checks for /dev/vhost-vsock when it loads a qemu or StratoVirt "
    "configuration and refuses to start without it ('host system doesn't support vsock').",
    "load the vhost_vsock kernel module (modprobe vhost_vsock)",
)
def no_vhost_vsock(ctx: LintContext) -> Iterator[Hit]:
    host = ctx.host
    if host is None or ctx.flavour != "go" or ctx.hv_name not in ("qemu", "stratovirt"):
        return
    if not _exists(host, VSOCK_DEVICE):
        yield ctx.hit(ctx.hv_path, device=VSOCK_DEVICE, hypervisor=ctx.hv_type)


@rule(
    "KATA908",
    "exceeds-host",
    WARNING,
    "{key} = {value} is more than this host has ({limit} {unit}); the runtime uses {limit}",
    "vCPU and memory limits above what the host offers are silently lowered to the host's "
    "CPU count and RAM, so the configuration promises more than the guest gets.",
    "use 0 (= the host's) or a value the host can provide",
)
def exceeds_host(ctx: LintContext) -> Iterator[Hit]:
    host = ctx.host
    if host is None or ctx.hv_name is None:
        return
    from kata_cli import probe

    cpus, memory = probe.cpu_count(host), probe.mem_total_mib(host)
    checks = [("default_vcpus", cpus, "CPUs"), ("default_maxvcpus", cpus, "CPUs")]
    if memory:
        checks.append(("default_maxmemory", memory, "MiB"))
    for name, limit, unit in checks:
        found = ctx.get(ctx.hv, name)
        if found is None or isinstance(found[1], bool) or not isinstance(found[1], int | float):
            continue
        if limit and found[1] > limit:
            yield ctx.hit(ctx.hv_key(name), key=name, value=found[1], limit=limit, unit=unit)


RULES = (
    missing_path,
    not_executable,
    unread_dropin_directory,
    rs_symlinked_dropin,
    empty_asset,
    initrd_larger_than_memory,
    no_vhost_vsock,
    exceeds_host,
    dropin_backup_file,
    image_larger_than_memory,
)
