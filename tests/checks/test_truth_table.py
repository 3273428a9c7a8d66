"""The verdict's truth table (README, `kata-cli check`) on a matrix of fixture hosts.

For every host the four ways of telling the verdict must agree: the exit status, the
`System is capable of running Kata Containers` line (printed exactly when the exit status
is 0), `--json` `capable` with one value per level, and the JUnit properties. Each case
also states which levels it expects to fail or not to be judged, so a host that is
"capable" for the wrong reason fails too.
"""

from __future__ import annotations

import errno
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import AMD_FLAGS, INTEL_FLAGS, MINIMAL_QEMU_CONFIG, FakeHost, run_as
from tests.jsonschemas import validate

CAPABLE = "System is capable of running Kata Containers"
NOT_INSTALLED = " (hardware and kernel; Kata is not installed)"
CAN_CREATE = "System can currently create Kata Containers"
NOT_CAPABLE = "ERROR: System is not capable of running Kata Containers"

INTEL_MODULES = ("kvm", "kvm_intel", "vhost", "vhost_net", "vhost_vsock")
AMD_MODULES = ("kvm", "kvm_amd", "vhost", "vhost_net", "vhost_vsock")


def _config(hypervisor: str, extra: str = "", shared_fs: str = "virtio-fs") -> str:
    return (
        f"[hypervisor.{hypervisor}]\n"
        f'path = "/opt/kata/bin/{hypervisor}"\n'
        'kernel = "/opt/kata/share/kata-containers/vmlinux.container"\n'
        'image = "/opt/kata/share/kata-containers/kata-containers.img"\n'
        f'shared_fs = "{shared_fs}"\n'
        'virtio_fs_daemon = "/opt/kata/libexec/virtiofsd"\n'
        f"{extra}"
        "\n[agent.kata]\n\n[runtime]\n"
    )


# -- host builders -------------------------------------------------------------------------


def hardware(host: FakeHost, vendor: str = "intel", vm: bool = False, virt: bool = True) -> None:
    """CPU and modules: Intel or AMD, bare metal or a VM, with or without VT-x/SVM."""
    flags, modules = (INTEL_FLAGS, INTEL_MODULES) if vendor == "intel" else (AMD_FLAGS, AMD_MODULES)
    virt_flag = "vmx" if vendor == "intel" else "svm"
    if not virt:
        flags = flags.replace(f" {virt_flag}", "")
        modules = tuple(m for m in modules if m not in ("kvm_intel", "kvm_amd"))
    if vm:
        flags += " hypervisor"
    name = "GenuineIntel" if vendor == "intel" else "AuthenticAMD"
    host.cpuinfo(vendor=name, flags=flags)
    host.modules(*modules)
    host.meminfo()
    host.os_release()
    host.proc_version()
    host.vhost_vsock()


def installed(host: FakeHost, config: str = MINIMAL_QEMU_CONFIG) -> None:
    host.config(config)
    host.assets(config)


def capable_intel(host: FakeHost) -> None:
    hardware(host)
    installed(host)


def capable_amd(host: FakeHost) -> None:
    hardware(host, "amd")
    installed(host)


def without(*paths: str, base: Callable[[FakeHost], None] = capable_intel) -> Any:
    def build(host: FakeHost) -> None:
        base(host)
        for path in paths:
            host.remove(path)

    return build


def with_config(config: str, *, assets: str | None = "same", vendor: str = "intel") -> Any:
    """A configuration file, and the assets of `assets` ("same": of that file; None: none)."""

    def build(host: FakeHost) -> None:
        hardware(host, vendor)
        host.config(config)
        if assets is not None:
            host.assets(config if assets == "same" else assets)

    return build


def embedded(*remove: str, vendor: str = "intel", virt: bool = True) -> Any:
    """No configuration file: Kata is not installed, the embedded default stands in."""

    def build(host: FakeHost) -> None:
        hardware(host, vendor, virt=virt)
        for path in remove:
            host.remove(path)

    return build


def containerd(pool_present: bool) -> Any:
    """containerd uses the devmapper snapshotter for the Kata handler (the wiring level)."""

    def build(host: FakeHost) -> None:
        capable_intel(host)
        host.manager("containerd")
        host.modules("dm_thin_pool")
        host.file(
            "/etc/containerd/config.toml",
            'version = 2\n[plugins."io.containerd.snapshotter.v1.devmapper"]\n'
            'pool_name = "kata-pool"\n'
            '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]\n'
            'runtime_type = "io.containerd.kata.v2"\nsnapshotter = "devmapper"\n',
        )
        host.executable("/usr/local/bin/containerd-shim-kata-v2")
        if pool_present:
            host.file("/dev/mapper/kata-pool", "")

    return build


SHIM = "/usr/local/bin/containerd-shim-kata-v2"
RUNTIMES = 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes'
KATA_HANDLER = f'[{RUNTIMES}.kata]\nruntime_type = "io.containerd.kata.v2"\n'


def wiring(
    files: dict[str, str],
    shim: str | None = SHIM,
    managers: tuple[str, ...] = ("containerd", "crio"),
) -> Any:
    """A container manager's files (containerd or CRI-O), the Kata shim at `shim`, the
    `managers` installed."""

    def build(host: FakeHost) -> None:
        capable_intel(host)
        host.file("/proc/filesystems", "nodev\tsysfs\nnodev\toverlay\n")
        if shim:
            host.executable(shim)
        for path, text in files.items():
            host.file(path, text)
        host.manager(*managers)

    return build


def containerd_without_kata(host: FakeHost, installed_too: bool = True) -> None:
    if installed_too:
        capable_intel(host)
    host.manager("containerd")
    host.file(
        "/etc/containerd/config.toml",
        'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n'
        'runtime_type = "io.containerd.runc.v2"\n',
    )


def embedded_with_containerd(host: FakeHost) -> None:
    """containerd without a Kata handler, and no Kata configuration: wiring not judged."""
    embedded()(host)
    containerd_without_kata(host, installed_too=False)


def crio(host: FakeHost) -> None:
    capable_intel(host)
    host.manager("crio")
    host.executable("/usr/local/bin/containerd-shim-kata-v2")
    host.file(
        "/etc/crio/crio.conf.d/50-kata.conf",
        '[crio.runtime.runtimes.kata]\nruntime_type = "vm"\n'
        'runtime_path = "/usr/local/bin/containerd-shim-kata-v2"\n'
        'runtime_config_path = "/etc/kata-containers/configuration.toml"\n',
    )


K3S = "/var/lib/rancher/k3s/agent/etc/containerd"
RKE2 = "/var/lib/rancher/rke2/agent/etc/containerd"
V3_RUNTIMES = 'plugins."io.containerd.cri.v1.runtime".containerd.runtimes'
V3_KATA = f'version = 3\n[{V3_RUNTIMES}.kata]\nruntime_type = "io.containerd.kata.v2"\n'
V3_RUNC = f'version = 3\n[{V3_RUNTIMES}.runc]\nruntime_type = "io.containerd.runc.v2"\n'


def k3s_or_rke2(
    files: dict[str, str],
    shim: str | None,
    template_newer: bool = False,
    managers: tuple[str, ...] = (),
) -> Any:
    """k3s's or RKE2's containerd files (`template_newer`: a template edited after the
    last start wrote config.toml), the Kata shim at `shim`, the standalone `managers`
    installed (none: k3s and RKE2 bring their own containerd)."""

    def build(host: FakeHost) -> None:
        import os

        capable_intel(host)
        host.file("/proc/filesystems", "nodev\tsysfs\nnodev\toverlay\n")
        if shim:
            host.executable(shim)
        for path, text in files.items():
            host.file(path, text)
            newer = path.endswith(".tmpl") is template_newer
            when = 1_700_000_000 - (60 if newer else 3600)
            os.utime(host.local(path), (when, when))
        host.manager(*managers)

    return build


def nested_off(vendor: str, pvm: bool = False) -> Any:
    """A VM whose hypervisor does not pass VT-x/SVM through; maybe with kvm_pvm loaded."""

    def build(host: FakeHost) -> None:
        hardware(host, vendor, vm=True, virt=False)
        installed(host)
        if pvm:
            host.modules("kvm_pvm")

    return build


def pvm_next_to(vendor: str) -> Any:
    def build(host: FakeHost) -> None:
        hardware(host, vendor, vm=True)
        installed(host)
        host.modules("kvm_pvm")

    return build


def in_container(host: FakeHost) -> None:
    capable_intel(host)
    host.file("/.dockerenv", "")


def guest_transport_holds_vsock(host: FakeHost) -> None:
    capable_intel(host)
    host.remove("/sys/module/vhost_vsock")
    host.remove("/dev/vhost-vsock")
    host.modules("vmw_vsock_virtio_transport")


def small_memory(host: FakeHost) -> None:
    capable_intel(host)
    host.meminfo(total_kb=1024000, free_kb=500000, available_kb=600000)


def unknown_vendor(host: FakeHost) -> None:
    capable_intel(host)
    host.cpuinfo(vendor="HygonGenuine", flags=AMD_FLAGS)


def no_cpuinfo(host: FakeHost) -> None:
    capable_intel(host)
    host.remove("/proc/cpuinfo")


# -- the matrix ---------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    build: Callable[[FakeHost], None]
    exit: int
    failing: tuple[str, ...] = ()  # levels expected False (any other judged level is True)
    unjudged: tuple[str, ...] = ("wiring",)  # levels expected None
    root: bool = False
    kvm: str | None = None  # with root: "ok" or an errno the fake KVM_CREATE_VM raises
    args: tuple[str, ...] = ()
    failed_checks: tuple[str, ...] = ()  # among the FAIL results
    can_create: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


QEMU_NO_FIRMWARE = MINIMAL_QEMU_CONFIG
QEMU_FIRMWARE = MINIMAL_QEMU_CONFIG.replace(
    "machine_type", 'firmware = "/opt/kata/share/ovmf/OVMF.fd"\nmachine_type'
)
NINE_P = MINIMAL_QEMU_CONFIG.replace('shared_fs = "virtio-fs"', 'shared_fs = "virtio-9p"').replace(
    'virtio_fs_daemon = "/opt/kata/libexec/virtiofsd"\n', ""
)
TWO_HYPERVISORS = MINIMAL_QEMU_CONFIG + '\n[hypervisor.clh]\npath = "/opt/kata/bin/clh"\n'
BAD_TYPE = MINIMAL_QEMU_CONFIG.replace("default_vcpus = 1", 'default_vcpus = "one"')
BOTH_IMAGE_AND_INITRD = MINIMAL_QEMU_CONFIG.replace(
    "machine_type",
    'initrd = "/opt/kata/share/kata-containers/kata-containers-initrd.img"\nmachine_type',
)

HW, INST, WIRE = "hardware", "installation", "wiring"
NOT_JUDGED = (INST, WIRE)
MODULE_HOSTS = "/sys/module"

CASES = [
    Case("intel-capable", capable_intel, 0),
    Case("amd-capable", capable_amd, 0),
    Case("intel-root-kvm-ok", capable_intel, 0, root=True, kvm="ok", can_create=True),
    Case("amd-root-kvm-ok", capable_amd, 0, root=True, kvm="ok", can_create=True),
    Case(
        "root-kvm-busy",
        capable_intel,
        1,
        (HW,),
        root=True,
        kvm=str(errno.EBUSY),
        failed_checks=("kvm.usable",),
        can_create=False,
    ),
    Case(
        "root-no-dev-kvm",
        capable_intel,
        1,
        (HW,),
        root=True,
        failed_checks=("kvm.usable",),
        can_create=False,
    ),
    Case(
        "intel-vm-nested-off",
        nested_off("intel"),
        1,
        (HW,),
        failed_checks=("cpu.flag.vmx", "module.kvm_intel"),
    ),
    Case(
        "amd-vm-nested-off",
        nested_off("amd"),
        1,
        (HW,),
        failed_checks=("cpu.flag.svm", "module.kvm_amd"),
    ),
    Case(
        "amd-vm-kvm-pvm-only",
        nested_off("amd", pvm=True),
        1,
        (HW,),
        root=True,
        kvm="ok",
        failed_checks=("module.kvm_amd", "kvm.usable"),
        can_create=False,
    ),
    Case("intel-kvm-pvm-next-to-kvm-intel", pvm_next_to("intel"), 0, root=True, kvm="ok"),
    Case("no-kvm", nested_off("intel"), 1, (HW,), failed_checks=("module.kvm_intel",)),
    Case(
        "no-dev-vhost-vsock", without("/dev/vhost-vsock"), 1, (HW,), failed_checks=("vsock.device",)
    ),
    Case(
        "no-vhost-vsock-at-all",
        without("/dev/vhost-vsock", "/sys/module/vhost_vsock"),
        1,
        (HW,),
        failed_checks=("vsock.device",),
    ),
    Case(
        "stratovirt-without-vsock",
        without("/dev/vhost-vsock", base=with_config(_config("stratovirt"))),
        1,
        (HW,),
        failed_checks=("vsock.device",),
    ),
    Case(
        "clh-needs-no-vhost-vsock", without("/dev/vhost-vsock", base=with_config(_config("clh"))), 0
    ),
    Case(
        "vsock-held-by-guest-transport",
        guest_transport_holds_vsock,
        1,
        (HW,),
        failed_checks=("vsock.device",),
    ),
    Case("in-a-container", in_container, 1, (HW,), failed_checks=("host.container",)),
    Case("memory-below-default-memory", small_memory, 1, (HW,), failed_checks=("host.memory",)),
    Case("unknown-cpu-vendor", unknown_vendor, 1, (HW,), failed_checks=("cpu.vendor",)),
    Case("no-cpuinfo", no_cpuinfo, 1, (HW,), failed_checks=("cpu.vendor",)),
    Case(
        "required-module-missing",
        without("/sys/module/vhost_net"),
        1,
        (HW,),
        failed_checks=("module.vhost_net",),
    ),
    Case("optional-module-missing", without("/sys/module/vhost_vsock"), 0),
    Case("no-sysfs", without(MODULE_HOSTS), 1, (HW,), failed_checks=("module.kvm",)),
    Case(
        "missing-hypervisor",
        without("/opt/kata/bin/qemu-system-x86_64"),
        1,
        (INST,),
        failed_checks=("assets.hypervisor",),
    ),
    Case(
        "missing-kernel",
        without("/opt/kata/share/kata-containers/vmlinux.container"),
        1,
        (INST,),
        failed_checks=("assets.kernel",),
    ),
    Case(
        "missing-image",
        without("/opt/kata/share/kata-containers/kata-containers.img"),
        1,
        (INST,),
        failed_checks=("assets.guest-rootfs",),
    ),
    Case(
        "missing-firmware",
        without("/opt/kata/share/ovmf/OVMF.fd", base=with_config(QEMU_FIRMWARE)),
        1,
        (INST,),
        failed_checks=("assets.firmware",),
    ),
    Case("firmware-present", with_config(QEMU_FIRMWARE), 0),
    Case(
        "image-and-initrd-both-set",
        with_config(BOTH_IMAGE_AND_INITRD),
        1,
        (INST,),
        failed_checks=("assets.guest-rootfs",),
    ),
    Case(
        "missing-virtiofsd",
        without("/opt/kata/libexec/virtiofsd"),
        1,
        (INST,),
        failed_checks=("storage.virtio-fs",),
    ),
    Case("virtio-9p-needs-no-virtiofsd", with_config(NINE_P), 0),
    Case("nothing-installed-at-all", with_config(QEMU_NO_FIRMWARE, assets=None), 1, (INST,)),
    Case("embedded-default", embedded(), 0, unjudged=NOT_JUDGED),
    Case("embedded-default-amd", embedded(vendor="amd"), 0, unjudged=NOT_JUDGED),
    Case(
        "embedded-default-root-kvm-ok",
        embedded(),
        0,
        unjudged=NOT_JUDGED,
        root=True,
        kvm="ok",
        can_create=None,  # a VM, not yet a Kata Container: Kata is not installed
    ),
    Case(
        "embedded-default-no-vsock",
        embedded("/dev/vhost-vsock"),
        1,
        (HW,),
        unjudged=NOT_JUDGED,
        failed_checks=("vsock.device",),
    ),
    Case(
        "embedded-default-no-kvm",
        embedded(virt=False),
        1,
        (HW,),
        unjudged=NOT_JUDGED,
        failed_checks=("cpu.flag.vmx",),
    ),
    Case(
        "broken-config-toml",
        with_config("[hypervisor.qemu\n", assets=MINIMAL_QEMU_CONFIG),
        1,
        (INST,),
        failed_checks=("config.load",),
    ),
    Case(
        "two-hypervisors-no-selector",
        with_config(TWO_HYPERVISORS, assets=MINIMAL_QEMU_CONFIG),
        1,
        (INST,),
        failed_checks=("config.load",),
    ),
    Case(
        "value-of-wrong-type",
        with_config(BAD_TYPE, assets=MINIMAL_QEMU_CONFIG),
        1,
        (INST,),
        failed_checks=("config.load",),
    ),
    Case("containerd-kata-handler-devmapper-pool-present", containerd(True), 0, unjudged=()),
    Case(
        "containerd-kata-handler-devmapper-pool-missing",
        containerd(False),
        1,
        (WIRE,),
        unjudged=(),
        failed_checks=("wiring.containerd.snapshotter.kata",),
    ),
    Case(
        "containerd-kata-handler-without-shim",
        without("/usr/local/bin/containerd-shim-kata-v2", base=containerd(True)),
        1,
        (WIRE,),
        unjudged=(),
        failed_checks=("wiring.containerd.shim.kata",),
    ),
    Case(
        "containerd-without-kata-handler",
        containerd_without_kata,
        1,
        (WIRE,),
        unjudged=(),
        failed_checks=("wiring.containerd.handlers",),
    ),
    Case("crio-kata-handler", crio, 0, unjudged=()),
    Case(
        "containerd-kata-handler-in-an-import",
        wiring(
            {
                "/etc/containerd/config.toml": 'version = 2\nimports = ["conf.d/*.toml"]\n',
                "/etc/containerd/conf.d/kata.toml": "version = 2\n" + KATA_HANDLER,
            }
        ),
        0,
        unjudged=(),
    ),
    Case(
        "containerd-shim-outside-its-path",
        wiring(
            {"/etc/containerd/config.toml": "version = 2\n" + KATA_HANDLER},
            shim="/opt/kata/bin/containerd-shim-kata-v2",
        ),
        1,
        (WIRE,),
        unjudged=(),
        failed_checks=("wiring.containerd.shim.kata",),
    ),
    Case(
        "containerd-config-path-missing",
        wiring(
            {
                "/etc/containerd/config.toml": "version = 2\n"
                + KATA_HANDLER
                + f'[{RUNTIMES}.kata.options]\nConfigPath = "/etc/kata/none.toml"\n'
            }
        ),
        1,
        (WIRE,),
        unjudged=(),
        failed_checks=("wiring.containerd.kata-config.kata",),
    ),
    Case(
        "crio-kata-handler-as-oci-runtime",
        wiring({"/etc/crio/crio.conf": f'[crio.runtime.runtimes.kata]\nruntime_path = "{SHIM}"\n'}),
        1,
        (WIRE,),
        unjudged=(),
        failed_checks=("wiring.crio.runtime-type.kata",),
    ),
    Case(
        "k3s-kata-handler-rendered-from-its-template",
        k3s_or_rke2(
            {
                f"{K3S}/config-v3.toml.tmpl": '{{ template "base" . }}\n',
                f"{K3S}/config.toml": V3_KATA,
            },
            "/var/lib/rancher/k3s/data/current/bin/containerd-shim-kata-v2",
        ),
        0,
        unjudged=(),
    ),
    Case(
        "k3s-without-kata-handler",
        k3s_or_rke2({f"{K3S}/config.toml": V3_RUNC}, SHIM),
        1,
        (WIRE,),
        unjudged=(),
        failed_checks=("wiring.k3s.handlers",),
    ),
    Case(
        "k3s-go-template-not-rendered-yet-cannot-be-judged",
        k3s_or_rke2(
            {f"{K3S}/config-v3.toml.tmpl": '{{ template "base" . }}\n'}, SHIM, template_newer=True
        ),
        0,
        unjudged=(),
    ),
    Case(
        "k3s-toml-template-newer-than-config-is-judged",
        k3s_or_rke2(
            {f"{K3S}/config-v3.toml.tmpl": V3_RUNC, f"{K3S}/config.toml": V3_KATA},
            SHIM,
            template_newer=True,
        ),
        1,
        (WIRE,),
        unjudged=(),
        failed_checks=("wiring.k3s.handlers",),
    ),
    Case(
        "rke2-kata-handler-shim-in-its-bin",
        k3s_or_rke2(
            {f"{RKE2}/config.toml.tmpl": V3_KATA, f"{RKE2}/config.toml": V3_KATA},
            "/var/lib/rancher/rke2/bin/containerd-shim-kata-v2",
        ),
        0,
        unjudged=(),
    ),
    Case(
        "rke2-shim-only-in-opt-kata",
        k3s_or_rke2({f"{RKE2}/config.toml": V3_KATA}, "/opt/kata/bin/containerd-shim-kata-v2"),
        1,
        (WIRE,),
        unjudged=(),
        failed_checks=("wiring.rke2.shim.kata",),
    ),
    Case(
        # a leftover /etc/containerd/config.toml without a Kata handler on a k3s node:
        # no standalone containerd is installed, nothing reads it
        "k3s-kata-handler-stale-containerd-config-not-installed",
        k3s_or_rke2(
            {
                f"{K3S}/config.toml": V3_KATA,
                "/etc/containerd/config.toml": V3_RUNC,
            },
            "/var/lib/rancher/k3s/data/current/bin/containerd-shim-kata-v2",
        ),
        0,
        unjudged=(),
        extra={"skipped": ("wiring.containerd.config",), "absent": ("wiring.containerd.handlers",)},
    ),
    Case(
        "k3s-kata-handler-and-installed-containerd-without-handler",
        k3s_or_rke2(
            {
                f"{K3S}/config.toml": V3_KATA,
                "/etc/containerd/config.toml": V3_RUNC,
            },
            "/var/lib/rancher/k3s/data/current/bin/containerd-shim-kata-v2",
            managers=("containerd",),
        ),
        1,
        (WIRE,),
        unjudged=(),
        failed_checks=("wiring.containerd.handlers",),
    ),
    Case(
        "stale-containerd-and-crio-files-only-wiring-not-judged",
        wiring(
            {
                "/etc/containerd/config.toml": V3_RUNC,
                "/etc/crio/crio.conf": "[crio.runtime]\n",
            },
            managers=(),
        ),
        0,
        extra={"skipped": ("wiring.containerd.config", "wiring.crio.config")},
    ),
    Case(
        "embedded-default-containerd-not-judged",
        embedded_with_containerd,
        0,
        unjudged=NOT_JUDGED,
    ),
    Case(
        "strict-turns-a-warning-into-failure",
        without("/sys/module/vhost_vsock"),
        1,
        (HW,),
        args=("--strict",),
        # --strict fails every warning, the "cannot verify" of /dev/kvm for a user too
        failed_checks=("module.vhost_vsock", "kvm.usable"),
        can_create=False,
    ),
    Case(
        "ignored-failure-decides-nothing",
        without("/sys/module/vhost_net"),
        0,
        args=("--ignore", "module.vhost_net"),
    ),
]


def _fake_kvm(monkeypatch: pytest.MonkeyPatch, outcome: str) -> None:
    import fcntl
    import os

    from kata_cli.checks import kvm

    def ioctl(fd: int, request: int, arg: int = 0, *rest: Any) -> int:
        if request == kvm.KVM_GET_API_VERSION:
            return kvm.KVM_API_VERSION
        if request == kvm.KVM_CREATE_VM:
            if outcome != "ok":
                raise OSError(int(outcome), os.strerror(int(outcome)))
            return os.open(os.devnull, os.O_RDONLY)
        raise AssertionError(hex(request))

    monkeypatch.setattr(fcntl, "ioctl", ioctl)


@pytest.fixture
def matrix_host(
    request: pytest.FixtureRequest, cli: Any, fake_host: FakeHost, monkeypatch: pytest.MonkeyPatch
) -> Case:
    case: Case = request.param
    run_as(0 if case.root else 1000, cli, fake_host)
    case.build(fake_host)
    if case.kvm is not None:
        fake_host.char_device("/dev/kvm", 1, 3)  # openable; the ioctls are faked
        _fake_kvm(monkeypatch, case.kvm)
    return case


def test_the_matrix_is_large_and_covers_every_row():
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)
    assert {case.exit for case in CASES} == {0, 1}
    assert any(case.unjudged == NOT_JUDGED and case.exit == 0 for case in CASES)
    for level in (HW, INST):
        assert any(level in case.failing for case in CASES), level


@pytest.mark.parametrize("matrix_host", CASES, ids=[c.name for c in CASES], indirect=True)
def test_exit_status_capable_line_json_and_junit_agree(cli, fake_host, matrix_host, tmp_path):
    case = matrix_host
    base = ("--host-root", str(fake_host.root), "check", "-n", *case.args)
    junit = tmp_path / "check.xml"
    plain = cli(*base)
    as_json = cli(*base, "--json", "--junit", str(junit))
    data = as_json.json()
    validate(data)

    # the exit status is the truth table's
    assert plain.exit_code == case.exit, plain.stderr
    assert as_json.exit_code == case.exit

    # the capable line exactly when the exit status is 0, saying what it covers
    capable_lines = [line for line in plain.stdout.splitlines() if line.startswith(CAPABLE)]
    if case.exit == 0:
        scope = NOT_INSTALLED if INST in case.unjudged else ""
        assert capable_lines == [CAPABLE + scope]
        assert "ERROR" not in plain.stderr
    else:
        assert capable_lines == []
        assert CAN_CREATE not in plain.stdout
        assert plain.stderr.splitlines()[-1] == NOT_CAPABLE
        assert any(line.startswith("ERROR: ") for line in plain.stderr.splitlines()[:-1])

    # --json: capable equals the exit status, one value per level, no contradiction
    assert data["capable"] is (case.exit == 0)
    assert data["kata_installed"] is (INST not in case.unjudged)
    expected = {
        level: None if level in case.unjudged else level not in case.failing
        for level in (HW, INST, WIRE)
    }
    assert data["levels"] == expected
    assert data["can_create"] is case.can_create
    assert (CAN_CREATE in plain.stdout) is (case.can_create is True)
    if data["can_create"] is True:
        assert data["capable"] is True
    failed = {c["id"] for c in data["checks"] if c["status"] == "fail"}
    assert set(case.failed_checks) <= failed, failed
    statuses = {c["id"]: c["status"] for c in data["checks"]}
    for check_id in case.extra.get("skipped", ()):
        assert statuses[check_id] == "skip", (check_id, statuses.get(check_id))
    for check_id in case.extra.get("absent", ()):
        assert check_id not in statuses, check_id
    assert (not failed) is (case.exit == 0)
    for check in data["checks"]:
        if check["status"] == "fail":
            assert check["level"] in case.failing, check["id"]
            assert check["remedy"], check["id"]
    if INST in case.unjudged:
        assert {
            c["detail"].split(":")[0]
            for c in data["checks"]
            if c["level"] in NOT_JUDGED and not c["detail"].startswith("ignored")
        } == {"Kata is not installed"}

    # JUnit carries the same verdict
    suite = ET.parse(junit).getroot()
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["capable"] == str(data["capable"]).lower()
    for level, value in data["levels"].items():
        assert props[f"level.{level}"] == ("unknown" if value is None else str(value).lower())
    failures = {c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None}
    assert failures == failed


def _json_by_id(cli, fake_host, *args):
    result = cli("--host-root", str(fake_host.root), "check", "-n", "--json", *args)
    return result, {c["id"]: c for c in result.json()["checks"]}


BY_NAME = {case.name: case for case in CASES}


@pytest.mark.parametrize("matrix_host", [BY_NAME["amd-vm-kvm-pvm-only"]], indirect=True)
def test_kvm_pvm_alone_on_a_vm_says_enable_nested_virtualization(cli, fake_host, matrix_host):
    result, by_id = _json_by_id(cli, fake_host)
    assert result.exit_code == 1
    for check_id in ("module.kvm_amd", "kvm.usable", "cpu.flag.svm"):
        assert by_id[check_id]["status"] == "fail"
        assert "nested virtualization" in by_id[check_id]["remedy"], check_id
        assert "outer hypervisor" in by_id[check_id]["remedy"], check_id
    assert "kvm_pvm" in by_id["kvm.usable"]["detail"]
    assert "kata-cli check --boot" in by_id["kvm.usable"]["remedy"]
    plain = cli("--host-root", str(fake_host.root), "check", "-n")
    assert "modprobe kvm_amd" not in plain.output


@pytest.mark.parametrize("matrix_host", [BY_NAME["intel-kvm-pvm-next-to-kvm-intel"]], indirect=True)
def test_kvm_pvm_next_to_the_vendor_module_is_a_warning_naming_the_proof(
    cli, fake_host, matrix_host
):
    result, by_id = _json_by_id(cli, fake_host)
    usable = by_id["kvm.usable"]
    assert (result.exit_code, usable["status"]) == (0, "warn")
    assert "paravirtualized" in usable["detail"]
    assert "`kata-cli check --boot`" in usable["remedy"]
    assert result.json()["can_create"] is None  # a created VM proves nothing under kvm_pvm
