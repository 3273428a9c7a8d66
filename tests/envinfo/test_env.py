"""`kata-cli env`: the report's content, its Go-compatible layouts, and upstream's traps fixed."""

from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path

import pytest

from kata_cli.config import load
from kata_cli.envinfo import build_env_info, to_json, to_toml
from kata_cli.envinfo.build import hypervisor_version, socket_path, version_numbers
from tests.conftest import (
    MINIMAL_QEMU_CONFIG,
    NO_KATA_CONFIGS,
    FakeHost,
    kata_config_files,
    shipped_config_params,
)

GOLDEN = Path(__file__).parent / "golden"
QEMU_VERSION_SCRIPT = (
    "#!/bin/sh\n"
    'echo "QEMU emulator version 7.2.15 (Debian 1:7.2+dfsg-7+deb12u12)"\n'
    'echo "Copyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers"\n'
)
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _qemu_host(fake_host: FakeHost) -> FakeHost:
    fake_host.intel()
    fake_host.assets()
    fake_host.executable("/opt/kata/bin/qemu-system-x86_64", QEMU_VERSION_SCRIPT)
    return fake_host


def _report(fake_host: FakeHost, **overrides):
    config = load(fake_host.host)
    options = {
        "is_root": False,
        "runtime_path": "/usr/local/bin/kata-cli",
        "version": "0.1.0",
        "commit": COMMIT,
    }
    options.update(overrides)
    return build_env_info(fake_host.host, config, **options)


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    assert path.read_text() == text, f"{name} differs (see tests/envinfo/golden/)"


def test_toml_matches_golden_and_parses(fake_host, host_programs_run):
    # CPUs = 2: the fixture host's /proc/cpuinfo lists two processors
    info = _report(_qemu_host(fake_host), capable=True)
    assert info.warnings == []
    text = to_toml(info)
    _check_golden("env-qemu.toml", text)
    data = tomllib.loads(text)
    assert data["Meta"]["Version"] == "1.0.27"
    assert data["Hypervisor"]["SocketPath"] == "<<unknown>>"
    assert data["Host"]["Architecture"] == "amd64"
    assert "AvailableGuestProtections" not in data["Host"]


def test_toml_header_order(fake_host):
    text = to_toml(_report(_qemu_host(fake_host)))
    headers = [line for line in text.splitlines() if line.lstrip().startswith("[")]
    assert headers == [
        "[Kernel]",
        "[Meta]",
        "[Image]",
        "[Initrd]",
        "[Hypervisor]",
        "  [Hypervisor.SecurityInfo]",
        "[Runtime]",
        "  [Runtime.Config]",
        "  [Runtime.Version]",
        "    [Runtime.Version.Version]",
        "[Host]",
        "  [Host.Distro]",
        "  [Host.CPU]",
        "  [Host.Memory]",
        "[Agent]",
    ]
    # kata-collect-data greps for these two lines
    assert '[Image]\n  Path = "/opt/kata/share/kata-containers/kata-containers.img"\n' in text
    assert '[Initrd]\n  Path = ""\n' in text
    assert text.endswith("]\n") is False and text.endswith("\n") and not text.endswith("\n\n")


def test_json_matches_golden(fake_host, host_programs_run):
    # CPUs = 2: the fixture host's /proc/cpuinfo lists two processors
    text = to_json(_report(_qemu_host(fake_host), capable=True))
    _check_golden("env-qemu.json", text)
    assert '"SocketPath": "\\u003c\\u003cunknown\\u003e\\u003e"' in text
    assert '"AvailableGuestProtections": null' in text
    assert text.endswith("}\n")
    data = json.loads(text)
    assert list(data) == [
        "Kernel",
        "Meta",
        "Image",
        "Initrd",
        "Hypervisor",
        "Runtime",
        "Host",
        "Agent",
    ]
    assert data["Runtime"]["Experimental"] is None


def test_capability_comes_from_the_check_units(fake_host, tmp_path):
    assert _report(_qemu_host(fake_host)).Host.VMContainerCapable is True
    other = FakeHost(tmp_path / "other")
    other.no_kvm()
    other.assets()
    assert _report(other).Host.VMContainerCapable is False


def test_host_parsing_case_13(fake_host):
    _qemu_host(fake_host)
    fake_host.file("/proc/version", "Linux version 99.1 a b c\n")
    fake_host.file("/etc/os-release", 'NAME="Foo"\nVERSION_ID="42"\n')
    fake_host.file(
        "/proc/cpuinfo", "processor\t: 0\nvendor_id\t: moi\nmodel name\t: awesome XI\nflags\t: lm\n"
    )
    info = _report(fake_host)
    assert info.Host.Kernel == "99.1"
    assert (info.Host.Distro.Name, info.Host.Distro.Version) == ("Foo", "42")
    assert (info.Host.CPU.Vendor, info.Host.CPU.Model) == ("moi", "awesome XI")
    # upstream fails on an unknown vendor; we report, with the capability false
    assert info.Host.VMContainerCapable is False


def test_os_release_fallback_to_usr_lib(fake_host):
    _qemu_host(fake_host)
    fake_host.file("/etc/os-release", 'NAME="Only Name"\n')
    fake_host.file("/usr/lib/os-release", 'NAME="Other"\nVERSION_ID="7"\n')
    info = _report(fake_host)
    assert (info.Host.Distro.Name, info.Host.Distro.Version) == ("Only Name", "7")


def test_memory_and_cpus(fake_host):
    _qemu_host(fake_host)
    fake_host.meminfo(total_kb=1000, free_kb=200, available_kb=300)
    info = _report(fake_host)
    assert (info.Host.Memory.Total, info.Host.Memory.Free, info.Host.Memory.Available) == (
        1000,
        200,
        300,
    )
    assert info.Host.CPU.CPUs >= 1


def test_guest_protections(fake_host):
    _qemu_host(fake_host)
    fake_host.module_param("kvm_amd", "sev_snp", "Y")
    assert _report(fake_host).Host.AvailableGuestProtections == ["snp"]
    fake_host.module_param("kvm_intel", "tdx", "Y")
    info = _report(fake_host)
    assert info.Host.AvailableGuestProtections == ["tdx"]
    assert to_toml(info).split("[Host]\n", 1)[1].startswith('  AvailableGuestProtections = ["tdx"]')


def test_supports_vsocks_needs_the_device(fake_host):
    _qemu_host(fake_host)
    assert _report(fake_host).Host.SupportVSocks is False
    fake_host.char_device("/dev/vhost-vsock", 10, 241)
    assert _report(fake_host).Host.SupportVSocks is True


def test_hypervisor_version_failure_is_unknown(fake_host, host_programs_run):
    _qemu_host(fake_host)
    fake_host.executable("/opt/kata/bin/qemu-system-x86_64", "#!/bin/sh\necho boom\nexit 3\n")
    assert _report(fake_host).Hypervisor.Version == "<<unknown>>"


def test_hypervisor_version_hang_times_out(fake_host, host_programs_run):
    _qemu_host(fake_host)
    fake_host.executable("/opt/kata/bin/qemu-system-x86_64", "#!/bin/sh\nsleep 30\n")
    start = time.monotonic()
    version = hypervisor_version(fake_host.host, "/opt/kata/bin/qemu-system-x86_64", timeout=0.3)
    assert version == "<<unknown>>"
    assert time.monotonic() - start < 5


def test_hypervisor_is_not_run_under_another_root(fake_host, tmp_path):
    """A fixture root is not `/`: the host's program is not run on this machine."""
    _qemu_host(fake_host)
    ran = tmp_path / "ran"
    fake_host.executable("/opt/kata/bin/qemu-system-x86_64", f"#!/bin/sh\ntouch {ran}\necho v9\n")
    assert _report(fake_host).Hypervisor.Version == "<<unknown>>"
    assert not ran.exists()


def test_missing_assets_warn_but_report(fake_host, cli):
    fake_host.intel()  # config, but no assets at all
    result = cli("--host-root", str(fake_host.root), "env")
    assert result.exit_code == 0, result.stderr
    data = tomllib.loads(result.stdout)
    assert data["Hypervisor"]["Path"] == "/opt/kata/bin/qemu-system-x86_64"
    assert data["Hypervisor"]["Version"] == "<<unknown>>"
    assert "warning: hypervisor binary /opt/kata/bin/qemu-system-x86_64 does not exist" in (
        result.stderr
    )
    assert "warning: kernel /opt/kata/share/kata-containers/vmlinux.container" in result.stderr


def test_symlinked_assets_are_resolved(fake_host):
    _qemu_host(fake_host)
    fake_host.file("/opt/kata/share/kata-containers/vmlinux-6.1", b"\x7fELF")
    fake_host.remove("/opt/kata/share/kata-containers/vmlinux.container")
    fake_host.symlink("/opt/kata/share/kata-containers/vmlinux.container", "vmlinux-6.1")
    assert _report(fake_host).Kernel.Path == "/opt/kata/share/kata-containers/vmlinux-6.1"


def test_missing_proc_version_fails(fake_host, cli):
    _qemu_host(fake_host)
    fake_host.remove("/proc/version")
    result = cli("--host-root", str(fake_host.root), "env")
    assert result.exit_code == 1
    assert "cannot read /proc/version" in result.stderr
    assert "Traceback" not in result.output


def test_no_configuration_fails_cleanly(fake_host, cli):
    fake_host.intel()
    fake_host.remove("/etc/kata-containers/configuration.toml")
    result = cli("--host-root", str(fake_host.root), "env")
    assert result.exit_code == 1
    assert "Cannot find usable config file" in result.stderr


def test_cli_json_and_file(fake_host, cli, tmp_path):
    _qemu_host(fake_host)
    result = cli("--host-root", str(fake_host.root), "env", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["Meta"]["Version"] == "1.0.27"
    target = tmp_path / "out" / "env.toml"
    target.parent.mkdir()
    result = cli("--host-root", str(fake_host.root), "env", "--file", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert tomllib.loads(target.read_text())["Meta"]["Version"] == "1.0.27"
    assert list(target.parent.iterdir()) == [target]  # no temp file left behind
    result = cli("--host-root", str(fake_host.root), "env", "--file", str(tmp_path / "no/dir/x"))
    assert result.exit_code == 1
    assert "cannot write" in result.stderr


def test_alias_kata_env(fake_host, cli):
    _qemu_host(fake_host)
    result = cli("--host-root", str(fake_host.root), "kata-env", "--json")
    assert result.exit_code == 0, result.stderr
    assert "Hypervisor" in result.json()


def test_enable_annotations_nil_when_unset(fake_host):
    _qemu_host(fake_host)
    assert _report(fake_host).Hypervisor.SecurityInfo.EnableAnnotations is None
    fake_host.config(
        MINIMAL_QEMU_CONFIG.replace("[agent.kata]", 'enable_annotations = ["^x$"]\n\n[agent.kata]')
    )
    info = _report(fake_host)
    assert info.Hypervisor.SecurityInfo.EnableAnnotations == ["^x$"]
    assert 'EnableAnnotations = ["^x$"]' in to_toml(info)


@pytest.mark.parametrize(
    ("kind", "flavour", "path", "expected"),
    [
        ("qemu", "go", "/usr/bin/qemu", ""),
        ("clh", "go", "/opt/kata/bin/cloud-hypervisor", "/run/vc/vm/{ID}/clh.sock"),
        (
            "firecracker",
            "go",
            "/opt/kata/bin/firecracker",
            "/run/vc/firecracker/{ID}/root/kata.hvsock",
        ),
        ("dragonball", "rs", "", "/run/kata/{ID}/root/kata.hvsock"),
    ],
)
def test_socket_path_templates_as_root(fake_host, kind, flavour, path, expected):
    _qemu_host(fake_host)
    config = load(fake_host.host)
    config.hypervisor_type = kind
    config.flavour = flavour
    config.hypervisor.path = path
    assert socket_path(config, is_root=True) == expected
    assert socket_path(config, is_root=False) == "<<unknown>>"


def test_root_without_vhost_vsock_does_not_fail(fake_host):
    _qemu_host(fake_host)
    info = _report(fake_host, is_root=True)
    assert info.Hypervisor.SocketPath == ""
    assert info.Host.SupportVSocks is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4.1.0", ("4.1.0", 4, 1, 0)),
        ("3.2.0-rc1", ("3.2.0-rc1", 3, 2, 0)),
        ("latest", ("<<unknown>>", 0, 0, 0)),
    ],
)
def test_version_numbers(text, expected):
    numbers = version_numbers(text, "abc")
    assert (numbers.Semver, numbers.Major, numbers.Minor, numbers.Patch) == expected
    assert numbers.Commit == "abc"


@pytest.mark.parametrize("path", shipped_config_params(kata_config_files()))
def test_shipped_configs_produce_parseable_reports(fake_host, cli, path):
    fake_host.intel()
    result = cli("--host-root", str(fake_host.root), "--config", str(path), "env")
    assert result.exit_code == 0, result.stderr
    data = tomllib.loads(result.stdout)
    assert data["Meta"]["Version"] == "1.0.27"
    assert data["Runtime"]["Config"]["Path"] == str(path)
    result = cli("--host-root", str(fake_host.root), "--config", str(path), "env", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["Hypervisor"]["Path"] == data["Hypervisor"]["Path"]


def test_shipped_configs_present_or_skipped():
    if not kata_config_files():
        pytest.skip(NO_KATA_CONFIGS)
    assert len(kata_config_files("go")) >= 10
