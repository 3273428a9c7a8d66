"""`kata-cli check` end to end on fixture hosts: spec 14 cases 4-9 and the output modes."""

from __future__ import annotations

import errno
import xml.etree.ElementTree as ET

import pytest

from tests.checks.conftest import upstream_intel

CAPABLE = "System is capable of running Kata Containers\n"
CAN_CREATE = "System can currently create Kata Containers\n"
NOT_CAPABLE = "ERROR: System is not capable of running Kata Containers"


def check(cli, fake_host, *args, env=None):
    return cli("--host-root", str(fake_host.root), "check", *args, env=env)


def test_case4_capable_non_root_offline(cli, fake_host, as_user):
    upstream_intel(fake_host)
    result = check(cli, fake_host, "-n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == CAPABLE


def test_case4_env_var_disables_network(cli, fake_host, as_user):
    upstream_intel(fake_host)
    result = check(cli, fake_host, env={"KATA_CHECK_NO_NETWORK": "1"})
    assert result.exit_code == 0
    assert result.stdout == CAPABLE


def test_case5_root_with_working_kvm(cli, fake_host, as_root, monkeypatch):
    upstream_intel(fake_host)
    fake_host.char_device("/dev/kvm", 1, 3)  # any openable character device
    _fake_ioctl(monkeypatch, create_errno=None)
    result = check(cli, fake_host)
    assert result.exit_code == 0, result.stderr
    assert "super user" not in result.stderr  # plain check makes no request: nothing to say
    assert result.stdout == CAPABLE + CAN_CREATE


def test_case6_missing_flag(cli, fake_host, as_user):
    upstream_intel(fake_host)
    fake_host.cpuinfo(flags="fpu vmx lm")
    result = check(cli, fake_host, "-n")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "CPU property not found" in result.stderr
    assert "name=sse4_1" in result.stderr
    assert result.stderr.rstrip().endswith(NOT_CAPABLE)


def test_case7_optional_module_missing_is_a_warning(cli, fake_host, as_user):
    upstream_intel(fake_host)  # no vhost_vsock
    result = check(cli, fake_host, "-n")
    assert result.exit_code == 0
    assert result.stdout == CAPABLE
    assert "WARNING: module.vhost_vsock" in result.stderr
    assert "ERROR" not in result.stderr  # one coherent verdict


def test_case7_required_module_missing(cli, fake_host, as_user):
    upstream_intel(fake_host)
    fake_host.remove("/sys/module/vhost_net")
    result = check(cli, fake_host, "-n")
    assert result.exit_code == 1
    assert "ERROR: module.vhost_net: kernel property vhost_net not found" in result.stderr
    assert "remedy: modprobe vhost_net" in result.stderr
    assert NOT_CAPABLE in result.stderr


@pytest.mark.parametrize("vendor", ["HygonGenuine", "CentaurHauls"])
def test_case8_unknown_cpu(cli, fake_host, as_user, vendor):
    fake_host.cpuinfo(vendor=vendor, flags="fpu svm lm sse4_1")
    fake_host.config()
    result = check(cli, fake_host, "-n")
    assert result.exit_code == 1
    assert "Unknown CPU Type" in result.stderr
    assert repr(vendor) in result.stderr
    assert NOT_CAPABLE in result.stderr


def test_amd_host_is_capable(cli, fake_host, as_user):
    fake_host.amd().installed()
    fake_host.assets()
    result = check(cli, fake_host, "-n", "--json")
    data = result.json()
    assert result.exit_code == 0
    assert data["capable"] is True
    ids = {c["id"]: c["status"] for c in data["checks"]}
    assert ids["cpu.flag.svm"] == "pass"
    assert ids["module.kvm_amd"] == "pass"
    assert "cpu.flag.vmx" not in ids


def _fake_ioctl(monkeypatch, create_errno, api_version=12):
    import fcntl

    from kata_cli.checks import kvm

    def ioctl(fd, request, arg=0, *rest):
        if request == kvm.KVM_GET_API_VERSION:
            return api_version
        if request == kvm.KVM_CREATE_VM:
            if create_errno is not None:
                raise OSError(create_errno, "fake")
            return _devnull_fd()
        raise AssertionError(hex(request))

    monkeypatch.setattr(fcntl, "ioctl", ioctl)


def _devnull_fd():
    import os

    return os.open(os.devnull, os.O_RDONLY)


def test_case9_kvm_busy(cli, fake_host, as_root, monkeypatch):
    upstream_intel(fake_host)
    fake_host.char_device("/dev/kvm", 1, 3)
    _fake_ioctl(monkeypatch, create_errno=errno.EBUSY)
    result = check(cli, fake_host)
    # upstream prints "capable" and exits 1; here stdout never says capable with exit 1
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "ERROR: kvm.usable: cannot create VM" in result.stderr
    assert 'reason="another hypervisor running"): device or resource busy' in result.stderr
    assert result.stderr.splitlines()[-1] == NOT_CAPABLE
    data = check(cli, fake_host, "--json").json()
    assert (data["capable"], data["can_create"]) == (False, False)


def test_case9_kvm_absent_as_root(cli, fake_host, as_root):
    upstream_intel(fake_host)
    fake_host.remove("/dev/vhost-vsock")
    result = check(cli, fake_host, "-n")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "kvm.usable: cannot open kvm device: no such file or directory" in result.stderr
    assert result.stderr.splitlines()[-1] == NOT_CAPABLE


def test_kvm_absent_for_a_user_is_not_fatal(cli, fake_host, as_user):
    upstream_intel(fake_host)
    result = check(cli, fake_host, "-n", "--json")
    kvm = {c["id"]: c for c in result.json()["checks"]}["kvm.usable"]
    assert result.exit_code == 0
    assert kvm["status"] == "warn"
    assert result.json()["can_create"] is None


def test_json_object(cli, fake_host, as_user):
    upstream_intel(fake_host)
    fake_host.cpuinfo(flags="fpu vmx lm")
    result = check(cli, fake_host, "-n", "--json")
    assert result.exit_code == 1  # exit status unchanged by --json
    data = result.json()
    assert set(data) == {"schema", "capable", "can_create", "kata_installed", "levels", "checks"}
    assert data["schema"] == "kata-cli/check/1"  # keys were only added
    assert data["capable"] is False
    assert data["kata_installed"] is True
    assert data["levels"] == {"hardware": False, "installation": True, "wiring": None}
    for entry in data["checks"]:
        assert set(entry) == {
            "id",
            "category",
            "level",
            "description",
            "status",
            "required",
            "detail",
            "remedy",
        }
        assert entry["status"] in {"pass", "warn", "fail", "skip"}
    failed = [c for c in data["checks"] if c["status"] == "fail"]
    assert [c["id"] for c in failed] == ["cpu.flag.sse4_1"]
    assert failed[0]["remedy"]


def test_verbose_table_plain_text(cli, fake_host, as_user):
    upstream_intel(fake_host)
    result = check(cli, fake_host, "-n", "-v")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["STATUS", "CHECK", "DETAIL"]
    assert any(line.startswith("PASS") and "cpu.flag.vmx" in line for line in lines)
    assert any(line.startswith("WARN") and "module.vhost_vsock" in line for line in lines)
    assert lines[-1] == CAPABLE.strip()
    assert "\x1b[" not in result.stdout


def test_junit_report(cli, fake_host, as_user, tmp_path):
    upstream_intel(fake_host)
    fake_host.remove("/sys/module/vhost")
    target = tmp_path / "check.xml"
    result = check(cli, fake_host, "-n", "--junit", str(target))
    assert result.exit_code == 1
    suite = ET.parse(target).getroot()
    assert suite.tag == "testsuite"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert int(suite.get("tests")) == len(cases)
    assert cases["module.vhost"].find("failure") is not None
    assert cases["cpu.flag.vmx"].find("failure") is None
    assert cases["assets.firmware"].find("skipped") is not None
    assert int(suite.get("failures")) == sum(
        1 for c in cases.values() if c.find("failure") is not None
    )
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_junit_unwritable_path_is_one_line_error(cli, fake_host, as_user, tmp_path):
    upstream_intel(fake_host)
    result = check(cli, fake_host, "-n", "--junit", str(tmp_path / "no" / "dir.xml"))
    assert result.exit_code == 1
    assert "cannot write JUnit report" in result.stderr
    assert "Traceback" not in result.stderr


def test_ignore_shows_skip(cli, fake_host, as_user):
    upstream_intel(fake_host)
    fake_host.remove("/sys/module/vhost_net")
    result = check(cli, fake_host, "-n", "--json", "--ignore", "module.vhost_net,assets.*")
    data = result.json()
    assert result.exit_code == 0
    by_id = {c["id"]: c for c in data["checks"]}
    assert by_id["module.vhost_net"]["status"] == "skip"
    assert "ignored" in by_id["module.vhost_net"]["detail"]
    assert all(c["status"] == "skip" for c in data["checks"] if c["id"].startswith("assets."))


def test_list_prints_every_check(cli, fake_host):
    result = check(cli, fake_host, "--list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["CHECK", "CATEGORY", "REQUIRED", "ROOT"]
    ids = [line.split()[0] for line in lines[1:]]
    for wanted in ("cpu.flag.vmx", "cpu.flag.svm", "module.kvm_amd", "kvm.usable", "boot.vm"):
        assert wanted in ids
    kvm_line = next(line for line in lines if line.startswith("kvm.usable"))
    assert kvm_line.split()[1:4] == ["kvm", "yes", "yes"]


def test_list_json(cli, fake_host):
    data = check(cli, fake_host, "--list", "--json").json()
    assert {"id", "category", "description", "required", "needs_root"} <= set(data["checks"][0])


def test_load_modules_needs_root(cli, fake_host, as_user):
    upstream_intel(fake_host)
    result = check(cli, fake_host, "-n", "--load-modules")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "--load-modules needs root (run it with sudo, or load modules yourself)"
    )


def test_load_modules_under_another_host_root_is_refused(cli, fake_host, as_root, tmp_path):
    """modprobe acts on the kernel kata-cli runs on: with --host-root naming another
    host it used to load this machine's modules for the other host's missing ones."""
    upstream_intel(fake_host)
    fake_host.remove("/sys/module/vhost_net")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "modprobe-ran"
    (bin_dir / "modprobe").write_text(f"#!/bin/sh\ntouch {marker}\n")
    (bin_dir / "modprobe").chmod(0o755)
    result = check(cli, fake_host, "-n", "--load-modules", env={"PATH": str(bin_dir)})
    assert result.exit_code == 2
    assert result.stderr == (
        "--load-modules loads modules into this machine's kernel: it needs the host root / "
        "(load the modules on that host itself (modprobe), then check again)\n"
    )
    assert result.stdout == "" and not marker.exists()


def test_alias_kata_check(cli, fake_host, as_user):
    upstream_intel(fake_host)
    result = cli("--host-root", str(fake_host.root), "kata-check", "-n")
    assert result.exit_code == 0
    assert result.stdout == CAPABLE


def test_verbose_uses_rich_on_a_terminal(cli, fake_host, as_user):
    cli.environment["stdout_isatty"] = True
    upstream_intel(fake_host)
    result = check(cli, fake_host, "-n", "-v")
    assert result.exit_code == 0
    assert "┃" in result.stdout or "│" in result.stdout  # a rich table
    assert "cpu.flag.vmx" in result.stdout
    assert result.stdout.endswith(CAPABLE)


def test_ignore_unknown_id_is_a_usage_error(cli, fake_host, as_user):
    upstream_intel(fake_host)
    result = check(cli, fake_host, "-n", "--ignore", "cpu.flag.vmx,cpu.flag.nope")
    assert result.exit_code == 2
    assert "--ignore cpu.flag.nope: no check has that id" in result.stderr


@pytest.mark.parametrize(
    "patterns",
    [
        ("*",),
        ("*.*",),
        ("cpu.*,module.*", "kvm.*,vsock.*,host.*"),  # every required hardware check
    ],
)
@pytest.mark.parametrize("mode", [(), ("--json",), ("--every", "1h", "--count", "1")])
def test_ignoring_every_hardware_check_is_a_usage_error(
    cli, fake_host, as_user, tmp_path, patterns, mode
):
    """A verdict over nothing is none: `--ignore '*'` does not print "capable"."""
    upstream_intel(fake_host)
    args = [a for p in patterns for a in ("--ignore", p)]
    state = ("--state-file", str(tmp_path / "state")) if "--every" in mode else ()
    result = check(cli, fake_host, "-n", *mode, *state, *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    joined = ",".join(",".join(patterns).split(","))
    assert result.stderr.splitlines() == [
        f"--ignore {joined}: every required hardware and kernel check is ignored, so there "
        "would be no verdict (ignore single checks: `kata-cli check --list` shows them)"
    ]
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize(
    "patterns",
    ["kvm.usable", "cpu.*,module.*,kvm.*,vsock.*", "wiring.*,assets.*,config.*,storage.*"],
)
def test_ignoring_some_checks_still_gives_a_verdict(cli, fake_host, as_user, patterns):
    upstream_intel(fake_host)
    result = check(cli, fake_host, "-n", "--json", "--ignore", patterns)
    assert result.exit_code in (0, 1), result.stderr
    assert result.json()["capable"] is (result.exit_code == 0)


def test_every_refuses_an_unknown_ignore_before_its_first_run(cli, fake_host, as_user, tmp_path):
    upstream_intel(fake_host)
    state = tmp_path / "state"
    result = check(
        cli,
        fake_host,
        "-n",
        "--every",
        "1h",
        "--count",
        "1",
        "--state-file",
        str(state),
        "--ignore",
        "cpu.flag.nope",
    )
    assert result.exit_code == 2
    assert "--ignore cpu.flag.nope: no check has that id" in result.stderr
    assert not state.exists()


def test_plain_check_imports_neither_requests_nor_rich(fake_host):
    import json
    import subprocess
    import sys

    upstream_intel(fake_host)
    probe = (
        "import json, sys\n"
        "from kata_cli.cli import run\n"
        f"run(['--host-root', {str(fake_host.root)!r}, 'check', '-n', '--json'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'rich', 'requests', 'yaml', 'psutil'})\n"
        "sys.stderr.write(json.dumps(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == []
