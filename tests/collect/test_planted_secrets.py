"""One planted secret per kind, in files, command outputs, the journal and process command
lines: none reaches the Markdown, the JSON or any file of the archive (names included)."""

from __future__ import annotations

import tarfile
from pathlib import Path

from tests.collect.conftest import stub
from tests.collect.test_command import quick_docker, run
from tests.conftest import MINIMAL_QEMU_CONFIG
from tests.redaction.kinds import KINDS


def plant(fake_host, stubs: Path, tmp_path: Path) -> None:
    fake_host.intel()
    fake_host.config(MINIMAL_QEMU_CONFIG)
    fake_host.dir("/run/systemd/system")
    for index, kind in enumerate(KINDS):
        # podman's section reads /etc/containers/*.conf and *.json whole
        fake_host.file(f"/etc/containers/k{index:03d}-{kind.name}.{kind.ext}", kind.text)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("".join(kind.text for kind in KINDS))
    for program in ("journalctl", "systemctl", "crio"):
        stub(stubs, program, f"/bin/cat {corpus}\n")
    stub(stubs, "kubectl", f'[ "$1" = config ] && /bin/cat {corpus}\nexit 0\n')
    stub(stubs, "docker", f'[ "$1" = info ] && /bin/cat {corpus}\necho "Docker version 27"\n')
    for index, kind in enumerate(k for k in KINDS if k.name.startswith(("cli-", "systemd-"))):
        argv = ["/opt/kata/bin/qemu-system-x86_64", *kind.text.split()]
        fake_host.file(f"/proc/{5000 + index}/cmdline", "\0".join(argv).encode() + b"\0")


def leaks_in(text: str) -> list[str]:
    return [kind.name for kind in KINDS if kind.secret in text]


def test_no_planted_secret_leaks_anywhere(cli, fake_host, stubs, tmp_path):
    quick_docker(stubs)
    plant(fake_host, stubs, tmp_path)
    markdown = run(cli, fake_host, stubs, "--deadline", "20")
    assert markdown.exit_code == 0, markdown.stderr
    as_json = run(cli, fake_host, stubs, "--json", "--deadline", "20")
    assert as_json.exit_code == 0, as_json.stderr
    target = tmp_path / "bundle.tar.gz"
    archived = run(cli, fake_host, stubs, "-o", str(target), "--deadline", "20")
    assert archived.exit_code == 0, archived.stderr

    # every kind really went through the report (the test cannot pass by not looking)
    report = as_json.json()
    podman = next(s for s in report["sections"] if s["id"] == "podman")
    planted = [item for item in podman["items"] if "/etc/containers/k" in (item["path"] or "")]
    assert len(planted) == len(KINDS)
    assert sum(report["redaction"]["counts"].values()) >= len(KINDS)

    leaks = {"markdown": leaks_in(markdown.stdout), "json": leaks_in(as_json.stdout)}
    with tarfile.open(target) as tar:
        members = tar.getmembers()
        assert len(members) > len(KINDS)  # one file per planted file, plus the reports
        for member in members:
            data = tar.extractfile(member).read().decode()
            found = leaks_in(data) + leaks_in(member.name)
            if found:
                leaks[member.name] = found
    assert {where: found for where, found in leaks.items() if found} == {}
