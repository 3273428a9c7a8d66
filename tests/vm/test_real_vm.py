"""Real VMs: QEMU boots the test guest (TCG here). Boots are few: one VM is shared by
every inspect-only test; separate boots only where a test destroys its VM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kata_cli.host import Host
from kata_cli.vm import state as st
from kata_cli.vm.bootcheck import boot_check
from kata_cli.vm.guest import TestGuest
from tests.conftest import run_subprocess
from tests.jsonschemas import validate

pytestmark = pytest.mark.vm

SHARED = "shared"
DISK_BYTES = 16 * 1024 * 1024
KATA = [sys.executable, "-m", "kata_cli"]


def kata(config: Path, *args: str, timeout: float = 120) -> Any:
    return run_subprocess("--config", str(config), "vm", *args, timeout=timeout)


def kata_on(root: Path, *args: str) -> Any:
    return run_subprocess("--host-root", str(root), *args, timeout=120)


def vm_run_in_foreground(config: Path, name: str, **popen: Any) -> subprocess.Popen[Any]:
    """`kata-cli vm run --test-guest --name NAME` as a child process (stderr dropped)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KATA_CONF")}
    argv = [*KATA, "--config", str(config), "vm", "run", "--test-guest", "--name", name]
    return subprocess.Popen(argv, stderr=subprocess.DEVNULL, env=env, **popen)


VIRTIOFSD = Path("/usr/lib/qemu/virtiofsd")  # QEMU 7.2's daemon, named in vm_config
# QEMU's C virtiofsd needs root; without it both shares go over 9p
VIRTIOFS = VIRTIOFSD.exists() and os.geteuid() == 0


def _share(factory: pytest.TempPathFactory, name: str, file: str, text: str) -> Path:
    """A directory to share holding one file the guest reads back."""
    directory = factory.mktemp(name)
    (directory / file).write_text(text)
    return directory


@pytest.fixture(scope="module")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared over 9p (the second --share asks for it: DIR:9p)."""
    return _share(tmp_path_factory, "share", "hello.txt", "hello from the host\n")


@pytest.fixture(scope="module")
def virtiofs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared over virtio-fs when QEMU's virtiofsd is installed (the first --share)."""
    return _share(tmp_path_factory, "vfs", "fast.txt", "over virtio-fs\n")


@pytest.fixture(scope="module")
def virtiofs_dir2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second virtio-fs share (the third --share): its own virtiofsd."""
    return _share(tmp_path_factory, "vfs2", "second.txt", "second daemon\n")


@pytest.fixture(scope="module")
def disk_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("disk") / "disk.img"
    with path.open("wb") as handle:
        handle.truncate(DISK_BYTES)
    return path


@pytest.fixture(scope="module")
def shared_vm(
    test_guest: TestGuest,
    vm_config: Path,
    vm_host_root: Path,
    shared_dir: Path,
    virtiofs_dir: Path,
    virtiofs_dir2: Path,
    disk_image: Path,
) -> Iterator[dict[str, Any]]:
    """One booted VM with two virtio-fs shares and a 9p one, a hot-plugged disk, answering as a
    sandbox (under the session's host root), for the inspect-only tests."""
    result = kata_on(
        vm_host_root,
        "--config",
        str(vm_config),
        "vm",
        "run",
        "--sandbox",
        "--test-guest",
        "--name",
        SHARED,
        "--detach",
        "--share",
        str(virtiofs_dir),
        "--share",
        f"{shared_dir}:9p",
        "--share",
        str(virtiofs_dir2),
        "--share-mode",
        "auto" if VIRTIOFS else "9p",
        "--disk",
        str(disk_image),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert "9p" in result.stderr  # the slow-path warning
    yield json.loads(result.stdout)
    if st.vm_dir(SHARED).exists():
        kata(vm_config, "stop", SHARED, "--grace", "1")


def test_run_reports_ready(shared_vm: dict[str, Any]) -> None:
    assert shared_vm["schema"] == "kata-cli/vm-run/1"
    validate(shared_vm)
    assert shared_vm["status"] == "ready"
    assert 0 < shared_vm["ready_seconds"] < 60
    assert shared_vm["disks"] == ["disk0"]


def test_list_shows_the_running_vm(shared_vm: dict[str, Any], vm_config: Path) -> None:
    result = kata(vm_config, "list", "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    validate(listing)
    (vm,) = [v for v in listing["vms"] if v["name"] == SHARED]
    assert vm["condition"] == "running"
    assert vm["qmp_status"] == "running"
    assert vm["pid"] == shared_vm["pid"]
    assert (vm["vcpus"], vm["memory_mib"]) == (1, 256)
    assert vm["uptime_seconds"] > 0


def test_inspect_shows_qmp_facts_disk_and_rss(
    shared_vm: dict[str, Any], vm_config: Path, disk_image: Path
) -> None:
    result = kata(vm_config, "inspect", SHARED, "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    validate(info)
    assert info["status"]["status"] == "running"
    assert len(info["cpus"]) == 1
    assert info["memory"]["base-memory"] == 256 * 1024 * 1024
    assert info["rss_bytes"] > 10 * 1024 * 1024
    assert any(d["file"] == str(disk_image) for d in info["block"])
    assert set(info["sockets"]) >= {"qmp", "console", "hvsock"}
    assert info["plan"]["argv"][0].endswith("qemu-system-x86_64")
    # the shares as `vm run` reported them, mount commands included
    assert info["shares"] == shared_vm["shares"]
    assert [s["tag"] for s in info["shares"]] == ["kata-share0", "kata-share1", "kata-share2"]


def test_inspect_text_names_each_share_and_its_mount_command(
    shared_vm: dict[str, Any], vm_config: Path, shared_dir: Path
) -> None:
    result = kata(vm_config, "inspect", SHARED)
    assert result.returncode == 0, result.stderr
    assert f"share:     {shared_dir} -> tag kata-share1 (9p)\n" in result.stdout
    assert f"in the guest: {shared_vm['shares'][1]['mount']}\n" in result.stdout


def test_exec_returns_output_and_status(shared_vm: dict[str, Any], vm_config: Path) -> None:
    result = kata(vm_config, "exec", SHARED, "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert result.returncode == 3
    assert result.stdout == "out\nerr\n"


def test_kata_cli_exec_reaches_the_vm_like_a_sandbox(
    shared_vm: dict[str, Any], vm_host_root: Path
) -> None:
    """`kata-cli exec` (the sandbox command) finds the VM through its shim endpoint."""
    result = kata_on(vm_host_root, "exec", SHARED, "--", "sh", "-c", "echo sandbox-ok; exit 4")
    assert result.returncode == 4, result.stderr
    assert result.stdout == "sandbox-ok\n"


def test_guest_sees_the_shared_directory(
    shared_vm: dict[str, Any], vm_config: Path, shared_dir: Path
) -> None:
    # the mount command `vm run` printed for the share works in the guest as it stands
    share = shared_vm["shares"][1]
    assert (share["source"], share["tag"], share["mode"]) == (str(shared_dir), "kata-share1", "9p")
    script = f"{share['mount']} && cat /mnt/kata-share1/hello.txt && "
    script += "echo from-guest > /mnt/kata-share1/back.txt"
    result = kata(vm_config, "exec", SHARED, "--", "sh", "-c", script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "hello from the host\n"
    assert (shared_dir / "back.txt").read_text() == "from-guest\n"


def test_guest_sees_the_virtiofs_share(
    shared_vm: dict[str, Any], vm_config: Path, virtiofs_dir: Path
) -> None:
    if not VIRTIOFS:
        pytest.skip(f"virtio-fs needs {VIRTIOFSD} and root")
    share = shared_vm["shares"][0]
    assert (share["tag"], share["mode"]) == ("kata-share0", "virtio-fs")
    script = f"{share['mount']} && cat /mnt/kata-share0/fast.txt"
    result = kata(vm_config, "exec", SHARED, "--", "sh", "-c", script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "over virtio-fs\n"
    info = json.loads(kata(vm_config, "inspect", SHARED, "--json").stdout)
    daemons = info["state"]["virtiofsd"]  # one daemon per share, supervised with the VM
    assert len(daemons) == 2 and all(d["pid"] > 0 for d in daemons)
    assert {"virtiofs0", "virtiofs2"} <= set(info["sockets"])


def test_guest_sees_a_second_virtiofs_share(
    shared_vm: dict[str, Any], vm_config: Path, virtiofs_dir2: Path
) -> None:
    if not VIRTIOFS:
        pytest.skip(f"virtio-fs needs {VIRTIOFSD} and root")
    script = (
        "mkdir -p /mnt/vfs2 && mount -t virtiofs kata-share2 /mnt/vfs2 && "
        "cat /mnt/vfs2/second.txt && echo back > /mnt/vfs2/back.txt"
    )
    result = kata(vm_config, "exec", SHARED, "--", "sh", "-c", script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "second daemon\n"
    assert (virtiofs_dir2 / "back.txt").read_text() == "back\n"


def test_guest_sees_the_hot_plugged_disk(shared_vm: dict[str, Any], vm_config: Path) -> None:
    result = kata(vm_config, "exec", SHARED, "--", "cat", "/sys/block/vda/size")
    assert result.returncode == 0, result.stdout + result.stderr
    assert int(result.stdout) * 512 == DISK_BYTES


def test_disk_add_hot_plugs_into_the_running_vm(
    shared_vm: dict[str, Any], vm_config: Path, tmp_path: Path
) -> None:
    image = tmp_path / "second.img"
    with image.open("wb") as handle:
        handle.truncate(DISK_BYTES // 2)
    result = kata(vm_config, "disk-add", SHARED, str(image), "--read-only")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "disk1\n"  # disk0 came with `vm run --disk`
    script = "for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /sys/block/vdb ] && break; sleep 0.2; done; "
    script += "cat /sys/block/vdb/size /sys/block/vdb/ro"
    result = kata(vm_config, "exec", SHARED, "--", "sh", "-c", script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [str(DISK_BYTES // 2 // 512), "1"]
    # both root ports are taken now
    result = kata(vm_config, "disk-add", SHARED, str(image))
    assert result.returncode == 1
    assert "no free PCIe root port" in result.stderr


def test_console_without_a_terminal(shared_vm: dict[str, Any], vm_config: Path) -> None:
    result = run_subprocess(
        "--config",
        str(vm_config),
        "vm",
        "console",
        SHARED,
        input="echo console-$((6 * 7))\n",
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "console-42" in result.stdout


def test_a_console_held_by_another_client_is_refused(
    shared_vm: dict[str, Any], vm_config: Path
) -> None:
    """QEMU serves one console client; a second would wait silently in its queue."""
    import socket

    from kata_cli.vm.lifecycle import console_in_use

    record = st.find_record(SHARED)
    holder = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    holder.connect(str(record.directory / st.CONSOLE_SOCKET))
    try:
        deadline = time.monotonic() + 10
        while not console_in_use(record):
            assert time.monotonic() < deadline, "QEMU never reported the client"
            time.sleep(0.02)
        result = kata(vm_config, "console", SHARED, timeout=30)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            f"the console of {SHARED} is in use by another client (QEMU serves one console "
            "client at a time; detach the other one first)"
        ]
    finally:
        holder.close()
    deadline = time.monotonic() + 10
    while console_in_use(record):  # free again for the console tests that follow
        assert time.monotonic() < deadline, "QEMU never noticed the client left"
        time.sleep(0.02)


def _read_until(fd: int, pattern: bytes, timeout: float) -> bytes:
    import select

    seen = b""
    deadline = time.monotonic() + timeout
    while pattern not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{pattern!r} not seen; got {seen[-500:]!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the other side closed
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_console_on_a_terminal_and_the_escape_sequence(
    shared_vm: dict[str, Any], vm_config: Path
) -> None:
    import pty

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KATA_CONF")}
    proc = subprocess.Popen(
        [*KATA, "--config", str(vm_config), "vm", "console", SHARED],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    try:
        _read_until(master, b"Ctrl-]", 20)  # the escape help, on the terminal
        os.write(master, b"echo tty-$((40 + 2))\r")
        _read_until(master, b"tty-42", 20)
        os.write(master, b"\x1dq")  # Ctrl-] then q: leave, the VM keeps running
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    listing = json.loads(kata(vm_config, "list", "--json").stdout)
    assert [v["condition"] for v in listing["vms"] if v["name"] == SHARED] == ["running"]


def test_stop_powers_down_and_removes_everything(
    shared_vm: dict[str, Any], vm_config: Path, vm_host_root: Path
) -> None:
    pid = shared_vm["pid"]
    result = kata(vm_config, "stop", SHARED, "--json")
    assert result.returncode == 0, result.stderr
    stops = json.loads(result.stdout)
    validate(stops, "kata-cli/vm-stop/1")
    (stopped,) = stops
    assert stopped["method"] == "powerdown"
    assert stopped["seconds"] < 5
    assert not st.vm_dir(SHARED).exists()
    assert not st.ProcessRef(pid, 0).alive()
    assert not (vm_host_root / "run" / "vc" / "sbs" / SHARED).exists()
    assert not _virtiofsd_for(SHARED)
    # the last VM gone: neither the lock file nor the sandbox directories --sandbox made stay
    assert not (st.vms_dir() / st.LOCK_FILE).exists()
    assert not (vm_host_root / "run" / "vc").exists()


def _virtiofsd_for(name: str) -> list[int]:
    import psutil

    return [
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if any(f"/vms/{name}/virtiofs.sock" in arg for arg in (p.info["cmdline"] or []))
    ]


def test_killed_cli_leaves_an_orphan_that_prune_removes(
    test_guest: TestGuest, vm_config: Path
) -> None:
    cli = vm_run_in_foreground(vm_config, "orphan", stdout=subprocess.DEVNULL)
    directory = st.vm_dir("orphan")
    deadline = time.monotonic() + 30
    state = None
    while time.monotonic() < deadline:
        state = st.read_state(directory)
        if state is not None and state.qemu is not None:
            break
        time.sleep(0.02)
    assert state is not None and state.qemu is not None, "QEMU never started"
    cli.send_signal(signal.SIGKILL)  # mid-boot
    cli.wait(timeout=10)
    listing = json.loads(kata(vm_config, "list", "--json").stdout)
    (vm,) = [v for v in listing["vms"] if v["name"] == "orphan"]
    assert vm["condition"] == "orphaned"
    result = kata(vm_config, "prune", "--json")
    assert result.returncode == 0, result.stderr
    assert [r["name"] for r in json.loads(result.stdout)] == ["orphan"]
    assert not directory.exists()
    assert not state.qemu.alive()


def test_boot_check_boots_runs_a_command_and_tears_down(test_guest: TestGuest) -> None:
    from kata_cli.config import load

    config = load(Host("/"), explicit=None)
    report = boot_check(Host("/"), config, use_test_guest=True, timeout=60)
    assert report.ok, report
    assert report.stage == "done"
    assert report.seconds is not None and report.seconds > 0
    assert st.list_records() == []


def test_boot_check_names_the_failing_stage(
    test_guest: TestGuest, vm_config: Path, tmp_path: Path
) -> None:
    """A kernel that is not a kernel: QEMU gives up, the report names the stage and why."""
    from kata_cli.config import load

    bogus = tmp_path / "vmlinux"
    bogus.write_bytes(b"this is not a kernel\n" * 100)
    text = vm_config.read_text().replace("/nonexistent/vmlinux", str(bogus))
    (tmp_path / "c.toml").write_text(text)
    config = load(Host("/"), explicit=str(tmp_path / "c.toml"))
    report = boot_check(Host("/"), config, use_test_guest=False, timeout=20)
    assert not report.ok
    assert report.stage in ("firmware", "kernel")
    assert any("qemu" in line.lower() for line in report.last_output), report
    assert st.list_records() == []


@pytest.mark.parametrize(
    ("signum", "status", "ending"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated (SIGTERM)")],
    ids=["ctrl-c", "sigterm"],
)
def test_foreground_run_stops_its_vm_on_ctrl_c_and_sigterm(
    test_guest: TestGuest, vm_config: Path, signum: int, status: int, ending: str
) -> None:
    cli = vm_run_in_foreground(vm_config, "fg", stdout=subprocess.PIPE, text=True)
    try:
        assert cli.stdout is not None
        first = cli.stdout.readline()  # printed once the guest is ready
        assert first.startswith("fg: ready in "), first
        state = st.read_state(st.vm_dir("fg"))
        assert state is not None and state.qemu is not None and state.qemu.alive()
        interrupted = time.monotonic()
        cli.send_signal(signum)
        cli.send_signal(signum)  # an impatient second one must not cut the teardown short
        rest, _ = cli.communicate(timeout=30)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    # the guest honours the ACPI power-down from the moment it says ready (its power
    # button is open before the marker): no 5 s grace period, no QMP quit
    assert time.monotonic() - interrupted < 3
    assert cli.returncode == status
    assert rest.splitlines()[-1].startswith(f"fg: {ending}; stopped (powerdown) in "), rest
    assert not st.vm_dir("fg").exists()
    assert not state.qemu.alive()
