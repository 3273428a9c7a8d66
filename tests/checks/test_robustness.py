"""`kata-cli check` on hostile hosts: every failure is one line or a verdict, never a crash."""

from __future__ import annotations

import pytest

from tests.checks.test_check_cli import NOT_CAPABLE, check
from tests.conftest import host_denying_reads
from tests.hostile import BREAKAGES, break_host


def _one_line_errors(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "internal error" not in stderr


def test_empty_cpuinfo_says_so(cli, fake_host, as_user):
    fake_host.intel().installed()
    fake_host.file("/proc/cpuinfo", "")
    result = check(cli, fake_host, "-n", "--json")
    assert result.exit_code == 1
    vendor = next(c for c in result.json()["checks"] if c["id"] == "cpu.vendor")
    assert vendor["status"] == "fail"
    assert "/proc/cpuinfo is empty" in vendor["detail"]
    assert "'none'" not in vendor["detail"]


def test_cpu_block_without_vendor_line(cli, fake_host, as_user):
    fake_host.intel().installed()
    fake_host.file("/proc/cpuinfo", "processor\t: 0\nflags\t\t: vmx lm sse4_1\n")
    result = check(cli, fake_host, "-n")
    assert result.exit_code == 1
    assert "has no vendor_id line" in result.stderr


def test_unreadable_cpuinfo_remedy_is_about_access(cli, fake_host, as_user):
    """ "Cannot verify" must not tell the user to buy an Intel or AMD CPU."""
    fake_host.intel().installed()
    cli.host_type = host_denying_reads("/proc/cpuinfo")
    result = check(cli, fake_host, "-n", "--json")
    assert result.exit_code == 1
    vendor = next(c for c in result.json()["checks"] if c["id"] == "cpu.vendor")
    assert vendor["detail"] == "cannot read /proc/cpuinfo: Permission denied"
    assert "readable" in vendor["remedy"] and "Intel" not in vendor["remedy"]


# (an absurd MemTotal alone leaves the host capable: not a failing verdict)
@pytest.mark.parametrize("breakage", [b for b in BREAKAGES if b != "absurd-numbers"])
@pytest.mark.parametrize("mode", [(), ("-v",), ("--json",)])
def test_hostile_hosts(cli, fake_host, as_user, breakage, mode):
    if breakage != "empty-root":
        fake_host.intel().installed()
    break_host(fake_host, breakage)
    result = check(cli, fake_host, "-n", *mode)
    assert result.exit_code == 1
    _one_line_errors(result.stderr)
    if mode == ("--json",):
        data = result.json()
        assert data["capable"] is False
        if breakage in ("garbage-config", "two-hypervisors"):
            load = next(c for c in data["checks"] if c["id"] == "config.load")
            assert load["status"] == "fail" and "configuration.toml" in load["detail"]
    else:
        assert NOT_CAPABLE in result.stderr
        if breakage in ("garbage-config", "two-hypervisors"):
            assert "config.load" in result.output and "configuration.toml" in result.output


def test_host_root_that_is_a_file(cli, tmp_path):
    target = tmp_path / "afile"
    target.write_text("")
    result = cli("--host-root", str(target), "check", "-n")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "not a directory" in result.stderr


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("unloaded", "kvm_intel is not loaded"),
        ("no-param", "kvm_intel has no tdx parameter"),
        ("unreadable", "cannot verify: /sys/module/kvm_intel/parameters/tdx is not readable"),
        ("huge", "cannot verify: /sys/module/kvm_intel/parameters/tdx is too large (more than"),
        ("off", "tdx=N"),
    ],
)
def test_confidential_failure_says_why(cli, fake_host, as_user, setup, expected):
    from tests.conftest import MINIMAL_QEMU_CONFIG

    fake_host.intel().installed()
    fake_host.config(
        MINIMAL_QEMU_CONFIG.replace("machine_type", "confidential_guest = true\nmachine_type")
    )
    if setup == "unloaded":
        fake_host.remove("/sys/module/kvm_intel")
    elif setup == "unreadable":
        fake_host.dir("/sys/module/kvm_intel/parameters/tdx")  # exists, cannot be read
    elif setup == "huge":
        with fake_host.file("/sys/module/kvm_intel/parameters/tdx").open("r+b") as sparse:
            sparse.truncate(100 * 1024 * 1024)
    elif setup == "off":
        fake_host.module_param("kvm_intel", "tdx", "N")
    result = check(cli, fake_host, "-n", "--json")
    tdx = next(c for c in result.json()["checks"] if c["id"] == "confidential.tdx")
    assert tdx["status"] == "fail"
    assert expected in tdx["detail"]


HOSTILE_PATH = "/opt/kata/bin/q\\u0001\\u001b[31m[/]red"  # TOML escapes: SOH, ESC, a rich tag


def _hostile_path_host(fake_host):
    from tests.conftest import MINIMAL_QEMU_CONFIG

    fake_host.intel().installed()
    fake_host.config(
        MINIMAL_QEMU_CONFIG.replace('"/opt/kata/bin/qemu-system-x86_64"', f'"{HOSTILE_PATH}"')
    )


def test_control_characters_never_reach_the_terminal(cli, fake_host, as_user):
    _hostile_path_host(fake_host)
    result = check(cli, fake_host, "-n")
    assert "\x1b" not in result.output and "\x01" not in result.output
    assert "q\\x01\\x1b[31m[/]red does not exist" in result.stderr
    verbose = check(cli, fake_host, "-n", "-v")
    assert "\x1b" not in verbose.stdout and "q\\x01\\x1b[31m[/]red" in verbose.stdout


def test_rich_table_shows_brackets_literally(cli, fake_host, as_user):
    cli.environment["stdout_isatty"] = True
    _hostile_path_host(fake_host)
    result = check(cli, fake_host, "-n", "-v")
    assert "internal error" not in result.stderr
    assert "[/]red" in result.stdout.replace("\n", "").replace("│", "").replace(" ", "")


def test_junit_stays_well_formed_xml(cli, fake_host, as_user, tmp_path):
    import xml.etree.ElementTree as ET

    _hostile_path_host(fake_host)
    target = tmp_path / "junit.xml"
    check(cli, fake_host, "-n", "--junit", str(target))
    suite = ET.parse(target).getroot()
    case = next(c for c in suite.iter("testcase") if c.get("name") == "assets.hypervisor")
    assert "q\\x01\\x1b[31m[/]red" in ET.tostring(case, encoding="unicode")


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"MemTotal: \xff kB\n", "has no MemTotal line"),
        (b"MemTotal: " + b"9" * 5000 + b" kB\n", "has no MemTotal line"),
        ("MemTotal: \u00b2 kB\n".encode(), "has no MemTotal line"),
        (None, "is not readable"),
    ],
    ids=["not-utf8", "5000-digits", "superscript-digit", "directory"],
)
def test_memory_cannot_verify_says_why(cli, fake_host, as_user, content, why):
    fake_host.intel().installed()
    if content is None:
        fake_host.remove("/proc/meminfo")
        fake_host.dir("/proc/meminfo")
    else:
        fake_host.file("/proc/meminfo", content)
    result = check(cli, fake_host, "-n", "--json")
    memory = next(c for c in result.json()["checks"] if c["id"] == "host.memory")
    assert memory["status"] == "skip"
    assert memory["detail"] == f"cannot verify: /proc/meminfo {why}"


def test_builtin_modules_are_not_missing(cli, fake_host, as_user):
    """A module built into the kernel has no /sys/module entry unless it has parameters."""
    fake_host.intel().installed()
    for name in ("vhost_net", "vhost_vsock"):
        fake_host.remove(f"/sys/module/{name}")
    fake_host.file(
        "/lib/modules/6.1.0-28-amd64/modules.builtin",
        "kernel/drivers/vhost/vhost-net.ko\nkernel/drivers/vhost/vhost_vsock.ko\n",
    )
    result = check(cli, fake_host, "-n", "--json")
    by_id = {c["id"]: c for c in result.json()["checks"]}
    for name in ("vhost_net", "vhost_vsock"):
        assert by_id[f"module.{name}"]["status"] == "pass"
        assert "built into the kernel" in by_id[f"module.{name}"]["detail"]
    fake_host.remove("/lib/modules/6.1.0-28-amd64/modules.builtin")
    missing = check(cli, fake_host, "-n", "--json")
    assert {c["id"]: c for c in missing.json()["checks"]}["module.vhost_net"]["status"] == "fail"
