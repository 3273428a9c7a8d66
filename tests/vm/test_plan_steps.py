"""The named steps `build_plan` is made of, one at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from kata_cli.config import load
from kata_cli.config.schema import HypervisorConfig
from kata_cli.errors import ConfigError, KataError
from kata_cli.record import replace
from kata_cli.vm.plan import (
    boot_assets,
    console_args,
    hotplug_port_args,
    kernel_command_line,
    machine_options,
    root_device,
    root_image_args,
    socket_paths,
)
from kata_cli.vm.shares import mount_command
from kata_cli.vm.sizing import VmSize
from tests.conftest import MINIMAL_QEMU_CONFIG, FakeHost

SIZE = VmSize(vcpus=1, max_vcpus=2, memory_mib=2048, max_memory_mib=4096)
IMAGE = "/opt/kata/share/kata-containers/kata-containers.img"
KERNEL = "/opt/kata/share/kata-containers/vmlinux.container"


def _hv(**values: object) -> HypervisorConfig:
    return replace(HypervisorConfig(), **values)


@pytest.mark.parametrize(
    ("values", "image", "device"),
    [
        ({}, "", ""),
        ({"machine_type": "q35"}, "/i.img", "nvdimm"),
        ({"machine_type": "pc"}, "/i.img", "nvdimm"),
        ({"machine_type": "q35", "disable_image_nvdimm": True}, "/i.img", "virtio-blk"),
        ({"machine_type": "microvm"}, "/i.img", "virtio-blk"),
    ],
)
def test_root_device(values: dict[str, object], image: str, device: str) -> None:
    assert root_device(_hv(**values), image) == device


def test_machine_options_under_kvm_and_tcg() -> None:
    hv = _hv(machine_type="q35", machine_accelerators="nosmm", cpu_features="pmu=off")
    kvm = machine_options(hv, "kvm", SIZE, "", 0)
    assert (kvm.machine, kvm.cpu, kvm.memory) == ("q35,accel=kvm,nosmm", "host,pmu=off", "2048M")
    tcg = machine_options(hv, "tcg", SIZE, "", 0)
    assert (tcg.machine, tcg.cpu) == ("q35,accel=tcg,nosmm", "max,pmu=off")


def test_an_nvdimm_root_leaves_room_for_the_image_in_maxmem() -> None:
    hv = _hv(machine_type="q35", memory_slots=0)
    machine = machine_options(hv, "kvm", SIZE, "nvdimm", 3 * 1024 * 1024 + 1)
    assert machine.machine == "q35,accel=kvm,nvdimm=on"
    assert machine.memory == "2048M,slots=1,maxmem=4100M"  # 4096 + 4 MiB (rounded up)


def test_root_image_args_per_device() -> None:
    assert root_image_args("", "", 0) == []
    assert root_image_args("/i.img", "virtio-blk", 0) == [
        "-drive",
        "file=/i.img,if=none,id=rootfs,format=raw,readonly=on",
        "-device",
        "virtio-blk-pci,drive=rootfs",
    ]
    nvdimm = root_image_args("/i.img", "nvdimm", 4096)
    assert nvdimm[1] == "memory-backend-file,id=rootmem,mem-path=/i.img,size=4096,readonly=on"


def test_kernel_command_line_puts_the_users_parameters_last(fake_host: FakeHost) -> None:
    fake_host.config(MINIMAL_QEMU_CONFIG.replace('kernel_params = ""', 'kernel_params = "quiet"'))
    config = load(fake_host.host)
    config = replace(config, hypervisor=replace(config.hypervisor, kernel_params="panic=0 quiet"))
    line = kernel_command_line(config, "virtio-blk")
    assert line.startswith("console=ttyS0 reboot=k panic=1 root=/dev/vda1 ro rootfstype=ext4 ")
    assert line.endswith("panic=0 quiet")


def test_socket_paths_and_their_length_limit() -> None:
    sockets = socket_paths(Path("/run/kata-cli/vms/a"), 0)
    assert sockets == {
        "qmp": "/run/kata-cli/vms/a/qmp.sock",
        "console": "/run/kata-cli/vms/a/console.sock",
        "debug": "/run/kata-cli/vms/a/debug.sock",
        "hvsock": "/run/kata-cli/vms/a/hvsock.sock",
    }
    deep = Path("/" + "d" * 95)  # + "/virtiofs9.sock": 111 bytes
    with pytest.raises(KataError, match="too long for Unix socket paths"):
        socket_paths(deep, 0)


def test_console_and_hotplug_port_args() -> None:
    args = console_args(socket_paths(Path("/v"), 0), "/v/console.log")
    assert args[:2] == ["-qmp", "unix:/v/qmp.sock,server=on,wait=off"]
    assert (
        "socket,id=console,path=/v/console.sock,server=on,wait=off,logfile=/v/console.log" in args
    )
    assert hotplug_port_args(_hv(pcie_root_port=3), "q35") == [
        *("-device", "pcie-root-port,id=rp0,bus=pcie.0,chassis=1"),
        *("-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=2"),
        *("-device", "pcie-root-port,id=rp2,bus=pcie.0,chassis=3"),
    ]
    assert hotplug_port_args(_hv(), "pc") == []


def test_boot_assets_resolve_symlinks_inside_the_host_root(fake_host: FakeHost) -> None:
    """`vmlinux.container -> /opt/kata/.../vmlinux-6.1`: the root's file, not this machine's."""
    fake_host.config(MINIMAL_QEMU_CONFIG)
    fake_host.assets(MINIMAL_QEMU_CONFIG)
    fake_host.remove(KERNEL)
    fake_host.file("/opt/kata/share/kata-containers/vmlinux-6.1", b"kernel")
    fake_host.symlink(KERNEL, "/opt/kata/share/kata-containers/vmlinux-6.1")
    assets = boot_assets(fake_host.host, load(fake_host.host), from_test_guest=False)
    assert assets.kernel == str(fake_host.local("/opt/kata/share/kata-containers/vmlinux-6.1"))
    assert assets.image == str(fake_host.local(IMAGE))


def test_boot_assets_name_the_missing_one(fake_host: FakeHost) -> None:
    fake_host.config(MINIMAL_QEMU_CONFIG)
    fake_host.assets(MINIMAL_QEMU_CONFIG)
    fake_host.remove(IMAGE)
    with pytest.raises(ConfigError) as caught:
        boot_assets(fake_host.host, load(fake_host.host), from_test_guest=False)
    assert caught.value.message == f"guest image {fake_host.local(IMAGE)} does not exist"


@pytest.mark.parametrize(
    ("mode", "command"),
    [
        (
            "virtio-fs",
            "mkdir -p /mnt/kata-share0 && mount -t virtiofs kata-share0 /mnt/kata-share0",
        ),
        (
            "9p",
            "mkdir -p /mnt/kata-share0 && "
            "mount -t 9p -o trans=virtio,version=9p2000.L kata-share0 /mnt/kata-share0",
        ),
    ],
)
def test_mount_command(mode: str, command: str) -> None:
    assert mount_command("kata-share0", mode) == command
