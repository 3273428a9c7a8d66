"""`kata-cli check --boot-guest` with a real VM: the boot result in plain words on stdout,
and the verdict still told the same way by the exit status, the line and --json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kata_cli.vm.guest import TestGuest
from tests.conftest import run_subprocess

pytestmark = pytest.mark.vm

CAPABLE = "System is capable of running Kata Containers"
BOOTED = re.compile(r"^booted the test guest in \d+\.\d s$")


def test_boot_guest_result_is_shown_in_the_default_output(
    test_guest: TestGuest, vm_config: Path
) -> None:
    args = ("--config", str(vm_config), "check", "-n", "--boot-guest", "--boot-timeout", "90")
    plain = run_subprocess(*args, timeout=180)
    assert BOOTED.match(plain.stdout.splitlines()[0]), plain.stdout + plain.stderr
    as_json = run_subprocess(*args, "--json", timeout=180)
    data = json.loads(as_json.stdout)
    boot = {c["id"]: c for c in data["checks"]}["boot.vm"]
    assert (boot["status"], boot["level"]) == ("pass", "hardware")
    assert BOOTED.match(boot["detail"])
    # whatever this machine is, the four ways of telling the verdict agree
    assert plain.returncode == as_json.returncode == (0 if data["capable"] else 1)
    assert (CAPABLE in plain.stdout) is data["capable"]
