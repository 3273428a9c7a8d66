"""`kata-cli check` with a configuration that does not load: a failing check, not silence.

A CI pipeline that parses `--json` (or `--junit FILE`) must still get its report when the
configuration is malformed; people get one clear error line plus the other results.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest

from kata_cli.checks.configload import LOAD, NOT_LOADED
from tests.checks.conftest import upstream_intel

NOT_CAPABLE = "ERROR: System is not capable of running Kata Containers"
CONFIG = "/etc/kata-containers/configuration.toml"
BROKEN = {
    "malformed-toml": ("[hypervisor.qemu\n", "configuration.toml:1:17: invalid TOML"),
    "two-hypervisors": (
        '[hypervisor.qemu]\npath = "/a"\n[hypervisor.clh]\npath = "/b"\n',
        "several hypervisor tables",
    ),
    "wrong-type": (
        '[hypervisor.qemu]\npath = "/a"\ndefault_memory = "lots"\n',
        "configuration.toml:3:1: [hypervisor.qemu] default_memory: expected an integer",
    ),
}
# checks that need the configuration, and checks that must run without it
NEED_CONFIG = ("host.config", "host.memory", "vsock.device", "storage.rootfs", "assets.hypervisor")
RUN_ANYWAY = ("cpu.vendor", "cpu.flag.vmx", "module.kvm", "module.kvm_intel", "kvm.usable")


def check(cli, fake_host, *args):
    return cli("--host-root", str(fake_host.root), "check", "-n", *args)


def broken_host(fake_host, case):
    upstream_intel(fake_host)
    fake_host.config(BROKEN[case][0])
    return BROKEN[case][1]


def by_id(data):
    return {c["id"]: c for c in data["checks"]}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_json_reports_the_broken_configuration(cli, fake_host, as_user, case):
    expected = broken_host(fake_host, case)
    result = check(cli, fake_host, "--json")
    assert result.exit_code == 1
    data = result.json()
    assert data["schema"] == "kata-cli/check/1"
    assert data["capable"] is False
    checks = by_id(data)
    load = checks["config.load"]
    assert load["status"] == "fail" and load["required"] is True
    assert load["category"] == "config"
    assert expected in load["detail"] and CONFIG in load["detail"]
    assert "kata-cli config lint" in load["remedy"]
    for check_id in NEED_CONFIG:
        assert checks[check_id]["status"] == "skip", check_id
        assert checks[check_id]["detail"] == NOT_LOADED, check_id
    for check_id in RUN_ANYWAY:
        assert checks[check_id]["status"] != "skip", check_id
    assert checks["cpu.flag.vmx"]["status"] == "pass"
    # the loader's line is also a diagnostic on stderr, once, verbatim
    assert result.stderr.count(expected) == 1
    assert result.stderr.strip() == load["detail"]


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_default_output_names_the_problem_and_the_verdict(cli, fake_host, as_user, case):
    expected = broken_host(fake_host, case)
    result = check(cli, fake_host)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    config_lines = [line for line in lines if expected in line]
    assert len(config_lines) == 1
    assert config_lines[0].startswith("ERROR: config.load: ")
    assert "WARNING: module.vhost_vsock" in result.stderr  # the other results are there
    assert lines[-1] == NOT_CAPABLE
    assert "Traceback" not in result.stderr


def test_verbose_table_shows_the_failing_load(cli, fake_host, as_user):
    broken_host(fake_host, "malformed-toml")
    result = check(cli, fake_host, "-v")
    assert result.exit_code == 1
    rows = {line.split()[1]: line for line in result.stdout.splitlines()[1:] if line[:1] != " "}
    assert rows["config.load"].startswith("FAIL")
    assert rows["host.memory"].startswith("SKIP") and NOT_LOADED in rows["host.memory"]
    assert rows["cpu.flag.vmx"].startswith("PASS")
    assert result.stderr.rstrip().endswith(NOT_CAPABLE)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_junit_has_the_failing_testcase(cli, fake_host, as_user, tmp_path, case):
    expected = broken_host(fake_host, case)
    target = tmp_path / "report.xml"
    result = check(cli, fake_host, "--junit", str(target))
    assert result.exit_code == 1
    suite = ET.parse(target).getroot()
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    failure = cases["config.load"].find("failure")
    assert failure is not None and expected in failure.get("message", "")
    assert cases["config.load"].get("classname") == "kata-cli.check.config"
    skipped = cases["host.memory"].find("skipped")
    assert skipped is not None and skipped.get("message") == NOT_LOADED
    assert int(suite.get("failures", "0")) >= 1
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["capable"] == "false"


def missing_config(tmp_path):
    path = tmp_path / "nope" / "configuration.toml"
    return str(
        path
    ), f"Cannot find usable config file (file {os.path.abspath(path)} does not exist)"


@pytest.mark.parametrize("mode", [(), ("-v",)])
def test_missing_config_keeps_upstreams_exact_error(cli, fake_host, as_user, tmp_path, mode):
    upstream_intel(fake_host)
    path, message = missing_config(tmp_path)
    result = cli("--host-root", str(fake_host.root), "--config", path, "check", "-n", *mode)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == message + "\n"


def test_missing_config_with_json_still_prints_the_object(cli, fake_host, as_user, tmp_path):
    upstream_intel(fake_host)
    path, message = missing_config(tmp_path)
    result = cli("--host-root", str(fake_host.root), "--config", path, "check", "-n", "--json")
    assert result.exit_code == 1
    assert result.stderr == message + "\n"
    data = result.json()
    assert data["capable"] is False
    load = by_id(data)["config.load"]
    assert load["status"] == "fail" and load["detail"] == message
    assert "--config" in load["remedy"] and "lint" not in load["remedy"]
    assert by_id(data)["cpu.flag.vmx"]["status"] == "pass"


def test_missing_config_with_junit_writes_the_file(cli, fake_host, as_user, tmp_path):
    upstream_intel(fake_host)
    path, message = missing_config(tmp_path)
    target = tmp_path / "report.xml"
    result = cli(
        "--host-root", str(fake_host.root), "--config", path, "check", "-n", "--junit", str(target)
    )
    assert result.exit_code == 1
    assert result.stderr == message + "\n"  # people still see only upstream's line
    cases = {c.get("name"): c for c in ET.parse(target).getroot().iter("testcase")}
    failure = cases["config.load"].find("failure")
    assert failure is not None and failure.get("message") == message


def test_a_loading_configuration_passes_config_load(cli, fake_host, as_user):
    upstream_intel(fake_host)
    result = check(cli, fake_host, "--json")
    assert result.exit_code == 0
    load = by_id(result.json())["config.load"]
    assert load["status"] == "pass" and CONFIG in load["detail"]


def test_list_mentions_config_load(cli, fake_host):
    text = check(cli, fake_host, "--list")
    assert text.exit_code == 0
    assert any(line.split()[:2] == ["config.load", "config"] for line in text.stdout.splitlines())
    data = check(cli, fake_host, "--list", "--json").json()
    listed = {c["id"]: c for c in data["checks"]}
    assert listed["config.load"]["category"] == "config"
    assert listed["config.load"]["required"] is True


def test_config_load_can_be_ignored(cli, fake_host, as_user):
    broken_host(fake_host, "malformed-toml")
    result = check(cli, fake_host, "--json", "--ignore", "config.load")
    load = by_id(result.json())["config.load"]
    assert load["status"] == "skip"
    assert result.json()["capable"] is True  # the host itself is fine
    assert result.exit_code == 0


def test_runner_with_a_config_error(fake_host):
    from kata_cli.checks.model import CheckOptions
    from kata_cli.checks.runner import run
    from kata_cli.host import Host

    upstream_intel(fake_host)
    options = CheckOptions(kvm=False)
    report = run(Host(str(fake_host.root)), None, options, config_error="bad.toml:2:1: boom")
    assert report.capable is False
    load = report.get(LOAD.id)
    assert load is not None and load.status == "fail" and load.detail == "bad.toml:2:1: boom"
    vsock = report.get("vsock.device")
    assert vsock is not None and vsock.detail == NOT_LOADED
