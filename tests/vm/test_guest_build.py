"""`kata-cli vm guest build` against fake apt-cache, apt-get, dpkg-deb, depmod and modprobe
on PATH (the real build runs in scripts/test-setup.sh). busybox is the real static one."""

from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from kata_cli.environment import Environment
from kata_cli.errors import KataError
from kata_cli.host import Host
from kata_cli.vm.guest import GUEST_FORMAT, cache_root, find_test_guest
from kata_cli.vm.guest_build import BUSYBOX_PATHS, MODULES, build_guest, entry_name
from kata_cli.vm.guest_initrd import (
    S_IFDIR,
    S_IFLNK,
    S_IFREG,
    extract_vmlinux,
    initrd_archive,
    is_static_elf,
    read_newc,
)
from tests.conftest import Cli, run_subprocess

KATA = [sys.executable, "-m", "kata_cli"]
RELEASE = "6.1.0-99-amd64"
PACKAGE = f"linux-image-{RELEASE}"
VERSION = "6.1.999-1"
ELF_KERNEL = b"\x7fELF\x02\x01\x01" + b"fake kernel" * 1000
DEPENDENCIES = {
    "virtio_pci": ["virtio", "virtio_ring", "virtio_pci"],
    "9p": ["netfs", "9pnet", "9p"],
}

# each fake logs its argv to $FAKE_LOG, then does what the builder relies on
FAKES = {
    "apt-cache": f"""\
        case "$1" in
        depends) printf '%s\\n  Depends: {PACKAGE}\\n' "$2" ;;
        policy) printf '%s:\\n  Installed: (none)\\n  Candidate: {VERSION}\\n' "$2" ;;
        show) printf 'Package: {PACKAGE}\\nSize: 4096\\n' ;;
        esac
    """,
    "apt-get": f"""\
        [ "$1" = download ] || exit 1
        head -c 4096 /dev/zero > "{PACKAGE}_{VERSION}_amd64.deb"
    """,
    "dpkg-deb": """\
        [ "$1" = -x ] || exit 1
        cp -r "$FAKE_TREE/." "$3"
    """,
    "depmod": "exit 0",
    "modprobe": """\
        base=$2 release=$4 module=$6
        case "$module" in
        virtio_pci) deps="virtio virtio_ring virtio_pci" ;;
        9p) deps="netfs 9pnet 9p" ;;
        *) deps="$module" ;;
        esac
        for dep in $deps; do echo "insmod $base/lib/modules/$release/kernel/$dep.ko"; done
    """,
}


def _static_busybox() -> str:
    for path in BUSYBOX_PATHS:
        if Path(path).is_file() and is_static_elf(Path(path).read_bytes()):
            return path
    pytest.skip("no static busybox (scripts/test-setup.sh installs busybox-static)")


@pytest.fixture
def fake_apt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fake Debian tools first on PATH; the package tree dpkg-deb "unpacks"; the log."""
    _static_busybox()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for name, body in FAKES.items():
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> "$FAKE_LOG"\n' + dedent(body))
        script.chmod(0o755)
    tree = tmp_path / "tree"
    (tree / "boot").mkdir(parents=True)
    # a bzImage-like wrapper: some setup bytes, then the gzip stream of the ELF kernel
    (tree / "boot" / f"vmlinuz-{RELEASE}").write_bytes(b"MZ setup" * 64 + gzip.compress(ELF_KERNEL))
    modules = tree / "lib" / "modules" / RELEASE / "kernel"
    modules.mkdir(parents=True)
    for name in {*MODULES, *(dep for deps in DEPENDENCIES.values() for dep in deps)}:
        (modules / f"{name}.ko").write_bytes(f"module {name}".encode())
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_LOG", str(log))
    monkeypatch.setenv("FAKE_TREE", str(tree))
    monkeypatch.setenv("KATA_CLI_GUEST_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("KATA_CLI_TEST_GUEST", raising=False)
    return log


def test_build_writes_a_complete_guest_under_the_shell_builders_key(fake_apt: Path) -> None:
    progress: list[tuple[str, int, int, str]] = []
    build = build_guest(Host("/"), lambda *event: progress.append(event))
    directory = Path(build.directory)
    assert directory.name == f"{RELEASE}-{VERSION}-g{GUEST_FORMAT}"
    assert not build.reused
    assert (directory / "vmlinux").read_bytes() == ELF_KERNEL
    assert json.loads((directory / "guest.json").read_text()) == {
        "format": GUEST_FORMAT,
        "kernel_package": PACKAGE,
        "kernel_version": VERSION,
        "release": RELEASE,
        "kernel": "vmlinux",
        "initrd": "initrd.img",
        "ready_marker": "KATA-CLI-GUEST-READY",
        "debug_port_name": "kata.debug",
        "console": "ttyS0",
    }
    guest = find_test_guest()
    assert guest is not None and guest.directory == str(directory)
    # each stage starts at 0 and ends complete, in order
    stages = [stage for stage, *_ in progress]
    assert sorted(set(stages), key=stages.index) == ["download", "unpack", "initrd"]
    finals = {stage: (done, total) for stage, done, total, detail in progress if detail == "done"}
    assert finals == {"download": (4096, 4096), "unpack": (3, 3), "initrd": (14, 14)}


def test_the_initrd_holds_busybox_modules_in_dependency_order_and_init(fake_apt: Path) -> None:
    build = build_guest(Host("/"))
    members = read_newc((Path(build.directory) / "initrd.img").read_bytes())
    assert members["bin/busybox"].data == Path(_static_busybox()).read_bytes()
    assert members["bin/sh"].mode == S_IFLNK | 0o777 and members["bin/sh"].data == b"busybox"
    assert members["lib/modules"].mode == S_IFDIR | 0o755
    order = members["lib/modules/load.order"].data.decode().split()
    assert order[:3] == ["virtio.ko", "virtio_ring.ko", "virtio_pci.ko"]
    assert order.index("netfs.ko") < order.index("9pnet.ko") < order.index("9p.ko")
    assert len(order) == len(set(order)) == 12
    assert members["lib/modules/9p.ko"].data == b"module 9p"
    init = members["init"]
    assert init.mode == S_IFREG | 0o755
    assert b'echo "KATA-CLI-GUEST-READY"' in init.data
    assert b'= "kata.debug" ]' in init.data


def test_a_cached_guest_is_reused_without_downloading(fake_apt: Path) -> None:
    first = build_guest(Host("/"))
    fake_apt.write_text("")
    again = build_guest(Host("/"))
    assert again.directory == first.directory and again.reused
    assert "apt-get download" not in fake_apt.read_text()
    rebuilt = build_guest(Host("/"), rebuild=True)
    assert not rebuilt.reused
    assert f"apt-get download -q {PACKAGE}={VERSION}" in fake_apt.read_text()


@pytest.mark.parametrize(
    ("euid", "environ", "expected"),
    [
        (1000, {"KATA_CLI_GUEST_CACHE": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/c"),
        (1000, {"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/kata-cli/test-guest"),
        (1000, {"XDG_CACHE_HOME": "", "HOME": "/h"}, "/h/.cache/kata-cli/test-guest"),
        (0, {}, "/root/.cache/kata-cli/test-guest"),  # no HOME: the account's (root's)
    ],
)
def test_the_cache_is_the_one_the_environment_names(
    euid: int, environ: dict[str, str], expected: str
) -> None:
    assert cache_root(Environment.fake(euid=euid, environ=environ)) == Path(expected)


def test_the_command_builds_into_the_cache_of_the_runs_environment(
    fake_apt: Path, cli: Cli, tmp_path: Path
) -> None:
    """`vm guest build` and then `vm plan --test-guest` use the cache the environment
    handed to the run names (the process's KATA_CLI_GUEST_CACHE is another one)."""
    cache = tmp_path / "env-cache"
    cli.environment["environ"] = {**os.environ, "KATA_CLI_GUEST_CACHE": str(cache)}
    result = cli("vm", "guest", "build")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{cache / entry_name(PACKAGE, VERSION)}\n"
    assert find_test_guest() is None  # nothing in the process's cache
    guest = find_test_guest(Environment.fake(environ={"KATA_CLI_GUEST_CACHE": str(cache)}))
    assert guest is not None and guest.directory == str(cache / entry_name(PACKAGE, VERSION))


def test_the_command_prints_the_cache_directory_and_plain_progress(fake_apt: Path) -> None:
    result = run_subprocess("vm", "guest", "build", timeout=120)
    assert result.returncode == 0, result.stderr
    expected = Path(os.environ["KATA_CLI_GUEST_CACHE"]) / entry_name(PACKAGE, VERSION)
    assert result.stdout == f"{expected}\n"
    assert result.stderr.splitlines() == [
        f"download: {PACKAGE} {VERSION} (0.0 MiB)",
        "download: done (0.0 MiB / 0.0 MiB)",
        "unpack: dpkg-deb -x",
        "unpack: done (3/3)",
        "initrd: busybox",
        "initrd: done (14/14)",
    ]
    again = run_subprocess("vm", "guest", "build", timeout=60)
    assert again.returncode == 0 and again.stdout == result.stdout
    assert again.stderr == f"test guest {PACKAGE} {VERSION} is already cached\n"


def test_the_shell_script_is_a_thin_call_of_the_command(fake_apt: Path) -> None:
    import subprocess

    script = Path(__file__).resolve().parents[2] / "scripts" / "build-test-guest.sh"
    result = subprocess.run([str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(entry_name(PACKAGE, VERSION))


def test_a_failed_download_is_one_line_and_leaves_no_cache_entry(
    fake_apt: Path, tmp_path: Path
) -> None:
    (tmp_path / "bin" / "apt-get").write_text(
        "#!/bin/sh\necho 'E: mirror unreachable' >&2\nexit 100\n"
    )
    with pytest.raises(KataError) as caught:
        build_guest(Host("/"))
    assert caught.value.one_line() == (
        f"apt-get download {PACKAGE}={VERSION} failed: E: mirror unreachable"
    )
    assert find_test_guest() is None


def test_an_unwritable_cache_is_refused_before_the_download(
    fake_apt: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache under a file used to be found out after downloading tens of MiB."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("KATA_CLI_GUEST_CACHE", str(blocker / "cache"))
    with pytest.raises(KataError) as caught:
        build_guest(Host("/"))
    assert f"{blocker} is not a directory" in caught.value.one_line()
    assert "KATA_CLI_GUEST_CACHE" in caught.value.one_line()
    assert "apt-get download" not in fake_apt.read_text()


def test_vm_run_test_guest_without_a_cached_guest_names_the_build_command(
    fake_apt: Path, tmp_path: Path
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[hypervisor.qemu]\npath = "/usr/bin/qemu-system-x86_64"\n')
    result = run_subprocess("--config", str(config), "vm", "plan", "--test-guest")
    assert result.returncode == 1
    assert result.stderr == "no test guest is cached (build it with: kata-cli vm guest build)\n"


def test_a_kernel_in_each_compression_is_found() -> None:
    import lzma

    for payload in (
        gzip.compress(ELF_KERNEL),
        lzma.compress(ELF_KERNEL, format=lzma.FORMAT_XZ),
        lzma.compress(ELF_KERNEL, format=lzma.FORMAT_ALONE),
    ):
        assert extract_vmlinux(b"\x1f\x8b\x08 decoy" + payload + b"tail") == ELF_KERNEL
    assert extract_vmlinux(b"no kernel in here") is None


def test_static_elf_detection() -> None:
    assert is_static_elf(Path(_static_busybox()).read_bytes())
    assert not is_static_elf(Path("/bin/sh").resolve().read_bytes())  # dynamically linked
    assert not is_static_elf(b"#!/bin/sh\n")
    assert not is_static_elf(b"\x7fELF\x02\x01" + b"\0" * 10)  # truncated


def test_archive_round_trip() -> None:
    archive = initrd_archive(b"BB", ["sh", "busybox", "ls"], [("a.ko", b"A")], "#!/bin/sh\n")
    assert len(archive) % 4 == 0
    members = read_newc(archive)
    assert members["bin/ls"].data == b"busybox"
    assert "bin/busybox" in members and members["bin/busybox"].data == b"BB"
    assert members["lib/modules/load.order"].data == b"a.ko\n"


def _offer(fake_apt: Path, tmp_path: Path, answer: bytes) -> tuple[int, str, str]:
    """`vm plan --test-guest --json` with stdin and stderr on a terminal, answering the
    offer to build; (status, stdout, what the terminal showed)."""
    import pty
    import subprocess
    import threading

    qemu = tmp_path / "qemu"
    qemu.write_text("#!/bin/sh\n")
    qemu.chmod(0o755)
    config = tmp_path / "c.toml"
    config.write_text(f'[hypervisor.qemu]\npath = "{qemu}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("KATA_CONF")}
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*KATA, "--config", str(config), "vm", "plan", "--test-guest", "--json"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        env={**env, "NO_COLOR": "1"},
    )
    os.close(slave)
    shown = bytearray()
    asked = threading.Event()

    def drain() -> None:  # the terminal must be read, or progress output blocks the child
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            shown.extend(chunk)
            if b"Build it now" in shown:
                asked.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        assert asked.wait(60), bytes(shown)
        os.write(master, answer)
        stdout, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(10)
        os.close(master)
    return proc.returncode, stdout.decode(), shown.decode("utf-8", "replace")


def test_on_a_terminal_a_missing_guest_is_offered_and_built(fake_apt: Path, tmp_path: Path) -> None:
    status, stdout, shown = _offer(fake_apt, tmp_path, b"y\n")
    assert status == 0, shown
    directory = Path(os.environ["KATA_CLI_GUEST_CACHE"]) / entry_name(PACKAGE, VERSION)
    plan = json.loads(stdout)  # stdout still holds only the plan
    assert plan["kernel"] == str(directory / "vmlinux")
    assert f"test guest built in {directory}" in shown


def test_declining_the_offer_leaves_the_one_line_error(fake_apt: Path, tmp_path: Path) -> None:
    status, stdout, shown = _offer(fake_apt, tmp_path, b"n\n")
    assert (status, stdout) == (1, "")
    assert "no test guest is cached (build it with: kata-cli vm guest build)" in shown
    assert "apt-get download" not in (fake_apt.read_text() if fake_apt.exists() else "")
