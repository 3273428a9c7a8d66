"""Launch plans: golden command lines for the shipped qemu configuration, and variants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kata_cli.config import load
from kata_cli.config.kernel_params import kernel_parameters_string
from kata_cli.errors import ConfigError, UsageError
from kata_cli.record import replace
from kata_cli.vm.guest import TestGuest
from kata_cli.vm.plan import LaunchPlan, build_plan, virtiofsd_argv
from kata_cli.vm.sizing import VmSize
from tests.conftest import (
    KATA_CONFIGS,
    MINIMAL_QEMU_CONFIG,
    NO_KATA_CONFIGS,
    FakeHost,
    shipped_config_params,
)

VMDIR = Path("/run/kata-cli/vms/golden")
SIZE = VmSize(vcpus=1, max_vcpus=2, memory_mib=2048, max_memory_mib=4096)
SHIPPED_QEMU = KATA_CONFIGS / "go" / "configuration-qemu.toml"

GOLDEN_SHIPPED = [
    "<root>/opt/kata/bin/qemu-system-x86_64",
    *("-name", "golden", "-nodefaults", "-no-user-config", "-nographic", "-no-reboot"),
    *("-machine", "q35,accel=kvm,nvdimm=on", "-cpu", "host,pmu=off"),
    *("-smp", "1,maxcpus=2", "-m", "2048M,slots=10,maxmem=4097M"),
    *("-kernel", "<root>/opt/kata/share/kata-containers/vmlinux.container"),
    "-append",
    "console=ttyS0 reboot=k panic=1 root=/dev/pmem0p1 rootflags=dax,data=ordered,"
    "errors=remount-ro ro rootfstype=ext4 systemd.unit=kata-containers.target "
    "systemd.mask=systemd-networkd.service systemd.mask=systemd-networkd.socket "
    "scsi_mod.scan=none agent.cdh_api_timeout=50 cgroup_no_v1=all "
    "systemd.unified_cgroup_hierarchy=1",
    "-object",
    "memory-backend-file,id=rootmem,mem-path=<root>/opt/kata/share/kata-containers/"
    "kata-containers.img,size=68,readonly=on",
    *("-device", "nvdimm,id=rootnv,memdev=rootmem,unarmed=on"),
    *("-qmp", "unix:/run/kata-cli/vms/golden/qmp.sock,server=on,wait=off"),
    "-chardev",
    "socket,id=console,path=/run/kata-cli/vms/golden/console.sock,server=on,wait=off,"
    "logfile=/run/kata-cli/vms/golden/console.log",
    *("-serial", "chardev:console", "-device", "virtio-serial-pci,id=serial0"),
    *("-chardev", "socket,id=debug,path=/run/kata-cli/vms/golden/debug.sock,server=on,wait=off"),
    *("-device", "virtserialport,bus=serial0.0,chardev=debug,name=kata.debug,nr=1"),
    *("-device", "pcie-root-port,id=rp0,bus=pcie.0,chassis=1"),
    *("-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=2"),
]


def _host_with(fake_host: FakeHost, text: str) -> FakeHost:
    fake_host.cpuinfo()
    fake_host.meminfo()
    fake_host.config(text)
    fake_host.assets(text)
    return fake_host


def _plan(host: FakeHost, name: str = "s", accel: str = "tcg", **options: Any) -> LaunchPlan:
    """The plan of the host's configuration, in the tests' directory and size."""
    options.setdefault("directory", VMDIR)
    return build_plan(host.host, load(host.host), name=name, accel=accel, size=SIZE, **options)


def _argv(fake_host: FakeHost, argv: list[str]) -> list[str]:
    return [arg.replace(str(fake_host.root), "<root>") for arg in argv]


def test_golden_command_line_for_the_shipped_qemu_configuration(fake_host: FakeHost) -> None:
    if not SHIPPED_QEMU.is_file():
        pytest.skip(NO_KATA_CONFIGS)
    host = _host_with(fake_host, SHIPPED_QEMU.read_text())
    config = load(host.host)
    plan = build_plan(host.host, config, name="golden", directory=VMDIR, accel="kvm", size=SIZE)
    assert _argv(fake_host, plan.argv) == GOLDEN_SHIPPED
    assert plan.image_device == "nvdimm"
    assert plan.notes == []


def test_kernel_command_line_ends_with_the_env_parameters(fake_host: FakeHost) -> None:
    """The VM's parameters are env's Kernel.Parameters (same function), after the console."""
    host = _host_with(fake_host, MINIMAL_QEMU_CONFIG)
    config = load(host.host)
    plan = build_plan(host.host, config, name="k", directory=VMDIR, accel="tcg", size=SIZE)
    assert plan.kernel_params.endswith(" " + kernel_parameters_string(config))
    assert plan.kernel_params.startswith("console=ttyS0 ")


def test_tcg_uses_the_max_cpu_and_block_image_without_nvdimm(fake_host: FakeHost) -> None:
    text = MINIMAL_QEMU_CONFIG.replace(
        'machine_type = "q35"', 'machine_type = "q35"\ndisable_image_nvdimm = true'
    )
    host = _host_with(fake_host, text)
    plan = _plan(host, "b")
    argv = plan.argv
    assert argv[argv.index("-cpu") + 1] == "max"
    assert argv[argv.index("-machine") + 1] == "q35,accel=tcg"
    assert plan.image_device == "virtio-blk"
    image = str(fake_host.local("/opt/kata/share/kata-containers/kata-containers.img"))
    assert f"file={image},if=none,id=rootfs,format=raw,readonly=on" in argv
    assert "root=/dev/vda1 ro rootfstype=ext4" in plan.kernel_params


def test_test_guest_replaces_kernel_and_image(fake_host: FakeHost, tmp_path: Path) -> None:
    host = _host_with(fake_host, MINIMAL_QEMU_CONFIG)
    (tmp_path / "vmlinux").write_bytes(b"\x7fELF")
    (tmp_path / "initrd.img").write_bytes(b"070701")
    guest = TestGuest(
        str(tmp_path),
        str(tmp_path / "vmlinux"),
        str(tmp_path / "initrd.img"),
        "READY",
        "kata.debug",
        "1",
    )
    plan = _plan(host, "g", guest=guest)
    assert plan.kernel == guest.kernel and plan.initrd == guest.initrd and plan.image == ""
    assert "systemd.unit" not in plan.kernel_params  # no image: no systemd units
    assert plan.argv[plan.argv.index("-initrd") + 1] == guest.initrd


def test_commas_in_paths_cannot_add_qemu_options(fake_host: FakeHost, tmp_path: Path) -> None:
    """QEMU reads `a,b` in an option list as two options and `a,,b` as one value: an
    image named `x,share=on,y.img` in the configuration used to map the read-only root
    image with share=on (guest writes reaching the host's file)."""
    image = "/opt/kata/share/kata-containers/x,share=on,y.img"
    config = MINIMAL_QEMU_CONFIG.replace(
        "/opt/kata/share/kata-containers/kata-containers.img", image
    )
    host = _host_with(fake_host, config)
    fake_host.remove("/opt/kata/libexec/virtiofsd")
    shared = tmp_path / "dir,security_model=passthrough"
    shared.mkdir()
    directory = tmp_path / "run,dir"
    plan = _plan(host, shares=[str(shared)], directory=directory)
    backend = next(arg for arg in plan.argv if arg.startswith("memory-backend-file,"))
    assert f"mem-path={fake_host.local(image)}".replace(",", ",,") + ",size=" in backend
    assert ",share=on," not in backend.replace(",,", "")
    fsdev = f"local,id=fs0,path={str(shared.resolve()).replace(',', ',,')},security_model=none"
    assert fsdev in plan.argv
    escaped_dir = str(directory).replace(",", ",,")
    assert f"unix:{escaped_dir}/qmp.sock,server=on,wait=off" in plan.argv
    assert all(str(directory) not in arg for arg in plan.argv if arg.startswith("socket,"))


def test_the_c_virtiofsd_gets_its_source_escaped_for_libfuse() -> None:
    argv = virtiofsd_argv("/usr/lib/qemu/virtiofsd", "/run/s.sock", "/srv/a,allow_other", "", [])
    assert "source=/srv/a\\,allow_other" in argv


def test_shares_use_9p_without_a_virtiofsd(fake_host: FakeHost, tmp_path: Path) -> None:
    host = _host_with(fake_host, MINIMAL_QEMU_CONFIG)
    fake_host.remove("/opt/kata/libexec/virtiofsd")
    plan = _plan(host, shares=[str(tmp_path)])
    assert [s.mode for s in plan.shares] == ["9p"]
    assert f"local,id=fs0,path={tmp_path.resolve()},security_model=none" in plan.argv
    assert any("9p" in note for note in plan.notes)
    assert plan.virtiofsd == []


def test_shares_use_virtio_fs_with_the_configured_daemon(
    fake_host: FakeHost, tmp_path: Path
) -> None:
    host = _host_with(fake_host, MINIMAL_QEMU_CONFIG)
    plan = _plan(host, shares=[str(tmp_path)])
    assert [s.mode for s in plan.shares] == ["virtio-fs"]
    assert plan.virtiofsd == [
        [
            str(fake_host.local("/opt/kata/libexec/virtiofsd")),
            "--socket-path=/run/kata-cli/vms/golden/virtiofs0.sock",
            f"--shared-dir={tmp_path.resolve()}",
            "--cache=never",
        ]
    ]
    assert "vhost-user-fs-pci,chardev=vfs0,tag=kata-share0" in plan.argv
    assert "memory-backend-memfd,id=shm,size=2048M,share=on" in plan.argv


def test_every_share_gets_its_own_virtiofsd_unless_it_asks_for_9p(
    fake_host: FakeHost, tmp_path: Path
) -> None:
    host = _host_with(fake_host, MINIMAL_QEMU_CONFIG)
    dirs = [tmp_path / name for name in ("a", "b", "c")]
    for directory in dirs:
        directory.mkdir()
    specs = [str(dirs[0]), f"{dirs[1]}:9p", f"{dirs[2]}:virtio-fs"]
    plan = _plan(host, shares=specs)
    assert [(s.source, s.mode) for s in plan.shares] == [
        (str(dirs[0]), "virtio-fs"),
        (str(dirs[1]), "9p"),
        (str(dirs[2]), "virtio-fs"),
    ]
    sockets = [argv[1] for argv in plan.virtiofsd]
    assert sockets == [
        "--socket-path=/run/kata-cli/vms/golden/virtiofs0.sock",
        "--socket-path=/run/kata-cli/vms/golden/virtiofs2.sock",
    ]
    assert plan.argv.count("memory-backend-memfd,id=shm,size=2048M,share=on") == 1
    assert "vhost-user-fs-pci,chardev=vfs2,tag=kata-share2" in plan.argv
    assert "virtio-9p-pci,fsdev=fs1,mount_tag=kata-share1" in plan.argv
    assert plan.notes == [
        "sharing over 9p: the slow path, not POSIX-complete (no virtiofsd available, "
        "--share-mode 9p or DIR:9p)"
    ]


def test_a_virtio_fs_share_without_a_daemon_is_a_usage_error(
    fake_host: FakeHost, tmp_path: Path
) -> None:
    host = _host_with(fake_host, MINIMAL_QEMU_CONFIG)
    fake_host.remove("/opt/kata/libexec/virtiofsd")
    with pytest.raises(UsageError, match=r"virtio-fs needs a virtiofsd"):
        _plan(host, shares=[f"{tmp_path}:virtio-fs"])


@pytest.mark.parametrize("spec", ["", " ", ":9p", ":virtio-fs"])
def test_an_empty_share_directory_is_a_usage_error(
    fake_host: FakeHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    """`--share "$DIR"` with DIR unset must not share the working directory."""
    host = _host_with(fake_host, MINIMAL_QEMU_CONFIG)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=r"^--share: the directory name is empty$"):
        build_plan(
            host.host,
            load(host.host),
            name="s",
            directory=VMDIR,
            accel="tcg",
            size=SIZE,
            shares=[spec],
        )


def test_missing_hypervisor_binary_is_a_config_error(fake_host: FakeHost) -> None:
    host = _host_with(fake_host, MINIMAL_QEMU_CONFIG)
    fake_host.remove("/opt/kata/bin/qemu-system-x86_64")
    with pytest.raises(ConfigError, match="qemu-system-x86_64 does not exist"):
        _plan(host, "m")


def test_a_hypervisor_binary_that_cannot_run_is_named_so(fake_host: FakeHost) -> None:
    host = _host_with(fake_host, MINIMAL_QEMU_CONFIG)
    fake_host.remove("/opt/kata/bin/qemu-system-x86_64")
    fake_host.file("/opt/kata/bin/qemu-system-x86_64", "not a program", mode=0o644)
    with pytest.raises(ConfigError, match="qemu-system-x86_64 is not an executable file"):
        _plan(host, "m")


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda path: None, "does not exist"),
        (lambda path: path.write_text("a file"), "not a directory"),
    ],
    ids=["missing", "file"],
)
def test_share_must_be_a_directory(
    fake_host: FakeHost, tmp_path: Path, make: Any, problem: str
) -> None:
    host = _host_with(fake_host, MINIMAL_QEMU_CONFIG)
    source = tmp_path / "nope"
    make(source)
    with pytest.raises(UsageError) as caught:
        _plan(host, "m", shares=[str(source)])
    assert caught.value.message == f"--share {source}: {problem}"


def test_other_hypervisors_are_refused(fake_host: FakeHost) -> None:
    host = _host_with(fake_host, MINIMAL_QEMU_CONFIG)
    config = load(host.host)
    config = replace(config, hypervisor_type="clh")
    with pytest.raises(ConfigError, match="boots QEMU only"):
        build_plan(host.host, config, name="m", directory=VMDIR, accel="tcg", size=SIZE)


def test_qemus_c_virtiofsd_gets_its_own_syntax() -> None:
    from kata_cli.vm.plan import virtiofsd_argv

    argv = virtiofsd_argv("/usr/lib/qemu/virtiofsd", "/r/v.sock", "/src", "never", ["--x"])
    assert argv == [
        "/usr/lib/qemu/virtiofsd",
        "--socket-path=/r/v.sock",
        *("-o", "source=/src", "-o", "cache=none"),
    ]


QEMU_CONFIGS = [
    path
    for path in sorted(KATA_CONFIGS.glob("*/configuration-qemu*.toml"))
    if "-se" not in path.name  # s390x only
]


@pytest.mark.parametrize("path", shipped_config_params(QEMU_CONFIGS))
def test_every_shipped_qemu_configuration_gives_a_plan(fake_host: FakeHost, path: Path) -> None:
    text = path.read_text()
    config_path = (
        "/etc/kata-containers/runtime-rs/configuration.toml"
        if path.parent.name == "rs"
        else "/etc/kata-containers/configuration.toml"
    )
    fake_host.cpuinfo()
    fake_host.meminfo()
    fake_host.config(text, path=config_path)
    fake_host.assets(text)
    config = load(fake_host.host)
    plan = build_plan(fake_host.host, config, name="any", directory=VMDIR, accel="kvm", size=SIZE)
    argv = plan.argv
    assert argv[0].endswith(config.hypervisor.path)
    assert {"-nodefaults", "-no-user-config", "-nographic"} <= set(argv)
    assert argv[argv.index("-append") + 1] == plan.kernel_params
    assert plan.kernel_params.endswith(kernel_parameters_string(config))
    assert all(isinstance(arg, str) and arg for arg in argv)


def test_socket_paths_too_long_for_unix_sockets_are_refused_up_front(
    fake_host: FakeHost,
) -> None:
    """QEMU would fail at spawn with 'UNIX socket path ... is too long': say it first."""
    from kata_cli.errors import KataError

    host = _host_with(fake_host, MINIMAL_QEMU_CONFIG)
    fits = Path("/r/" + "x" * 89)  # + "/virtiofs9.sock": 107 bytes
    plan = _plan(host, "m", directory=fits)
    assert len(plan.sockets["qmp"]) < 107
    with pytest.raises(KataError, match=r"too long for Unix socket paths \(108 bytes"):
        _plan(host, "m", directory=Path(f"{fits}x"))
