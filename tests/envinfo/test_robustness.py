"""`kata-cli env` on hostile hosts: a report, or one line on stderr and exit 1."""

from __future__ import annotations

import tomllib

import pytest

from tests.conftest import FakeHost, host_denying_reads


def _env(cli, fake_host: FakeHost, *args: str):
    return cli("--host-root", str(fake_host.root), "env", *args)


@pytest.mark.parametrize("path", ["/proc/version", "/etc/os-release"])
def test_unreadable_host_file_is_one_clean_line(cli, fake_host, path):
    fake_host.intel()
    fake_host.remove(path)
    fake_host.dir(path)  # exists, but reading it fails (as permission denied would)
    result = _env(cli, fake_host)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # exactly one line
    assert f"cannot read {path}: is a directory" in result.stderr
    assert "Errno" not in result.stderr and "internal error" not in result.stderr


def test_permission_denied_os_release(cli, fake_host):
    fake_host.intel()
    cli.host_type = host_denying_reads("/etc/os-release")
    result = _env(cli, fake_host)
    assert result.exit_code == 1
    assert result.stderr.startswith("cannot read /etc/os-release: permission denied")
    assert str(fake_host.root) not in result.stderr


@pytest.mark.parametrize("breakage", ["empty-cpuinfo", "non-utf8", "dir-cpuinfo", "dir-meminfo"])
def test_broken_host_facts_still_give_a_report(cli, fake_host, breakage):
    fake_host.intel()
    if breakage == "empty-cpuinfo":
        fake_host.file("/proc/cpuinfo", "")
    elif breakage == "non-utf8":
        fake_host.file("/proc/cpuinfo", b"processor\t: 0\nvendor_id\t: Genuine\xffIntel\n")
        fake_host.file("/proc/version", b"Linux version 6.1\xff-1 x\n")
        fake_host.file("/etc/os-release", b'NAME="Deb\xfeian"\n')
        fake_host.file("/proc/meminfo", b"MemTotal: \xff kB\n")
    else:
        path = "/proc/cpuinfo" if breakage == "dir-cpuinfo" else "/proc/meminfo"
        fake_host.remove(path)
        fake_host.dir(path)
    result = _env(cli, fake_host)
    assert result.exit_code == 0, result.stderr
    report = tomllib.loads(result.stdout)
    assert report["Host"]["VMContainerCapable"] is False or breakage == "dir-meminfo"
    assert "Traceback" not in result.stderr
    as_json = _env(cli, fake_host, "--json")
    assert as_json.exit_code == 0
    assert as_json.json()["Meta"]["Version"] == "1.0.27"


@pytest.mark.parametrize(
    "text",
    [b"\x00\xff[[ not toml\n", b'[hypervisor.qemu]\npath = "/a"\n[hypervisor.clh]\npath = "/b"\n'],
)
def test_bad_configuration_is_one_line(cli, fake_host, text):
    fake_host.intel()
    fake_host.file("/etc/kata-containers/configuration.toml", text)
    result = _env(cli, fake_host, "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_warnings_carry_no_terminal_escapes(cli, fake_host):
    from tests.conftest import MINIMAL_QEMU_CONFIG

    fake_host.intel()
    fake_host.config(
        MINIMAL_QEMU_CONFIG.replace(
            '"/opt/kata/share/kata-containers/vmlinux.container"', '"/k\\u001b[2J\\u0007"'
        )
    )
    result = _env(cli, fake_host)
    assert result.exit_code == 0
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "kernel /k\\x1b[2J\\x07 does not exist" in result.stderr
    assert tomllib.loads(result.stdout)["Kernel"]["Path"] == "/k\x1b[2J\x07"


def test_a_huge_missing_asset_path_is_quoted_short(cli, fake_host):
    from tests.conftest import MINIMAL_QEMU_CONFIG

    fake_host.intel()
    long_path = "/" + "a/" * 6000 + "vmlinux"
    fake_host.config(
        MINIMAL_QEMU_CONFIG.replace(
            '"/opt/kata/share/kata-containers/vmlinux.container"', f'"{long_path}"'
        )
    )
    result = _env(cli, fake_host)
    assert result.exit_code == 0
    assert len(result.stderr) < 2000 and "more characters" in result.stderr
    assert tomllib.loads(result.stdout)["Kernel"]["Path"] == long_path  # the report keeps it
