"""Host-root confinement: openat2(RESOLVE_IN_ROOT) semantics for every way in.

Every test runs against `hostile_host`: files, a socket and programs planted OUTSIDE
the root carry SECRET, and links inside the root point there in every way.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from kata_cli.host import NOT_RUN_OUTSIDE_ROOT, Host, OutsideRoot, SymlinkRefused
from tests.conftest import SECRET

LINK_KINDS = ("absolute", "relative", "dotdot-chain")


def _never_outside(host: Host, host_path: str) -> None:
    """Every read-side operation on `host_path` stays inside the root."""
    try:
        data = host.read_bytes(host_path)
    except OSError:
        data = b""
    assert SECRET.encode() not in data
    assert host.read_text_or(host_path) in (None, data.decode())
    assert not host.exists(host_path)
    assert not host.is_file(host_path)
    assert host.kind(host_path) in ("missing", "other")
    assert not host.access(host_path, os.R_OK)
    assert not host.is_executable(host_path)
    assert host.listdir_or_empty(host_path) == []


# -- reads through escaping links ------------------------------------------------------
@pytest.mark.parametrize("kind", LINK_KINDS)
def test_file_link_out_of_the_root_is_missing(hostile_host, kind):
    target = hostile_host.escaping_links("/etc/passwd", "etc/passwd")[kind]
    hostile_host.link("/etc/passwd", target)
    _never_outside(hostile_host.host, "/etc/passwd")


@pytest.mark.parametrize("kind", LINK_KINDS)
def test_directory_link_out_of_the_root_is_missing(hostile_host, kind):
    target = hostile_host.escaping_links("/var/log", "var/log")[kind]
    hostile_host.link("/var/log", target)
    host = hostile_host.host
    _never_outside(host, "/var/log/syslog")
    assert host.listdir_or_empty("/var/log") == []
    assert host.glob("/var/log/*") == []


@pytest.mark.parametrize("kind", LINK_KINDS)
def test_directory_link_in_the_middle_keeps_its_meaning_inside(hostile_host, kind):
    """H/etc/containerd -> <outside>/etc/containerd reads H<outside>/etc/containerd."""
    outside = hostile_host.outside / "etc/containerd"
    hostile_host.fake.file(f"{outside}/config.toml", "inside copy\n")
    target = hostile_host.escaping_links("/etc/containerd", "etc/containerd")[kind]
    hostile_host.link("/etc/containerd", target)
    host = hostile_host.host
    # every spelling clamps at H, then names H/<outside>/etc/containerd
    assert host.read_text("/etc/containerd/config.toml") == "inside copy\n"
    assert host.listdir("/etc/containerd") == ["config.toml"]
    assert host.glob("/etc/containerd/*.toml") == ["/etc/containerd/config.toml"]
    assert host.resolve("/etc/containerd/config.toml") == f"{outside}/config.toml"


def test_absolute_link_is_found_when_the_target_is_inside(hostile_host):
    assets = "/opt/kata/share/kata-containers"
    hostile_host.fake.file(f"{assets}/vmlinux-6.1", "kernel")
    hostile_host.link(f"{assets}/vmlinux.container", f"{assets}/vmlinux-6.1")
    host = hostile_host.host
    assert host.is_file(f"{assets}/vmlinux.container")
    assert host.read_text(f"{assets}/vmlinux.container") == "kernel"
    assert host.resolve(f"{assets}/vmlinux.container") == f"{assets}/vmlinux-6.1"


def test_absolute_link_is_missing_when_the_target_is_only_outside(hostile_host, tmp_path):
    # the real file system has <tmp>/outside/opt/.../vmlinux-6.1; make the link name it
    # the way a node's root would: an absolute path that exists only outside H
    assets = "/opt/kata/share/kata-containers"
    real = hostile_host.outside / "opt/kata/share/kata-containers/vmlinux-6.1"
    hostile_host.link(f"{assets}/vmlinux.container", str(real))
    _never_outside(hostile_host.host, f"{assets}/vmlinux.container")


@pytest.mark.parametrize(
    "path",
    [
        "/opt/kata/../../../../secret",
        "/../../../../secret",
        "opt/../../secret",
        "/opt/kata/../../../../tmp/x",
        "/./../.././secret",
    ],
)
def test_dotdot_in_the_path_never_climbs_above_the_root(hostile_host, path):
    host = hostile_host.host
    hostile_host.fake.dir("/opt/kata")
    _never_outside(host, path)
    hostile_host.fake.file("/secret", "inside\n")
    hostile_host.fake.file("/tmp/x", "inside\n")
    assert host.read_text(path) == "inside\n"
    assert host.path(path).is_relative_to(hostile_host.root)


def test_dotdot_after_a_link_climbs_from_the_target(hostile_host):
    fake = hostile_host.fake
    fake.file("/a/b/file", "b")
    fake.file("/x/file", "x")
    hostile_host.link("/x/link", "/a/b")
    assert hostile_host.host.read_text("/x/link/../b/file") == "b"
    assert hostile_host.host.resolve("/x/link/..") == "/a"


def test_relative_dotdot_chains_clamp_at_the_root(hostile_host):
    hostile_host.fake.file("/secret", "inside\n")
    hostile_host.link("/a/b/c/link", "../../../../../../../../../../secret")
    assert hostile_host.host.read_text("/a/b/c/link") == "inside\n"


# -- loops, chains, dangling -----------------------------------------------------------
def test_loops_are_errors_not_hangs(hostile_host):
    hostile_host.loop("/loop")
    host = hostile_host.host
    with pytest.raises(OSError) as info:
        host.resolve("/loop")
    assert info.value.errno == errno.ELOOP
    assert not host.exists("/loop") and host.lexists("/loop") and host.is_symlink("/loop")
    assert host.kind("/loop") == "other"
    assert host.read_text_or("/loop/x") is None


def test_self_loop_and_directory_loop(hostile_host):
    hostile_host.link("/self", "/self")
    hostile_host.link("/d/up", "/d")
    host = hostile_host.host
    with pytest.raises(OSError):
        host.read_bytes("/self")
    # /d/up/up/up/... is a long but finite walk: every hop counts
    assert host.is_dir("/d/up/up/up")
    with pytest.raises(OSError) as info:
        host.resolve("/d" + "/up" * 41)
    assert info.value.errno == errno.ELOOP


def test_forty_links_resolve_forty_one_do_not(hostile_host):
    fake = hostile_host.fake
    fake.file("/target", "end")
    hostile_host.chain("/c40", 40, "/target")
    hostile_host.chain("/c41", 41, "/target")
    host = hostile_host.host
    assert host.read_text("/c40") == "end"
    with pytest.raises(OSError) as info:
        host.read_text("/c41")
    assert info.value.errno == errno.ELOOP


def test_dangling_links(hostile_host):
    hostile_host.link("/dangling", "/nowhere")
    hostile_host.link("/empty-ish", "nowhere/../../x")
    host = hostile_host.host
    assert host.lexists("/dangling") and not host.exists("/dangling")
    assert host.kind("/dangling") == "missing"
    assert host.kind("/dangling", follow_symlinks=False) == "symlink"
    assert host.readlink("/dangling") == "/nowhere"
    with pytest.raises(FileNotFoundError):
        host.read_bytes("/dangling")


# -- file kinds ------------------------------------------------------------------------
def test_fifo_is_never_opened_for_reading_in_a_blocking_way(hostile_host):
    hostile_host.fake.dir("/run")
    os.mkfifo(hostile_host.fake.local("/run/fifo"))
    host = hostile_host.host
    assert host.kind("/run/fifo") == "fifo"
    with pytest.raises(OSError):
        host.read_bytes("/run/fifo")
    assert host.read_text_or("/run/fifo") is None


def test_dev_kvm_link_opens_the_roots_device(hostile_host):
    if os.geteuid() != 0:
        pytest.skip("creating device nodes needs root")
    fake = hostile_host.fake
    fake.char_device("/dev/kvm-real", 1, 3)  # /dev/null's numbers: harmless to open
    hostile_host.link("/dev/kvm", "/dev/kvm-real")
    host = hostile_host.host
    assert host.kind("/dev/kvm") == "char"
    fd = host.open_fd("/dev/kvm", os.O_RDWR)
    try:
        assert os.fstat(fd).st_ino == os.stat(fake.local("/dev/kvm-real")).st_ino
    finally:
        os.close(fd)


def test_dev_kvm_link_to_the_machines_dev_kvm_stays_inside(hostile_host):
    hostile_host.link("/dev/kvm", "/dev/kvm")  # a loop inside H, not the real /dev/kvm
    host = hostile_host.host
    assert host.kind("/dev/kvm") == "other"
    with pytest.raises(OSError):
        host.open_fd("/dev/kvm", os.O_RDWR)
    hostile_host.link("/dev/vhost-vsock", "/dev/null")
    assert host.kind("/dev/vhost-vsock") == "missing"


def test_long_names_and_nul_bytes_are_oserrors(hostile_host):
    host = hostile_host.host
    for path in ("/" + "x" * 300, "/etc/\0passwd", "/" + "a/" * 3000):
        assert not host.exists(path)
        assert host.kind(path) in ("missing", "other")
        with pytest.raises(OSError):
            host.read_bytes(path)


def test_deep_paths_beyond_path_max_still_resolve(hostile_host):
    """The walk is one name at a time, so PATH_MAX does not apply."""
    fake = hostile_host.fake
    name = "d" * 200
    local = fake.root
    fd = os.open(local, os.O_RDONLY)
    try:
        for _ in range(25):  # 25 * 201 bytes > 4096
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        os.close(os.open("leaf", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
    finally:
        os.close(fd)
    deep = "/" + "/".join([name] * 25) + "/leaf"
    assert len(deep) > 4096
    assert hostile_host.host.is_file(deep)


# -- sockets ---------------------------------------------------------------------------
def _listening(path: Path) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dir_fd = os.open(path.parent, os.O_PATH)  # bind() has the 108-byte limit too
    try:
        server.bind(f"/proc/self/fd/{dir_fd}/{path.name}")
    finally:
        os.close(dir_fd)
    server.listen(4)
    return server


@pytest.mark.parametrize("kind", LINK_KINDS)
def test_socket_link_out_of_the_root_is_not_connected(hostile_host, kind):
    target = hostile_host.escaping_links("/run/shim.sock", "outside.sock")[kind]
    hostile_host.link("/run/shim.sock", target)
    with pytest.raises(FileNotFoundError):
        hostile_host.host.connect_unix("/run/shim.sock", 1.0)


@pytest.mark.parametrize("path", ["/../outside.sock", "/run/../../outside.sock", "../x"])
def test_socket_path_climbing_out_is_refused(hostile_host, path):
    with pytest.raises(OutsideRoot) as info:
        hostile_host.host.connect_unix(path, 1.0)
    assert "climbs out of the host root" in str(info.value)


def test_socket_inside_through_links_and_longer_than_sun_path(hostile_host):
    fake = hostile_host.fake
    deep = "/run/" + "/".join(["s" * 60] * 3)
    fake.dir(deep)
    server = _listening(fake.local(f"{deep}/shim.sock"))
    hostile_host.link("/run/alias.sock", f"{deep}/shim.sock")
    try:
        assert len(str(fake.local(f"{deep}/shim.sock"))) > 108
        for path in (f"{deep}/shim.sock", "/run/alias.sock"):
            client = hostile_host.host.connect_unix(path, 2.0)
            peer, _ = server.accept()
            client.sendall(b"ping")
            assert peer.recv(4) == b"ping"
            peer.close()
            client.close()
    finally:
        server.close()


def test_connecting_to_a_file_is_refused(hostile_host):
    hostile_host.fake.file("/run/not-a-socket", "x")
    with pytest.raises(ConnectionRefusedError):
        hostile_host.host.connect_unix("/run/not-a-socket", 1.0)


# -- programs --------------------------------------------------------------------------
def test_host_programs_do_not_run_under_another_root(hostile_host):
    hostile_host.fake.executable("/opt/kata/bin/qemu", f"#!/bin/sh\necho {SECRET}\n")
    result = hostile_host.host.run_host_program("/opt/kata/bin/qemu", ["--version"], timeout=5)
    assert result.error == NOT_RUN_OUTSIDE_ROOT and not result.stdout


def test_host_programs_run_at_their_path_with_the_root_slash(hostile_host):
    tool = hostile_host.outside / "bin/tool"
    result = Host("/").run_host_program(str(tool), timeout=5)
    assert result.ok and SECRET in result.stdout_text
    missing = Host("/").run_host_program(str(tool) + "-none", timeout=5)
    assert missing.error == "not found"


# -- writes and removes ----------------------------------------------------------------
@pytest.mark.parametrize("kind", LINK_KINDS)
def test_writes_never_go_through_a_directory_link(hostile_host, kind):
    target = hostile_host.escaping_links("/run/kata-containers", "")[kind]
    hostile_host.link("/run/kata-containers", target)
    host = hostile_host.host
    before = sorted(p.name for p in hostile_host.outside.iterdir())
    with pytest.raises(SymlinkRefused) as info:
        host.makedirs("/run/kata-containers/shared/direct-volumes")
    assert "/run/kata-containers is a symbolic link" in str(info.value)
    with pytest.raises(SymlinkRefused):
        host.write_atomic("/run/kata-containers/state.json", b"{}")
    with pytest.raises(SymlinkRefused):
        host.remove_tree("/run/kata-containers/x")
    assert sorted(p.name for p in hostile_host.outside.iterdir()) == before


def test_write_to_a_final_link_is_refused(hostile_host):
    hostile_host.link("/run/state.json", str(hostile_host.outside / "secret"))
    with pytest.raises(SymlinkRefused):
        hostile_host.host.write_atomic("/run/state.json", b"{}")
    with pytest.raises(SymlinkRefused):
        hostile_host.host.chmod("/run/state.json", 0o777)
    assert (hostile_host.outside / "secret").read_text().startswith(SECRET)
    assert stat.S_IMODE((hostile_host.outside / "secret").stat().st_mode) != 0o777


def test_remove_tree_removes_links_not_their_targets(hostile_host):
    fake = hostile_host.fake
    fake.file("/run/vol/a/file", "x")
    hostile_host.link("/run/vol/a/out", str(hostile_host.outside))
    hostile_host.link("/run/vol/secret", str(hostile_host.outside / "secret"))
    os.mkfifo(fake.local("/run/vol/a/fifo"))
    hostile_host.host.remove_tree("/run/vol")
    assert not fake.local("/run/vol").exists()
    assert (hostile_host.outside / "secret").read_text().startswith(SECRET)
    assert (hostile_host.outside / "etc/passwd").exists()


def test_concurrent_remove_tree_all_succeed(hostile_host):
    fake = hostile_host.fake
    for index in range(50):
        fake.file(f"/run/vol/d{index}/f", "x")
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)

    def remove() -> None:
        barrier.wait()
        try:
            hostile_host.host.remove_tree("/run/vol")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=remove) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert not fake.local("/run/vol").exists()


def test_atomic_write_mode_and_no_leftovers(hostile_host):
    host = hostile_host.host
    host.makedirs("/var/lib/x", mode=0o700)
    host.write_atomic("/var/lib/x/f", b"data", mode=0o600)
    local = hostile_host.fake.local("/var/lib/x/f")
    assert local.read_bytes() == b"data"
    assert stat.S_IMODE(local.stat().st_mode) == 0o600
    assert os.listdir(local.parent) == ["f"]


def test_native_root_behaves_like_the_kernel(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d/f").write_text("x")
    (tmp_path / "l").symlink_to(tmp_path / "d")
    host = Host("/")
    assert host.read_text(f"{tmp_path}/l/f") == "x"
    assert host.resolve(f"{tmp_path}/l/f") == str((tmp_path / "d/f").resolve())
    assert host.listdir(f"{tmp_path}/l") == ["f"]
    assert host.glob(f"{tmp_path}/*/f") == [f"{tmp_path}/d/f", f"{tmp_path}/l/f"]


def test_tail_reads_never_block_on_a_fifo_and_stay_inside(hostile_host):
    fake = hostile_host.fake
    fake.dir("/var/log")
    os.mkfifo(fake.local("/var/log/fifo.log"))
    hostile_host.link("/var/log/out.log", str(hostile_host.outside / "var/log/syslog"))
    fake.file("/var/log/real.log", "a\n" * 10)
    host = hostile_host.host
    with pytest.raises(OSError):
        host.read_tail("/var/log/fifo.log", 100)
    with pytest.raises(FileNotFoundError):
        host.read_tail("/var/log/out.log", 100)
    assert host.read_tail("/var/log/real.log", 4) == (b"a\na\n", 16)


@pytest.mark.parametrize("kind", ["fifo", "socket", "dir", "char"])
def test_reads_of_special_files_fail_fast(hostile_host, kind):
    fake = hostile_host.fake
    fake.dir("/etc/kata-containers")
    path = "/etc/kata-containers/configuration.toml"
    if kind == "fifo":
        os.mkfifo(fake.local(path))
    elif kind == "socket":
        fake.unix_socket(path)
    elif kind == "dir":
        fake.dir(path)
    else:
        fake.char_device(path, 1, 3)
    host = hostile_host.host
    with pytest.raises(OSError):
        host.read_bytes(path)
    assert host.read_text_or(path) is None
    assert host.kind(path) == kind
    assert not host.is_file(path)


def test_first_symlink_names_the_link_on_the_way(hostile_host):
    host = hostile_host.host
    hostile_host.fake.dir("/run/vc")
    assert host.first_symlink("/run/vc/sbs/x") is None
    hostile_host.link("/run/vc/sbs", str(hostile_host.outside))
    assert host.first_symlink("/run/vc/sbs/x/shim-monitor.sock") == "/run/vc/sbs"
    assert host.first_symlink("/run/../run/vc/sbs") == "/run/vc/sbs"
