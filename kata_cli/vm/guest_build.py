"""`kata-cli vm guest build`: the tiny test guest, built from Debian packages.

kernel: the package `linux-image-amd64` depends on, fetched with `apt-get download`
        and unpacked with `dpkg-deb -x` (never installed), then taken out of its
        compressed wrapper as an ELF `vmlinux`
initrd: static busybox plus the virtio, 9p and virtio-fs modules (`guest_initrd`)

The result goes to `<cache>/<kernel package minus linux-image->-<version>-g<format>/`
(`vmlinux`, `initrd.img`, then `guest.json`, written last: its presence means complete),
the key the shell builder used, so its cache entries stay valid. A complete entry is
reused at once. Progress is reported through a callback; nothing here prints.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from kata_cli.errors import KataError
from kata_cli.host import (
    Host,
    ProcessResult,
    atomic_write,
    kill_running,
    local_host,
    output_problem,
)
from kata_cli.record import record
from kata_cli.vm.guest import DEBUG_PORT_NAME, DEFAULT_MARKER, GUEST_FORMAT, cache_root, load_guest
from kata_cli.vm.guest_initrd import extract_vmlinux, init_script, initrd_archive, is_static_elf

META_PACKAGE = "linux-image-amd64"
MODULES = (
    "virtio_pci",
    "virtio_console",
    "virtio_blk",
    "virtiofs",
    "9p",
    "9pnet_virtio",
    "button",
    "evdev",
)
BUSYBOX_PATHS = ("/bin/busybox", "/usr/bin/busybox")
APT_QUERY_TIMEOUT = 60.0
APT_UPDATE_TIMEOUT = 600.0
DOWNLOAD_TIMEOUT = 1800.0  # tens of MiB from a mirror that may be slow
UNPACK_TIMEOUT = 300.0
MODULE_TOOL_TIMEOUT = 120.0
POLL = 0.2

# progress(stage, done, total, detail): stage is "download", "unpack" or "initrd";
# total 0 when unknown; done == total (> 0) or a "done" detail ends a stage
Progress = Callable[[str, int, int, str], None]


class GuestBuildError(KataError):
    pass


@record
class GuestBuild:
    directory: str
    kernel_package: str
    kernel_version: str
    reused: bool


def _no_progress(_stage: str, _done: int, _total: int, _detail: str) -> None:
    pass


def _check(result: ProcessResult, what: str, hint: str | None = None) -> str:
    if not result.ok:
        stderr = result.stderr_text.strip().splitlines()
        reason = stderr[-1][:300] if stderr else result.describe()
        raise GuestBuildError(f"{what} failed: {reason}", hint)
    return result.stdout_text


# -- which kernel -------------------------------------------------------------------------
def _depends(host: Host) -> str:
    result = host.run(["apt-cache", "depends", META_PACKAGE], timeout=APT_QUERY_TIMEOUT)
    if result.error:
        raise GuestBuildError(
            f"cannot run apt-cache: {result.error}", "the test guest is built on Debian/Ubuntu"
        )
    for line in result.stdout_text.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] == "Depends:" and words[1].startswith("linux-image-"):
            return words[1]
    return ""


def _apt_update(host: Host) -> None:
    """Empty package lists (a fresh container): refresh them once."""
    argv = ["apt-get", "update", "-qq"]
    if not host.is_root():
        argv = ["sudo", "-n", *argv]
    host.run(argv, timeout=APT_UPDATE_TIMEOUT)


def kernel_package(host: Host) -> tuple[str, str]:
    """The kernel package `linux-image-amd64` depends on and its candidate version."""
    package = _depends(host)
    if not package:
        _apt_update(host)
        package = _depends(host)
    if not package:
        raise GuestBuildError(
            f"cannot tell which kernel package {META_PACKAGE} depends on",
            "run apt-get update as root, then try again",
        )
    policy = _check(
        host.run(["apt-cache", "policy", package], timeout=APT_QUERY_TIMEOUT),
        f"apt-cache policy {package}",
    )
    for line in policy.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] == "Candidate:" and words[1] != "(none)":
            return package, words[1]
    raise GuestBuildError(f"no installable version of {package}", "run apt-get update as root")


def _package_size(host: Host, package: str, version: str) -> int:
    result = host.run(
        ["apt-cache", "show", "--no-all-versions", f"{package}={version}"],
        timeout=APT_QUERY_TIMEOUT,
    )
    for line in result.stdout_text.splitlines():
        if line.startswith("Size:") and line[5:].strip().isdigit():
            return int(line[5:].strip())
    return 0


def entry_name(package: str, version: str) -> str:
    """The cache entry's directory name (the shell builder's, so old entries stay valid)."""
    return f"{package.removeprefix('linux-image-')}-{version}-g{GUEST_FORMAT}"


def find_busybox(host: Host) -> tuple[bytes, str]:
    for path in BUSYBOX_PATHS:
        try:
            data = host.read_bytes(path)
        except OSError:
            continue
        if is_static_elf(data):
            return data, path
    raise GuestBuildError("no static busybox found", "apt-get install busybox-static")


# -- the steps ----------------------------------------------------------------------------------
def _download(host: Host, work: Path, package: str, version: str, progress: Progress) -> Path:
    """`apt-get download` in a worker thread; the file's growth is the progress."""
    total = _package_size(host, package, version)
    progress("download", 0, total, f"{package} {version}")
    work_host = Host(work)
    outcome: list[ProcessResult] = []
    worker = threading.Thread(
        target=lambda: outcome.append(
            host.run(
                ["apt-get", "download", "-q", f"{package}={version}"],
                timeout=DOWNLOAD_TIMEOUT,
                cwd=str(work),
            )
        ),
        daemon=True,
    )
    worker.start()
    try:
        while worker.is_alive():
            worker.join(POLL)
            progress("download", _downloaded(work_host), total, "")
    except KeyboardInterrupt:
        kill_running()  # the worker thread never sees the interrupt
        worker.join(5)
        raise
    _check(outcome[0], f"apt-get download {package}={version}")
    debs = [name for name in work_host.listdir_or_empty("/") if name.endswith(".deb")]
    if len(debs) != 1:
        raise GuestBuildError(f"apt-get download {package}={version} left no package file")
    size = _downloaded(work_host)
    progress("download", size, size, "done")
    return work / debs[0]


def _downloaded(work_host: Host) -> int:
    size = 0
    for name in work_host.listdir_or_empty("/"):
        if ".deb" in name:
            try:
                size += work_host.stat(f"/{name}").st_size
            except OSError:
                pass
    return size


@record
class Unpacked:
    root: Path
    release: str
    vmlinux: bytes


def _unpack(host: Host, deb: Path, target: Path, progress: Progress) -> Unpacked:
    progress("unpack", 0, 3, "dpkg-deb -x")
    _check(host.run(["dpkg-deb", "-x", str(deb), str(target)], timeout=UNPACK_TIMEOUT), "dpkg-deb")
    tree_host = Host(target)
    releases = tree_host.listdir_or_empty("/lib/modules")
    if len(releases) != 1:
        raise GuestBuildError(f"{deb.name} holds {len(releases)} module trees, not one")
    release = releases[0]
    progress("unpack", 1, 3, "depmod")
    _check(host.run(["depmod", "-b", str(target), release], timeout=MODULE_TOOL_TIMEOUT), "depmod")
    progress("unpack", 2, 3, "vmlinuz -> vmlinux")
    vmlinux = extract_vmlinux(tree_host.read_bytes(f"/boot/vmlinuz-{release}"))
    if vmlinux is None:
        raise GuestBuildError(f"no ELF kernel found inside vmlinuz-{release}")
    progress("unpack", 3, 3, "done")
    return Unpacked(target, release, vmlinux)


def _modules(host: Host, unpacked: Unpacked) -> list[tuple[str, str]]:
    """(file name, local path) of each module the guest loads, dependencies first."""
    found: list[tuple[str, str]] = []
    names: set[str] = set()
    for module in MODULES:
        shown = _check(
            host.run(
                [
                    "modprobe",
                    "-d",
                    str(unpacked.root),
                    "-S",
                    unpacked.release,
                    "--show-depends",
                    module,
                ],
                timeout=MODULE_TOOL_TIMEOUT,
            ),
            f"modprobe --show-depends {module}",
        )
        for line in shown.splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] == "insmod":
                name = Path(words[1]).name
                if name not in names:
                    names.add(name)
                    found.append((name, words[1]))
    return found


def _initrd(host: Host, unpacked: Unpacked, progress: Progress) -> bytes:
    busybox, busybox_path = find_busybox(host)
    listed = _check(host.run([busybox_path, "--list"], timeout=10.0), f"{busybox_path} --list")
    modules = _modules(host, unpacked)
    total = len(modules) + 2
    progress("initrd", 0, total, "busybox")
    contents: list[tuple[str, bytes]] = []
    for index, (name, path) in enumerate(modules, start=1):
        contents.append((name, local_host().read_bytes(path)))
        progress("initrd", index, total, name)
    archive = initrd_archive(
        busybox, listed.split(), contents, init_script(DEFAULT_MARKER, DEBUG_PORT_NAME)
    )
    progress("initrd", total, total, "done")
    return archive


def build_guest(host: Host, progress: Progress = _no_progress, rebuild: bool = False) -> GuestBuild:
    """Build the test guest into the cache (or find it there); returns where it is."""
    package, version = kernel_package(host)
    directory = cache_root(host.env) / entry_name(package, version)
    if not rebuild and load_guest(directory) is not None:
        return GuestBuild(str(directory), package, version, reused=True)
    find_busybox(host)  # before a download of tens of MiB
    problem = _cache_problem(directory)  # so is a cache that cannot be written
    if problem:
        raise GuestBuildError(
            f"cannot write the test guest to {directory}: {problem}",
            "set KATA_CLI_GUEST_CACHE to a writable directory",
        )
    with tempfile.TemporaryDirectory(prefix="kata-cli-guest.") as tmp:
        work = Path(tmp)
        deb = _download(host, work, package, version, progress)
        unpacked = _unpack(host, deb, work / "pkg", progress)
        initrd = _initrd(host, unpacked, progress)
        _install(directory, unpacked, initrd, package, version)
    return GuestBuild(str(directory), package, version, reused=False)


def _cache_problem(directory: Path) -> str | None:
    """Why `directory` could not be created and written, or None; nothing is created."""
    this_host = local_host()
    existing = directory
    while existing != existing.parent and not this_host.lexists(str(existing)):
        existing = existing.parent
    if not this_host.is_dir(str(existing)):
        return f"{existing} is not a directory"
    return output_problem(str(existing / "guest.json"))


def _install(
    directory: Path, unpacked: Unpacked, initrd: bytes, package: str, version: str
) -> None:
    try:
        local_host().makedirs(str(directory), 0o755)
        atomic_write(directory / "vmlinux", unpacked.vmlinux, 0o644)
        atomic_write(directory / "initrd.img", initrd, 0o644)
        meta = {
            "format": GUEST_FORMAT,
            "kernel_package": package,
            "kernel_version": version,
            "release": unpacked.release,
            "kernel": "vmlinux",
            "initrd": "initrd.img",
            "ready_marker": DEFAULT_MARKER,
            "debug_port_name": DEBUG_PORT_NAME,
            "console": "ttyS0",
        }
        atomic_write(directory / "guest.json", (json.dumps(meta) + "\n").encode(), 0o644)
    except OSError as exc:
        raise GuestBuildError(
            f"cannot write the test guest to {directory}: {exc.strerror or exc}",
            "set KATA_CLI_GUEST_CACHE to a writable directory",
        ) from None
