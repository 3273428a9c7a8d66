"""The packages section: this machine's dpkg/rpm with the root `/`; under another root
dpkg's status file is read inside it (dpkg-query would follow links out of it)."""

from __future__ import annotations

import json

from kata_cli.collect.sections.packages import dpkg_status_lines
from tests.collect.test_command import run

STATUS = """\
Package: kata-containers
Status: install ok installed
Version: 3.2.0

Package: libc6
Status: install ok installed
Version: 2.36

Package: qemu-system-x86
Status: deinstall ok config-files
Version: 1:7.2
Description: multi-line
 continuation: not a field
"""


def test_status_lines_carry_the_abbreviation_dpkg_query_prints():
    assert dpkg_status_lines(STATUS) == [
        "kata-containers 3.2.0 ii ",
        "libc6 2.36 ii ",
        "qemu-system-x86 1:7.2 rc ",
    ]
    assert dpkg_status_lines("garbage\n\n\nPackage: x\nStatus: what\n") == ["x  ??R"]


def _packages(report: dict) -> list[dict]:
    return next(s for s in report["sections"] if s["id"] == "packages")["items"]


def test_under_another_root_dpkg_status_is_read_inside_it(cli, fake_host, stubs):
    fake_host.intel()
    fake_host.file("/var/lib/dpkg/status", STATUS)
    result = run(cli, fake_host, stubs, "--json")
    assert result.exit_code == 0, result.stderr
    (item,) = _packages(json.loads(result.stdout))
    assert item["text"] == "kata-containers 3.2.0 ii \nqemu-system-x86 1:7.2 rc \n"


def test_a_status_file_linked_out_of_the_root_is_not_read(cli, hostile_host, stubs):
    hostile_host.fake.intel()
    hostile_host.link("/var/lib/dpkg/status", str(hostile_host.outside / "secret"))
    result = run(cli, hostile_host.fake, stubs, "--json")
    assert "OUTSIDE-SECRET" not in result.output
    (item,) = _packages(json.loads(result.stdout))
    assert item["status"] == "skipped" and "host root is not /" in item["detail"]
