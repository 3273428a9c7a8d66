"""`kata-cli vm` without booting anything: plan, list, errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kata_cli.environment import Environment
from kata_cli.vm import state as st
from tests.conftest import MINIMAL_QEMU_CONFIG, Cli, FakeHost


def _host(fake_host: FakeHost) -> FakeHost:
    fake_host.intel()
    fake_host.assets(MINIMAL_QEMU_CONFIG)
    return fake_host


def test_plan_json(cli: Cli, fake_host: FakeHost) -> None:
    host = _host(fake_host)
    result = cli(
        "--host-root",
        str(host.root),
        "vm",
        "plan",
        "--name",
        "p1",
        "--accel",
        "tcg",
        "--memory-limit",
        "512Mi",
        "--cpus",
        "0.5",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["schema"] == "kata-cli/vm-plan/1"
    assert (data["vcpus"], data["memory_mib"]) == (2, 2560)
    assert data["argv"][0] == str(host.local("/opt/kata/bin/qemu-system-x86_64"))
    assert data["argv"][data["argv"].index("-m") + 1].startswith("2560M")


def test_plan_text(cli: Cli, fake_host: FakeHost) -> None:
    host = _host(fake_host)
    result = cli("--host-root", str(host.root), "vm", "plan", "--name", "p2", "--accel", "tcg")
    assert result.exit_code == 0, result.stderr
    assert "name:          p2" in result.stdout
    assert "  -machine q35,accel=tcg,nvdimm=on \\" in result.stdout


def test_plan_text_escapes_control_characters_of_the_configuration(
    cli: Cli, fake_host: FakeHost
) -> None:
    """kernel_params holding an escape sequence used to reach the terminal raw (twice:
    the kernel params line and -append); JSON keeps the value exact."""
    host = _host(fake_host)
    host.config(MINIMAL_QEMU_CONFIG.replace("cgroup_no_v1=all", "a=\\u001b]0;owned\\u0007"))
    result = cli("--host-root", str(host.root), "vm", "plan", "--accel", "tcg")
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert result.stdout.count("a=\\x1b]0;owned\\x07") == 2
    data = cli("--host-root", str(host.root), "vm", "plan", "--accel", "tcg", "--json").json()
    assert "a=\x1b]0;owned\x07" in data["kernel_params"]


def test_bad_memory_limit_is_a_usage_error(cli: Cli, fake_host: FakeHost) -> None:
    host = _host(fake_host)
    result = cli("--host-root", str(host.root), "vm", "plan", "--memory-limit", "lots")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "invalid memory limit 'lots' (use a quantity such as 512Mi, 1Gi or 268435456)"
    ]


def test_list_is_empty_and_unknown_vms_are_one_line_errors(cli: Cli) -> None:
    result = cli("vm", "list", "--json")
    assert result.exit_code == 0
    assert result.json()["vms"] == []
    for args in (("inspect", "nope"), ("stop", "nope"), ("exec", "nope", "--", "true")):
        result = cli("vm", *args)
        assert result.exit_code == 1
        assert result.stderr == "no VM named 'nope' (see 'kata-cli vm list')\n"
        assert "Traceback" not in result.output


def test_prune_with_nothing_to_do(cli: Cli, vm_run_dir: Path) -> None:
    result = cli("vm", "prune", "--json")
    assert result.exit_code == 0
    assert result.json() == []
    text = cli("vm", "prune")  # used to print nothing at all
    assert text.exit_code == 0
    assert text.stdout == "nothing to prune: no orphaned or dead VMs\n"


def test_a_missing_disk_fails_before_anything_boots(cli: Cli, vm_run_dir: Path) -> None:
    result = cli("vm", "run", "--detach", "--name", "nodisk", "--disk", "/nonexistent/disk.img")
    # a bad value given before anything starts: a usage error naming the option, as
    # a missing --share is (was: exit 1, the bare path)
    assert result.exit_code == 2
    assert result.stderr.strip() == "--disk /nonexistent/disk.img: no such file or block device"
    assert not (vm_run_dir / "vms" / "nodisk").exists()


def test_a_bad_name_is_the_only_line_on_stderr(cli: Cli, fake_host: FakeHost) -> None:
    host = _host(fake_host)
    for bad in ("a/b", "..", "../x"):
        result = cli("--host-root", str(host.root), "vm", "run", "--name", bad, "--accel", "auto")
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            f"invalid VM name {bad!r} (use letters, digits, '_', '.', '-' (at most 63, "
            "starting with a letter or digit))"
        ]


def test_a_mistyped_share_mode_says_which_suffixes_exist(
    cli: Cli, fake_host: FakeHost, tmp_path: Path
) -> None:
    """`--share DIR:nfs` used to say only that `DIR:nfs` does not exist."""
    host = _host(fake_host)
    result = cli("--host-root", str(host.root), "vm", "plan", "--share", f"{tmp_path}:nfs")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"--share {tmp_path}:nfs: does not exist (the mode suffix is :9p or :virtio-fs, not :nfs)"
    )
    missing = cli("--host-root", str(host.root), "vm", "plan", "--share", f"{tmp_path}/none")
    assert missing.stderr.splitlines()[-1] == f"--share {tmp_path}/none: does not exist"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--name", "invalid VM name ''"),
        ("--memory-limit", "invalid memory limit ''"),
        ("--cpus", "invalid CPU constraint ''"),
    ],
)
@pytest.mark.parametrize("command", ["plan", "run"])
def test_an_empty_value_is_refused_not_defaulted(
    cli: Cli, fake_host: FakeHost, vm_run_dir: Path, command: str, option: str, message: str
) -> None:
    """`vm run --name "$UNSET"` used to boot a VM called kata-cli-<pid>."""
    host = _host(fake_host)
    result = cli(
        "--host-root",
        str(host.root),
        "vm",
        command,
        "-d" if command == "run" else "--test-guest",
        option,
        "",
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.splitlines()) == 1
    assert not (vm_run_dir / "vms").exists() or not any((vm_run_dir / "vms").iterdir())


def test_an_empty_ready_marker_is_refused(cli: Cli, fake_host: FakeHost, vm_run_dir: Path) -> None:
    """`--ready-marker ''` used to mean the default marker (and boot)."""
    host = _host(fake_host)
    result = cli("--host-root", str(host.root), "vm", "run", "-d", "--ready-marker", "")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "--ready-marker '': name the console line that means ready "
        "(or leave the option out for KATA-CLI-GUEST-READY)"
    ]


def test_sandbox_needs_the_run_dir_under_the_host_root(
    cli: Cli, fake_host: FakeHost, vm_run_dir: Path
) -> None:
    """Otherwise `kata-cli exec NAME` would look for the relay socket in the wrong place."""
    host = _host(fake_host)
    args = ("--host-root", str(host.root), "vm", "run", "-d", "--sandbox", "--name", "sbx")
    result = cli(*args, "--accel", "tcg")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"--sandbox: the run directory {vm_run_dir} is outside")
    assert len(result.stderr.splitlines()) == 1
    assert not (vm_run_dir / "vms" / "sbx").exists()
    assert not host.local("/run/vc/sbs/sbx").exists()


LIST_IMPORTS = """
import sys
from kata_cli.cli import main
try:
    main(["vm", "list"])
except SystemExit:
    pass
print(" ".join(sorted(m for m in sys.modules if m.startswith("kata_cli"))))
"""


def test_vm_list_imports_neither_the_plan_nor_the_configuration(vm_run_dir: Path) -> None:
    """`vm list` stays quick to start: no configuration loading, no plan building."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", LIST_IMPORTS], capture_output=True, text=True, timeout=30
    )
    modules = done.stdout.split()
    assert "kata_cli.vm.lifecycle" in modules, done.stderr
    assert "kata_cli.vm.plan" not in modules
    assert not [m for m in modules if m.startswith("kata_cli.config")]


def test_missing_kernel_is_one_line_and_nothing_starts(
    cli: Cli, fake_host: FakeHost, vm_run_dir: Path
) -> None:
    host = _host(fake_host)
    fake_host.remove("/opt/kata/share/kata-containers/vmlinux.container")
    for command in ("plan", "run"):
        result = cli(
            "--host-root", str(host.root), "vm", command, "--name", "nok", "--accel", "tcg"
        )
        assert result.exit_code == 1, result.stderr
        assert len(result.stderr.splitlines()) == 1
        assert "vmlinux.container does not exist" in result.stderr
    assert not (vm_run_dir / "vms" / "nok").exists()


def test_sandbox_refuses_a_symlink_on_the_way_to_its_socket(
    cli: Cli, fake_host: FakeHost, tmp_path: Path
) -> None:
    host = _host(fake_host)
    outside = tmp_path / "outside"
    outside.mkdir()
    host.dir("/run/vc")
    host.symlink("/run/vc/sbs", str(outside))
    run_dir = host.dir("/run/kata-cli")
    args = ("--host-root", str(host.root), "vm", "run", "-d", "--sandbox", "--name", "sbx")
    result = cli(*args, "--accel", "tcg", env={"KATA_CLI_RUN_DIR": str(run_dir)})
    assert result.exit_code == 1
    assert result.stderr.startswith("--sandbox: /run/vc/sbs is a symbolic link"), result.stderr
    assert list(outside.iterdir()) == []


def test_the_vm_commands_use_the_run_directory_of_the_runs_environment(
    cli: Cli, tmp_path: Path, vm_run_dir: Path
) -> None:
    """The environment handed to the run names the run directory, not the process's
    (KATA_CLI_RUN_DIR is the session's `vm_run_dir` here)."""
    run_dir = tmp_path / "env-run"
    cli.environment["environ"] = {"KATA_CLI_RUN_DIR": str(run_dir), "NO_COLOR": "1"}
    gone = st.ProcessRef(2**22 + 4321, 1.0)
    env = Environment.fake(environ={"KATA_CLI_RUN_DIR": str(run_dir)})
    for name in ("old", "older"):
        launch = st.Launch(name, ["qemu"], "R", 10.0, "tcg", False, True, time.time() - 60)
        directory = st.claim_vm_dir(launch, env)
        st.write_state(directory, st.VmState("ready", supervisor=gone, qemu=gone))
    listed = cli("vm", "list", "--json").json()
    assert listed["run_dir"] == str(run_dir / "vms")
    assert [(vm["name"], vm["condition"]) for vm in listed["vms"]] == [
        ("old", "dead"),
        ("older", "dead"),
    ]
    assert cli("vm", "inspect", "old", "--json").json()["condition"] == "dead"
    disk = tmp_path / "disk.img"
    disk.write_bytes(b"")
    for args in (("exec", "old", "--", "true"), ("console", "old"), ("disk-add", "old", str(disk))):
        result = cli("vm", *args)
        assert result.stderr == "VM 'old' is not running (dead)\n", args
    stopped = cli("vm", "stop", "old", "--json")
    assert stopped.exit_code == 0, stopped.stderr
    assert not (run_dir / "vms" / "old").exists()
    assert [stop["name"] for stop in cli("vm", "prune", "--json").json()] == ["older"]
    assert not (run_dir / "vms").exists()  # the last release removes vms/ and its lock
    assert not (vm_run_dir / "vms" / "old").exists()
