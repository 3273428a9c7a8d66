"""Check units on fixture hosts: registry conformance, CPU, modules, strict mode, storage,
assets, confidential guests, container and memory checks, and the library interface."""

from __future__ import annotations

import pytest

from kata_cli.checks import host_capable, report_data, run_checks
from kata_cli.checks.model import CATEGORIES, STATUSES, Check, CheckOptions
from kata_cli.checks.registry import catalogue
from kata_cli.checks.tables import requirements
from kata_cli.config import load
from tests.conftest import MINIMAL_QEMU_CONFIG


def results(fake_host, *, config_text=None, is_root=False, **options):
    from kata_cli.checks.runner import run

    if config_text is not None:
        fake_host.config(config_text)
    host = fake_host.host
    config = load(host)
    options.setdefault("kvm", False)
    report = run(host, config, CheckOptions(**options), is_root=is_root)
    return report, {r.id: r for r in report.results}


# -- conformance ------------------------------------------------------------------------


def test_a_duplicate_check_id_is_refused():
    from kata_cli.checks import kvm, vsock
    from kata_cli.checks.registry import DuplicateCheckId, validate

    units = (Check((vsock.VHOST_VSOCK,), vsock.vsock_checks), Check((kvm.USABLE,), kvm.kvm_checks))
    assert validate(units) == units
    clash = (*units, Check((vsock.VHOST_VSOCK,), kvm.kvm_checks))
    with pytest.raises(DuplicateCheckId, match=r"check id vsock\.device is declared twice"):
        validate(clash)


def test_a_duplicate_check_id_is_an_import_time_error():
    import subprocess
    import sys

    code = (
        "from kata_cli.checks import kvm, vsock\n"
        "vsock.catalogue = lambda: [vsock.VHOST_VSOCK, kvm.USABLE]\n"
        "import kata_cli.checks.registry\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "DuplicateCheckId: check id kvm.usable is declared twice" in proc.stderr


def test_vendor_tables_that_disagree_on_a_module_clash():
    from kata_cli.checks import modules
    from kata_cli.checks.registry import DuplicateCheckId, validate
    from kata_cli.checks.tables import parse

    def table(key, description):
        return (
            f'[vendors.{key}]\nmatch = "{key}"\ndescription = "x"\nvirt_flag = "vmx"\n'
            f'virt_module = "kvm_{key}"\n[[vendors.{key}.modules]]\nname = "kvm"\n'
            f'description = "{description}"\n'
        )

    alike = modules.catalogue(parse(table("intel", "KVM") + table("amd", "KVM")))
    assert [spec.id for spec in alike] == ["module.kvm"]  # one check for both vendors
    differ = modules.catalogue(parse(table("intel", "KVM") + table("amd", "other")))
    with pytest.raises(DuplicateCheckId):
        validate([Check(tuple(differ), modules.module_checks)])


def test_every_unit_reports_only_its_own_checks(fake_host):
    from kata_cli.checks.context import CheckContext
    from kata_cli.checks.registry import CHECKS

    fake_host.intel().installed().manager("containerd")
    fake_host.remove("/sys/module/vhost_net")
    ctx = CheckContext(fake_host.host, load(fake_host.host), CheckOptions(strict=True, kvm=False))
    fake_host.file(
        "/etc/containerd/config.toml",
        '[plugins.cri.containerd.runtimes.kata]\nruntime_type = "io.containerd.kata.v2"\n',
    )
    seen = set()
    for unit in CHECKS:
        for result in unit.function(ctx):
            assert any(spec.owns(result.id) for spec in unit.specs), (
                unit.function.__name__,
                result.id,
            )
            seen.add(result.id)
    assert "wiring.containerd.shim.kata" in seen  # a per-item id


def test_catalogue_is_documented():
    specs = catalogue()
    for spec in specs:
        assert spec.category in CATEGORIES, spec.id
        assert spec.description, spec.id
        assert spec.remedy, spec.id
        assert spec.id.split(".")[0] in {
            "config",
            "host",
            "cpu",
            "module",
            "kvm",
            "vsock",
            "storage",
            "assets",
            "confidential",
            "boot",
            "wiring",
            "release",
        }


def test_every_result_comes_from_the_catalogue(fake_host):
    fake_host.intel().installed()
    fake_host.assets()
    report, _by_id = results(fake_host, strict=True, kvm=True)
    specs = catalogue()
    for result in report.results:
        assert any(spec.owns(result.id) for spec in specs), result.id
        assert result.status in STATUSES
        if result.status in ("warn", "fail"):
            assert result.remedy, result.id


def test_requirement_tables_match_upstream():
    intel = requirements().vendor("intel")
    amd = requirements().vendor("amd")
    assert intel.match == "GenuineIntel" and amd.match == "AuthenticAMD"
    assert [f.name for f in intel.flags] == ["vmx", "lm", "sse4_1"]
    assert [f.name for f in amd.flags] == ["svm", "lm", "sse4_1"]
    required = {m.name: m.required for m in intel.modules}
    assert required == {
        "kvm": True,
        "kvm_intel": True,
        "vhost": True,
        "vhost_net": True,
        "vhost_vsock": False,
    }
    assert [m.name for m in amd.modules] == ["kvm", "kvm_amd", "vhost", "vhost_net", "vhost_vsock"]


# -- the library interface --------------------------------------------------------------


def test_host_capable(fake_host):
    fake_host.intel().installed()
    config = load(fake_host.host)
    assert host_capable(fake_host.host, config) is True
    fake_host.remove("/sys/module/kvm_intel")
    assert host_capable(fake_host.host, config) is False


def test_host_capable_without_config_and_unknown_vendor(fake_host):
    fake_host.cpuinfo(vendor="HygonGenuine")
    assert host_capable(fake_host.host, None) is False


def test_run_checks_without_config_skips_hypervisor_checks(fake_host, as_user):
    fake_host.intel().installed()
    report = run_checks(fake_host.host, None)
    by_id = {r.id: r for r in report.results}
    assert by_id["cpu.flag.vmx"].status == "pass"
    assert by_id["module.kvm_intel"].status == "pass"
    assert by_id["kvm.usable"].status in ("warn", "fail")  # it still ran
    assert by_id["storage.rootfs"].status == "skip"
    assert by_id["assets.hypervisor"].status == "skip"
    assert by_id["vsock.device"].status == "skip"
    assert report.capable is True
    assert report_data(report)["capable"] is True


def test_run_checks_never_raises_on_an_empty_root(fake_host):
    report = run_checks(fake_host.host, None)
    assert report.capable is False
    assert {r.id: r for r in report.results}["cpu.vendor"].detail.startswith("cannot read")


# -- CPU ----------------------------------------------------------------------------------


def test_flag_match_is_whole_word(fake_host):
    fake_host.intel().installed()
    fake_host.cpuinfo(flags="fpu vmxx lm sse4_1")  # no vmx, only a longer word
    _, by_id = results(fake_host)
    assert by_id["cpu.flag.vmx"].status == "fail"


def test_only_the_first_cpu_block_counts(fake_host):
    fake_host.intel().installed()
    fake_host.file(
        "/proc/cpuinfo",
        "processor : 0\nvendor_id : GenuineIntel\nflags : fpu lm sse4_1\n\n"
        "processor : 1\nvendor_id : GenuineIntel\nflags : fpu vmx lm sse4_1\n",
    )
    _, by_id = results(fake_host)
    assert by_id["cpu.flag.vmx"].status == "fail"


def test_no_flags_line(fake_host):
    fake_host.intel().installed()
    fake_host.file("/proc/cpuinfo", "processor : 0\nvendor_id : GenuineIntel\n")
    _, by_id = results(fake_host)
    assert by_id["cpu.flags"].status == "fail"
    assert "Cannot find CPU flags" in by_id["cpu.flags"].detail


def test_virt_flag_missing_on_a_vm_says_nested(fake_host):
    fake_host.amd().installed()
    fake_host.cpuinfo(vendor="AuthenticAMD", flags="fpu lm sse4_1 hypervisor")
    _, by_id = results(fake_host)
    assert by_id["cpu.flag.svm"].status == "fail"
    assert "nested virtualization" in by_id["cpu.flag.svm"].detail


def test_intel_with_unknown_hypervisor_type(fake_host):
    from kata_cli.checks.runner import run
    from kata_cli.record import replace

    fake_host.intel().installed()
    config = replace(load(fake_host.host), hypervisor_type="acrn")
    report = run(fake_host.host, config, CheckOptions(kvm=True), is_root=False)
    by_id = {r.id: r for r in report.results}
    assert by_id["kvm.usable"].status == "skip"
    assert by_id["cpu.hypervisor-type"].status == "fail"
    assert "Unknown hypervisor type acrn" in by_id["cpu.hypervisor-type"].detail


def test_remote_hypervisor_needs_no_local_virtualization(fake_host):
    fake_host.no_kvm()
    _report, by_id = results(fake_host, kvm=True, config_text="[hypervisor.remote]\n[agent.kata]\n")
    assert by_id["cpu.vendor"].status == "skip"
    assert "cpu.flag.vmx" not in by_id
    assert by_id["kvm.usable"].status == "skip"


# -- modules ------------------------------------------------------------------------------


def test_virt_module_missing_with_flag_points_at_firmware(fake_host):
    fake_host.intel().installed()
    fake_host.remove("/sys/module/kvm_intel")
    _, by_id = results(fake_host)
    result = by_id["module.kvm_intel"]
    assert result.status == "fail"
    assert "virtualization is disabled in the firmware" in result.detail
    assert "CPU reports `vmx`" in result.detail


def test_vhost_vsock_held_by_guest_transport(fake_host):
    fake_host.intel().installed()
    fake_host.remove("/sys/module/vhost_vsock")
    fake_host.remove("/dev/vhost-vsock")
    fake_host.modules("vmw_vsock_virtio_transport")
    report, by_id = results(fake_host)
    result = by_id["module.vhost_vsock"]
    assert result.status == "warn"
    assert "vmw_vsock_virtio_transport" in result.detail
    assert "modprobe -r vmw_vsock_virtio_transport" in result.remedy
    device = by_id["vsock.device"]  # qemu cannot reach its agent: required
    assert device.status == "fail"
    assert "vmw_vsock_virtio_transport" in device.detail
    assert "modprobe -r vmw_vsock_virtio_transport" in device.remedy
    assert report.capable is False


def test_no_sysfs_is_cannot_verify_not_missing(fake_host):
    fake_host.cpuinfo()
    fake_host.config()
    _, by_id = results(fake_host)
    assert by_id["module.kvm"].detail.startswith("cannot verify")
    assert "not found" not in by_id["module.kvm"].detail


def test_modules_are_never_loaded_without_the_option(fake_host):
    from kata_cli.host import Host

    class NoPrograms(Host):
        def run(self, *args, **kwargs):
            raise AssertionError(f"unexpected subprocess {args}")

    fake_host.host_type = NoPrograms
    fake_host.intel().installed()
    fake_host.config(MINIMAL_QEMU_CONFIG.replace('shared_fs = "virtio-fs"', 'shared_fs = "none"'))
    fake_host.remove("/sys/module/vhost")
    _, by_id = results(fake_host)
    assert by_id["module.vhost"].status == "fail"


def test_load_modules_runs_modprobe_and_reports(fake_host):
    from kata_cli.host import Host, ProcessResult

    calls = []

    class FakePrograms(Host):
        def run(self, argv, *, timeout, **kwargs):
            calls.append(list(argv))
            if argv[0] == "modprobe":
                fake_host.modules(argv[1])
                return ProcessResult(list(argv), 0)
            return ProcessResult(list(argv), 0, stdout=b"virtiofsd 1.10\n")

    fake_host.host_type = FakePrograms
    fake_host.intel().installed()
    fake_host.remove("/sys/module/vhost_net")
    report, by_id = results(fake_host, load_modules=True, is_root=True)
    assert ["modprobe", "vhost_net"] in calls
    assert by_id["module.vhost_net"].status == "pass"
    assert report.actions == ["loaded kernel module vhost_net"]


# -- strict mode --------------------------------------------------------------------------


def test_strict_checks_unrestricted_guest(fake_host):
    fake_host.intel().installed()
    fake_host.module_param("kvm_intel", "unrestricted_guest", "N")
    fake_host.module_param("kvm_intel", "nested", "N")
    report, by_id = results(fake_host, strict=True)
    assert by_id["module.kvm_intel.unrestricted_guest"].status == "fail"
    assert "unrestricted_guest=N" in by_id["module.kvm_intel.unrestricted_guest"].detail
    assert by_id["module.kvm_intel.nested"].status == "pass"  # reported, never fatal
    assert "nested=N" in by_id["module.kvm_intel.nested"].detail
    assert report.capable is False


@pytest.mark.parametrize(
    ("size", "problem"),
    [
        (100 * 1024 * 1024, "is too large (more than 4 KiB; a parameter fits in one)"),
        (5000, "is too large (more than 4 KiB; a parameter fits in one)"),
        (None, "is not readable"),
    ],
    ids=["100MB", "5000-bytes", "directory"],
)
def test_strict_parameter_that_cannot_be_read_says_why(fake_host, size, problem):
    """A 100 MB parameter file was "not readable"; a 5000-byte one was read as a value."""
    fake_host.intel().installed()
    path = "/sys/module/kvm_intel/parameters/unrestricted_guest"
    if size is None:
        fake_host.dir(path)
    else:
        with fake_host.file(path).open("r+b") as sparse:
            sparse.truncate(size)
    _, by_id = results(fake_host, strict=True)
    assert by_id["module.kvm_intel.unrestricted_guest"].detail == f"cannot verify: {path} {problem}"


def test_strict_skips_unrestricted_guest_on_a_vmm(fake_host):
    fake_host.intel().installed()
    fake_host.cpuinfo(flags="fpu vmx lm sse4_1 hypervisor")
    fake_host.module_param("kvm_intel", "unrestricted_guest", "N")
    _, by_id = results(fake_host, strict=True)
    assert by_id["module.kvm_intel.unrestricted_guest"].status == "skip"


def test_parameters_not_checked_by_default(fake_host):
    fake_host.intel().installed()
    fake_host.module_param("kvm_intel", "unrestricted_guest", "N")
    report, by_id = results(fake_host)
    assert by_id["module.kvm_intel.unrestricted_guest"].status == "skip"
    assert report.capable is True


def test_strict_turns_warnings_into_failures(fake_host):
    fake_host.intel().installed()
    fake_host.remove("/sys/module/vhost_vsock")  # optional module: a warning
    report, by_id = results(fake_host)
    assert report.capable is True
    assert by_id["module.vhost_vsock"].status == "warn"
    report, by_id = results(fake_host, strict=True)
    assert report.capable is False
    assert by_id["module.vhost_vsock"].status == "fail"


# -- storage ------------------------------------------------------------------------------


def test_virtio_fs_daemon_missing(fake_host):
    fake_host.intel().installed()
    fake_host.remove("/opt/kata/libexec/virtiofsd")
    report, by_id = results(fake_host)
    assert by_id["storage.rootfs"].detail == "shared file system: virtio-fs (shared_fs)"
    assert by_id["storage.virtio-fs"].status == "fail"  # a configuration file names it
    assert report.capable is False
    assert "/opt/kata/libexec/virtiofsd does not exist" in by_id["storage.virtio-fs"].detail


def test_virtio_fs_daemon_version_is_reported(fake_host, host_programs_run):
    fake_host.intel().installed()
    fake_host.assets()
    fake_host.executable("/opt/kata/libexec/virtiofsd", "#!/bin/sh\necho 'virtiofsd 1.13.0'\n")
    _, by_id = results(fake_host)
    assert by_id["storage.virtio-fs"].status == "pass"
    assert "virtiofsd 1.13.0" in by_id["storage.virtio-fs"].detail


def test_virtio_fs_daemon_that_fails(fake_host, host_programs_run):
    fake_host.intel().installed()
    fake_host.executable("/opt/kata/libexec/virtiofsd", "#!/bin/sh\nexit 3\n")
    _, by_id = results(fake_host)
    assert "--version failed: exit 3" in by_id["storage.virtio-fs"].detail


def test_virtio_fs_daemon_is_not_run_under_another_root(fake_host, tmp_path):
    fake_host.intel().installed()
    ran = tmp_path / "ran"
    fake_host.executable("/opt/kata/libexec/virtiofsd", f"#!/bin/sh\ntouch {ran}\n")
    _, by_id = results(fake_host)
    assert by_id["storage.virtio-fs"].status == "pass"
    assert "not run: host root is not /" in by_id["storage.virtio-fs"].detail
    assert not ran.exists()


def test_virtio_9p_is_a_warning(fake_host):
    fake_host.intel().installed()
    _, by_id = results(
        fake_host, config_text=MINIMAL_QEMU_CONFIG.replace('"virtio-fs"', '"virtio-9p"')
    )
    assert by_id["storage.virtio-9p"].status == "warn"
    assert "POSIX" in by_id["storage.virtio-9p"].detail


CONTAINERD_DEVMAPPER = """\
version = 2
[plugins."io.containerd.snapshotter.v1.devmapper"]
  pool_name = "containerd-pool"
  root_path = "/var/lib/containerd/devmapper"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata-qemu]
  runtime_type = "io.containerd.kata-qemu.v2"
  snapshotter = "devmapper"
"""


def test_devmapper_pool_missing(fake_host):
    fake_host.intel().installed()
    fake_host.file("/etc/containerd/config.toml", CONTAINERD_DEVMAPPER)
    _, by_id = results(fake_host)
    assert by_id["storage.rootfs"].detail.startswith("block devices: containerd's devmapper")
    result = by_id["storage.devmapper"]
    assert result.status == "warn"
    assert "/dev/mapper/containerd-pool does not exist" in result.detail
    assert "dm_thin_pool is not loaded" in result.detail


def test_devmapper_pool_present(fake_host):
    fake_host.intel().installed()
    fake_host.file("/etc/containerd/config.toml", CONTAINERD_DEVMAPPER)
    fake_host.file("/dev/mapper/containerd-pool")
    fake_host.modules("dm_thin_pool")
    _, by_id = results(fake_host)
    assert by_id["storage.devmapper"].status == "pass"
    assert by_id["storage.block"].status == "pass"


def test_devmapper_with_block_devices_disabled(fake_host):
    fake_host.intel().installed()
    fake_host.file("/etc/containerd/config.toml", CONTAINERD_DEVMAPPER)
    text = MINIMAL_QEMU_CONFIG.replace(
        "disable_block_device_use = false", "disable_block_device_use = true"
    )
    _, by_id = results(fake_host, config_text=text)
    assert by_id["storage.block"].status == "warn"
    assert "disable_block_device_use = true" in by_id["storage.block"].detail


# -- assets -------------------------------------------------------------------------------


def test_assets_present(fake_host):
    fake_host.intel().installed()
    fake_host.assets()
    _, by_id = results(fake_host)
    for check_id in ("assets.hypervisor", "assets.kernel", "assets.guest-rootfs"):
        assert by_id[check_id].status == "pass", by_id[check_id]


def test_assets_problems(fake_host):
    fake_host.intel().installed()
    fake_host.assets()
    fake_host.file("/opt/kata/bin/qemu-system-x86_64", "x", mode=0o644)
    fake_host.file("/opt/kata/share/kata-containers/vmlinux.container", "")
    _, by_id = results(fake_host)
    assert "not executable" in by_id["assets.hypervisor"].detail
    assert "is empty" in by_id["assets.kernel"].detail


def test_image_and_initrd_both_set(fake_host):
    fake_host.intel().installed()
    text = MINIMAL_QEMU_CONFIG.replace(
        "machine_type", 'initrd = "/opt/kata/share/kata-containers/kata.initrd"\nmachine_type'
    )
    _, by_id = results(fake_host, config_text=text)
    assert "both image" in by_id["assets.guest-rootfs"].detail


# -- confidential, container, memory ----------------------------------------------------


def test_tdx_required_only_when_configured(fake_host):
    fake_host.intel().installed()
    report, by_id = results(fake_host)
    assert by_id["confidential.tdx"].status == "skip"
    assert report.capable is True
    text = MINIMAL_QEMU_CONFIG.replace("machine_type", "confidential_guest = true\nmachine_type")
    report, by_id = results(fake_host, config_text=text)
    assert by_id["confidential.tdx"].status == "fail"
    assert report.capable is False
    fake_host.module_param("kvm_intel", "tdx", "Y")
    report, by_id = results(fake_host, config_text=text)
    assert by_id["confidential.tdx"].status == "pass"


def test_sev_snp_available_on_amd(fake_host):
    fake_host.amd().installed()
    fake_host.module_param("kvm_amd", "sev_snp", "Y")
    _, by_id = results(fake_host)
    assert by_id["confidential.sev-snp"].status == "pass"
    assert by_id["confidential.tdx"].status == "skip"


@pytest.mark.parametrize(
    "marker",
    [
        ("/.dockerenv", ""),
        ("/run/.containerenv", ""),
        ("/proc/1/cgroup", "0::/kubepods/besteffort/pod1/abc\n"),
        ("/proc/1/environ", "PATH=/bin\0container=podman\0"),
    ],
)
def test_inside_a_container_is_not_capable(fake_host, marker):
    fake_host.intel().installed()
    fake_host.file(*marker)
    report, by_id = results(fake_host)
    assert by_id["host.container"].status == "fail"
    assert "inside a container" in by_id["host.container"].detail
    assert report.capable is False


def test_memory_below_default_memory(fake_host):
    fake_host.intel().installed()
    fake_host.meminfo(total_kb=4096 * 1024, available_kb=1024 * 1024)
    _, by_id = results(fake_host)
    assert by_id["host.memory"].status == "warn"
    fake_host.meminfo(total_kb=1024 * 1024, available_kb=1000 * 1024)
    _report, by_id = results(fake_host)
    assert by_id["host.memory"].status == "fail"
    assert "will not start" in by_id["host.memory"].detail


def test_module_not_set_to_load_at_boot(fake_host):
    fake_host.intel().installed()
    fake_host.remove("/sys/module/vhost_net")
    _, by_id = results(fake_host)
    assert "not loaded at boot" in by_id["module.vhost_net"].detail
    fake_host.file("/etc/modules-load.d/kata.conf", "# kata\nvhost\nvhost-net\n")
    _, by_id = results(fake_host)
    assert "at boot" not in by_id["module.vhost_net"].detail


def test_a_unit_that_breaks_becomes_a_result(fake_host, monkeypatch):
    from kata_cli.checks import storage

    def broken(ctx):
        raise PermissionError(13, "Permission denied")
        yield  # pragma: no cover

    monkeypatch.setattr("kata_cli.checks.registry.CHECKS", (Check((storage.ROOTFS,), broken),))
    fake_host.intel().installed()
    report, by_id = results(fake_host)
    assert by_id["broken.error"].status == "fail"
    assert by_id["broken.error"].detail == "cannot verify: Permission denied"
    assert by_id["broken.error"].level == "installation"  # the level of the unit's checks
    assert storage.ROOTFS.id not in by_id
    assert report.capable is False
    assert report.levels["installation"] is False


def test_other_architectures_are_not_judged_with_x86_tables(fake_host, monkeypatch):
    monkeypatch.setattr("platform.machine", lambda: "aarch64")
    fake_host.intel().installed()
    report, by_id = results(fake_host)
    assert "x86_64 only, this is aarch64" in by_id["cpu.vendor"].detail
    assert report.capable is False


def test_host_capable_has_no_side_effects(fake_host, monkeypatch):
    import fcntl

    from kata_cli.environment import Environment
    from kata_cli.host import Host

    def forbidden(*args, **kwargs):
        raise AssertionError("host_capable must not run programs or ioctls")

    class NoSideEffects(Host):
        run = forbidden
        open_fd = forbidden

    monkeypatch.setattr(fcntl, "ioctl", forbidden)
    fake_host.host_type = NoSideEffects
    fake_host.env = Environment.fake(euid=0)
    fake_host.intel().installed()
    fake_host.remove("/sys/module/kvm_intel")  # would trigger the firmware diagnosis as root
    assert host_capable(fake_host.host, load(fake_host.host)) is False


def test_the_check_core_never_imports_rendering():
    """checks/, appctx and lint.runner return data; only commands/ and render/ write."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "import kata_cli.appctx, kata_cli.lint.runner, kata_cli.checks.request\n"
        "import kata_cli.checks.registry, kata_cli.checks.runner\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('kata_cli.render'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
