"""Host: paths under the root, symlinks resolved inside it, kinds, atomic writes, run()."""

from __future__ import annotations

import os
import stat

import pytest

from kata_cli.host import Host, atomic_write


def test_paths_are_under_the_root(fake_host):
    fake_host.file("/proc/cpuinfo", "x")
    host = fake_host.host
    assert host.path("/proc/cpuinfo") == fake_host.root / "proc/cpuinfo"
    assert host.read_text("/proc/cpuinfo") == "x"
    assert host.to_host_path(fake_host.root / "proc/cpuinfo") == "/proc/cpuinfo"


def test_absolute_symlink_resolves_inside_root(fake_host):
    fake_host.file("/opt/kata/share/defaults/kata-containers/configuration-qemu.toml", "")
    fake_host.symlink(
        "/etc/kata-containers/configuration.toml",
        "/opt/kata/share/defaults/kata-containers/configuration-qemu.toml",
    )
    resolved = fake_host.host.resolve("/etc/kata-containers/configuration.toml")
    assert resolved == "/opt/kata/share/defaults/kata-containers/configuration-qemu.toml"


def test_relative_symlink_and_dotdot(fake_host):
    fake_host.file("/a/b/target", "")
    fake_host.symlink("/a/c/link", "../b/target")
    assert fake_host.host.resolve("/a/c/link") == "/a/b/target"
    # .. never escapes the root
    assert fake_host.host.resolve("/../../a/b/target") == "/a/b/target"


def test_resolve_missing_raises(fake_host):
    with pytest.raises(FileNotFoundError):
        fake_host.host.resolve("/etc/nothing")


def test_symlink_loop_is_an_error(fake_host):
    fake_host.symlink("/x", "/y")
    fake_host.symlink("/y", "/x")
    with pytest.raises(OSError):
        fake_host.host.resolve("/x")


def test_kinds(fake_host):
    fake_host.file("/f")
    fake_host.dir("/d")
    fake_host.unix_socket("/s")
    host = fake_host.host
    assert host.kind("/f") == "file"
    assert host.kind("/d") == "dir"
    assert host.kind("/s") == "socket"
    assert host.kind("/missing") == "missing"
    if os.geteuid() == 0:
        fake_host.char_device("/dev/kvm")
        assert host.kind("/dev/kvm") == "char"


def test_glob_returns_host_paths(fake_host):
    fake_host.dir("/sys/module/kvm")
    fake_host.dir("/sys/module/kvm_intel")
    assert fake_host.host.glob("/sys/module/kvm*") == ["/sys/module/kvm", "/sys/module/kvm_intel"]


def test_write_atomic_mode_and_no_temp_left(tmp_path):
    target = tmp_path / "out.json"
    atomic_write(target, b"{}", 0o600)
    assert target.read_bytes() == b"{}"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["out.json"]


def test_remove_tree_refuses_top_levels(fake_host):
    fake_host.dir("/run/x")
    with pytest.raises(ValueError):
        fake_host.host.remove_tree("/run")
    with pytest.raises(ValueError):
        fake_host.host.remove_tree("/")


def test_run_timeout_kills_and_reports():
    result = Host().run(["sleep", "10"], timeout=0.3)
    assert result.timed_out
    assert result.returncode is None
    assert result.elapsed < 5
    assert "timed out" in result.describe()


def test_run_missing_program():
    result = Host().run(["/nonexistent/program"], timeout=1)
    assert result.error == "not found"
    assert not result.ok


def test_run_captures_output():
    result = Host().run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=5)
    assert result.returncode == 3
    assert result.stdout == b"out\n"
    assert result.stderr == b"err\n"


def test_kill_running_ends_commands_of_other_threads():
    import threading
    import time

    from kata_cli import host as host_module

    results = []
    worker = threading.Thread(
        target=lambda: results.append(Host().run(["sleep", "120"], timeout=300)), daemon=True
    )
    worker.start()
    deadline = time.monotonic() + 60
    while not host_module.running_count() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert host_module.kill_running() == 1
    worker.join(timeout=60)
    assert results and results[0].returncode == -9
    assert results[0].elapsed < 60  # killed, not finished
    assert host_module.running_count() == 0


def test_read_of_a_fifo_fails_instead_of_blocking(fake_host):
    fake_host.dir("/proc")
    os.mkfifo(fake_host.local("/proc/cpuinfo"))
    with pytest.raises(OSError, match="not a regular file"):
        fake_host.host.read_text("/proc/cpuinfo")
    assert fake_host.host.read_text_or("/proc/cpuinfo", "x") == "x"


def test_a_read_without_a_limit_refuses_a_file_past_max_read(tmp_path):
    """A sparse file as big as MAX_READ + 1 MiB stands in for a 20 GB /proc/cpuinfo."""
    import errno

    from kata_cli.host import MAX_READ

    root = tmp_path / "root"
    (root / "proc").mkdir(parents=True)
    with open(root / "proc/cpuinfo", "wb") as handle:
        handle.truncate(MAX_READ + 1024 * 1024)
    host = Host(root)
    with pytest.raises(OSError) as caught:
        host.read_bytes("/proc/cpuinfo")
    assert caught.value.errno == errno.EFBIG
    assert host.read_text_or("/proc/cpuinfo", "unreadable") == "unreadable"
    assert len(host.read_bytes("/proc/cpuinfo", limit=10)) == 10  # an explicit limit reads


@pytest.mark.parametrize("path", ["/proc/cpuinfo", "/proc/meminfo"])
def test_huge_proc_files_are_unreadable_not_a_memory_grab(cli, fake_host, path):
    from kata_cli.host import MAX_READ

    fake_host.intel()
    fake_host.remove(path)
    with open(fake_host.local(path), "wb") as handle:
        handle.truncate(MAX_READ + 1024 * 1024)
    for args in (("check", "-n"), ("env",), ("collect-data", "--json", "--timeout", "3")):
        result = cli("--host-root", str(fake_host.root), *args)
        assert result.exit_code in (0, 1), (args, result.output[-500:])
        assert "internal error" not in result.output and "Traceback" not in result.output
