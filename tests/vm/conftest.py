"""Fixtures for the VM tests: a private run directory, the test guest, a leak check.

Every test here runs with KATA_CLI_RUN_DIR pointing at a short directory under /tmp
(Unix socket paths are limited to 108 bytes), so nothing touches /run. At the end of
the session no QEMU started under that directory may still run and no VM directory
may remain. Real-VM tests need QEMU and the test guest (kata-cli vm guest build):
they skip without them, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from kata_cli.vm.guest import TestGuest, find_test_guest

TEST_CONFIG = """\
[hypervisor.qemu]
path = "/usr/bin/qemu-system-x86_64"
kernel = "/nonexistent/vmlinux"
machine_type = "q35"
default_vcpus = 1
default_maxvcpus = 2
default_memory = 256
shared_fs = "virtio-fs"
virtio_fs_daemon = "/usr/lib/qemu/virtiofsd"
kernel_params = ""

[agent.kata]
debug_console_enabled = true
"""


def _qemu_under(directory: str) -> list[int]:
    import psutil

    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
        except psutil.Error:
            continue
        name = proc.info["name"] or ""
        if ("qemu-system" in name or "virtiofsd" in name) and directory in cmdline:
            found.append(proc.pid)
    return found


@pytest.fixture(scope="session")
def vm_host_root() -> Iterator[Path]:
    """A host root for the session: the run directory and `--sandbox` sockets live in it."""
    root = Path(tempfile.mkdtemp(prefix="kcvm-", dir="/tmp"))
    # the virtiofsd TEST_CONFIG names, under the host root: a copy, since a symlink to
    # /usr/lib/... would mean the root's own /usr/lib (host paths resolve inside the
    # root). QEMU is not copied (it finds its modules relative to its own path): the
    # test guest falls back to qemu-system-x86_64 on PATH.
    virtiofsd = "/usr/lib/qemu/virtiofsd"
    if os.path.exists(virtiofsd):
        copy = root / virtiofsd.lstrip("/")
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(virtiofsd, copy)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def vm_run_dir(vm_host_root: Path) -> Iterator[Path]:
    directory = vm_host_root / "run" / "kata-cli"
    previous = os.environ.get("KATA_CLI_RUN_DIR")
    os.environ["KATA_CLI_RUN_DIR"] = str(directory)
    try:
        yield directory
        leaked = _qemu_under(str(directory))
        vms = directory / "vms"
        left = sorted(n for n in os.listdir(vms) if n != ".lock") if vms.is_dir() else []
        sandboxes = vm_host_root / "run" / "vc" / "sbs"
        left_sandboxes = sorted(os.listdir(sandboxes)) if sandboxes.is_dir() else []
        assert not leaked, f"QEMU or virtiofsd processes left running: {leaked}"
        assert not left, f"VM state directories left behind: {left}"
        assert not left_sandboxes, f"sandbox directories left behind: {left_sandboxes}"
    finally:
        for pid in _qemu_under(str(directory)):
            os.kill(pid, 9)
        if previous is None:
            os.environ.pop("KATA_CLI_RUN_DIR", None)
        else:
            os.environ["KATA_CLI_RUN_DIR"] = previous


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the real-VM tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def test_guest() -> TestGuest:
    if shutil.which("qemu-system-x86_64") is None:
        _unavailable("qemu-system-x86_64 is not installed (scripts/test-setup.sh)")
    guest = find_test_guest()
    if guest is None:
        _unavailable("no test guest is cached: run kata-cli vm guest build")
    assert guest is not None
    return guest


@pytest.fixture(scope="session")
def vm_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vmconfig") / "configuration.toml"
    path.write_text(textwrap.dedent(TEST_CONFIG))
    return path
