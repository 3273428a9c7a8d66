"""The supervisor with a stand-in QEMU (a shell script that writes the console log):
the KVM progress watchdog, boot timeouts and early exits, without booting anything."""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kata_cli.environment import Environment
from kata_cli.vm import lifecycle
from kata_cli.vm import state as st
from kata_cli.vm.plan import LaunchPlan

# $1 (or the chardev's logfile=) is the console log; under KVM it hangs after the firmware,
# as a stock kernel does under a paravirtual /dev/kvm; under TCG it boots.
FAKE_QEMU = """#!/bin/sh
log="$1"
case "$1" in  # a real plan's command line: the console chardev's logfile=
  -*) log=$(printf '%s\\n' "$@" | sed -n 's/.*logfile=\\([^,]*\\).*/\\1/p') ;;
esac
case "$*" in
  *exit-now*) echo "qemu: could not load kernel" >&2; exit 1 ;;
  *silent*) exec sleep 60 ;;
  *wait-go*) while [ ! -e "$log.go" ]; do sleep 0.01; done
    printf '[    0.000000] Linux version 6.1\\r\\nREADY\\r\\n' >"$log"; exec sleep 60 ;;
  *accel=kvm*) printf 'SeaBIOS\\r\\nBooting from ROM..' >"$log"; exec sleep 60 ;;
  *never-ready*) printf '[    0.000000] Linux version 6.1\\r\\n' >"$log"; exec sleep 60 ;;
esac
printf 'SeaBIOS\\r\\n[    0.000000] Linux version 6.1\\r\\nREADY\\r\\n' >"$log"
exec sleep 60
"""


@pytest.fixture
def fake_qemu(tmp_path: Path) -> str:
    path = tmp_path / "qemu"
    path.write_text(FAKE_QEMU)
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def cleanup() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        directory = st.vm_dir(name)
        state = st.read_state(directory)
        if state and state.supervisor and state.supervisor.alive():
            os.kill(state.supervisor.pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while state.supervisor.alive() and time.monotonic() < deadline:
                time.sleep(0.02)
        st.remove_vm_dir(directory)


def _plan(name: str, argv: list[str], accel: str) -> LaunchPlan:
    return LaunchPlan(
        schema="test",
        name=name,
        binary=argv[0],
        accel=accel,
        machine="",
        vcpus=1,
        max_vcpus=1,
        memory_mib=64,
        kernel="",
        initrd="",
        image="",
        image_device="",
        kernel_params="",
        sockets={},
        console_log="",
        shares=[],
        virtiofsd=[],
        argv=argv,
    )


def _start(name: str, fake: str, accel: str, *extra: str, **kwargs: float) -> Path:
    log = str(st.vm_dir(name) / st.CONSOLE_LOG)
    argv = [fake, log, "-machine", f"q35,accel={accel}", "-cpu", "host", *extra]
    return lifecycle.start(
        _plan(name, argv, accel),
        ready_marker="READY",
        ready_timeout=kwargs.get("ready_timeout", 10.0),
        accel_auto=True,
        detach=True,
        kvm_progress_timeout=kwargs.get("kvm_progress_timeout", 8.0),
    )


def _failed_boot(
    cleanup: list[str], name: str, qemu: str, *extra: str, wait: float, **kwargs: float
) -> lifecycle.BootFailed:
    """Start VM `name` under TCG (removed after the test): the BootFailed its wait raises."""
    cleanup.append(name)
    directory = _start(name, qemu, "tcg", *extra, **kwargs)
    with pytest.raises(lifecycle.BootFailed) as failure:
        lifecycle.wait_ready(directory, wait)
    return failure.value


def test_no_progress_under_kvm_restarts_under_tcg(fake_qemu: str, cleanup: list[str]) -> None:
    cleanup.append("pvm")
    directory = _start("pvm", fake_qemu, "kvm", kvm_progress_timeout=0.5)
    state = lifecycle.wait_ready(directory, 10)
    assert state.accel == "tcg"
    assert "no kernel output within 0.5s under KVM: restarted under TCG" in state.detail
    launch = st.read_launch(directory)
    assert launch is not None and launch.accel == "kvm"  # what was asked, kept


def test_no_ready_marker_fails_at_the_ready_stage(fake_qemu: str, cleanup: list[str]) -> None:
    failure = _failed_boot(cleanup, "slow", fake_qemu, "never-ready", wait=0.5, ready_timeout=0.5)
    assert failure.stage == "ready"
    assert "printed no ready marker 'READY' within 0.5s" in failure.message
    assert "--ready-marker" in failure.message
    assert failure.last_output == ["[    0.000000] Linux version 6.1"]
    record = st.find_record("slow")
    assert record.condition == "failed"
    assert not record.qemu_alive  # the supervisor killed it


def test_an_early_exit_is_reported_with_qemus_words(fake_qemu: str, cleanup: list[str]) -> None:
    failure = _failed_boot(cleanup, "early", fake_qemu, "exit-now", wait=5)
    assert failure.stage == "firmware"
    assert "QEMU exited with status 1 during boot" in failure.message
    assert failure.last_output == ["qemu: could not load kernel"]


def test_a_missing_binary_fails_at_spawn(tmp_path: Path, cleanup: list[str]) -> None:
    failure = _failed_boot(cleanup, "nobin", str(tmp_path / "no-such-qemu"), wait=5)
    assert failure.stage == "spawn"
    assert "no-such-qemu" in failure.message


def test_stop_escalates_to_sigkill_when_qmp_is_gone(fake_qemu: str, cleanup: list[str]) -> None:
    cleanup.append("deaf")
    directory = _start("deaf", fake_qemu, "tcg")
    state = lifecycle.wait_ready(directory, 10)
    result = lifecycle.stop(st.find_record("deaf"), grace=30)
    assert result.method == "kill"  # no QMP socket: neither power-down nor quit worked
    assert result.seconds < 1.5  # and no grace period was spent waiting for either
    assert state.qemu is not None and not state.qemu.alive()
    assert state.supervisor is not None and not state.supervisor.alive()
    assert not directory.exists()


def test_prune_removes_what_a_crash_left(fake_qemu: str, cleanup: list[str]) -> None:
    cleanup.append("crashed")
    directory = _start("crashed", fake_qemu, "tcg")
    state = lifecycle.wait_ready(directory, 10)
    assert state.supervisor is not None and state.qemu is not None
    os.kill(state.supervisor.pid, signal.SIGKILL)
    os.kill(state.qemu.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while (state.qemu.alive() or state.supervisor.alive()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert st.find_record("crashed").condition == "dead"
    (pruned,) = lifecycle.prune()
    assert (pruned.name, pruned.method) == ("crashed", "none")
    assert not directory.exists()


def test_a_guest_silent_on_ttys0_is_named_as_such(fake_qemu: str, cleanup: list[str]) -> None:
    """A Kata kernel that logs elsewhere (or not at all): the failure says what was seen."""
    failure = _failed_boot(cleanup, "silent", fake_qemu, "silent", wait=0.5, ready_timeout=0.5)
    assert failure.stage == "firmware"
    message = failure.message
    assert message.startswith("boot failed at stage firmware: the guest printed nothing")
    assert "serial console (ttyS0) within 0.5s" in message
    assert not st.find_record("silent").qemu_alive


def test_a_supervisor_that_never_reports_fails_at_spawn(cleanup: list[str]) -> None:
    cleanup.append("mute")
    launch = st.Launch("mute", ["true"], "READY", 5.0, "tcg", False, True, time.time())
    directory = st.claim_vm_dir(launch)  # no supervisor: state.json never appears
    seconds = itertools.count(0.0, 1.0)  # the run's clock: a second passes at every look
    env = Environment.fake(monotonic=lambda: next(seconds))
    with pytest.raises(lifecycle.BootFailed) as failure:
        lifecycle.wait_ready(directory, 60, env)
    assert failure.value.stage == "spawn"
    assert f"did not report within {lifecycle.SPAWN_TIMEOUT:g}s" in failure.value.message
    # the wait ran on that clock, and the spawn limit, not the boot timeout, ended it
    assert lifecycle.SPAWN_TIMEOUT < next(seconds) < 60


def test_check_boot_on_a_guest_silent_on_ttys0_names_the_stage(
    fake_qemu: str, tmp_path: Path
) -> None:
    """`check --boot` with configured assets whose kernel prints nothing on ttyS0 (as a
    Kata kernel logging elsewhere would): a firmware-stage failure that says so, and
    nothing left behind."""
    from kata_cli.config import load
    from kata_cli.host import Host
    from kata_cli.vm.bootcheck import boot_check
    from tests.vm.conftest import TEST_CONFIG

    kernel = tmp_path / "silent-vmlinux"
    kernel.write_bytes(b"\0" * 64)
    text = TEST_CONFIG.replace("/usr/bin/qemu-system-x86_64", fake_qemu)
    (tmp_path / "c.toml").write_text(text.replace("/nonexistent/vmlinux", str(kernel)))
    config = load(Host("/"), explicit=str(tmp_path / "c.toml"))
    report = boot_check(Host("/"), config, use_test_guest=False, timeout=1)
    assert not report.ok
    assert report.stage == "firmware"
    assert "the guest printed nothing on the serial console (ttyS0) within 1s" in report.detail
    assert st.list_records() == []


def test_check_boot_takes_another_ready_marker(
    fake_qemu: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A guest that prints its own line (READY here) gets past the ready stage with it;
    the stand-in has no debug console, so the check then fails at the console stage."""
    from kata_cli.config import load
    from kata_cli.errors import KataError
    from kata_cli.host import Host
    from kata_cli.vm import bootcheck
    from kata_cli.vm.bootcheck import boot_check

    def no_console(*_args: object) -> tuple[str, int]:
        raise KataError("no debug console")

    monkeypatch.setattr(bootcheck, "_run_probe", no_console)
    from tests.vm.conftest import TEST_CONFIG

    kernel = tmp_path / "vmlinux"
    kernel.write_bytes(b"\0" * 64)
    text = TEST_CONFIG.replace("/usr/bin/qemu-system-x86_64", fake_qemu)
    (tmp_path / "c.toml").write_text(text.replace("/nonexistent/vmlinux", str(kernel)))
    config = load(Host("/"), explicit=str(tmp_path / "c.toml"))
    report = boot_check(Host("/"), config, use_test_guest=False, timeout=1, ready_marker="READY")
    assert (report.ok, report.stage) == (False, "console"), report
    assert st.list_records() == []


START_AND_EXIT = """
import sys
from pathlib import Path
from tests.vm.test_supervisor import _start
_start(sys.argv[1], sys.argv[2], "tcg", "wait-go")
"""


def test_a_detached_vm_whose_cli_died_before_ready_is_orphaned(
    fake_qemu: str, cleanup: list[str]
) -> None:
    """`vm run --detach` killed mid-boot: nobody learns of the VM, so list calls it
    orphaned (before and after it becomes ready) and prune stops it."""
    import subprocess
    import sys

    cleanup.append("lost")
    subprocess.run(
        [sys.executable, "-c", START_AND_EXIT, "lost", fake_qemu], check=True, timeout=30
    )
    directory = st.vm_dir("lost")
    deadline = time.monotonic() + 10
    while (st.read_state(directory) or st.VmState("")).qemu is None:
        assert time.monotonic() < deadline, "QEMU never started"
        time.sleep(0.02)
    assert st.find_record("lost").condition == "orphaned"  # booting, CLI gone
    (directory / "console.log.go").touch()  # now the stand-in prints its marker
    while (st.read_state(directory) or st.VmState("")).status != "ready":
        assert time.monotonic() < deadline, "never ready"
        time.sleep(0.02)
    record = st.find_record("lost")
    assert record.condition == "orphaned" and record.state is not None
    assert record.state.unclaimed
    (pruned,) = lifecycle.prune()
    assert pruned.name == "lost"
    assert not directory.exists()


def test_a_failing_virtiofsd_fails_the_spawn_and_stops_the_others(
    fake_qemu: str, tmp_path: Path, cleanup: list[str]
) -> None:
    cleanup.append("vfsfail")
    good = tmp_path / "good.sock"
    plan = _plan("vfsfail", [fake_qemu, str(tmp_path / "log")], "tcg")
    plan.virtiofsd = [
        ["/bin/sh", "-c", 'touch "$1"; exec sleep 60', "sh", str(good), f"--socket-path={good}"],
        ["/bin/sh", "-c", "exit 3", "sh", f"--socket-path={tmp_path / 'bad.sock'}"],
    ]
    directory = lifecycle.start(
        plan, ready_marker="READY", ready_timeout=10, accel_auto=False, detach=True
    )
    with pytest.raises(lifecycle.BootFailed) as failure:
        lifecycle.wait_ready(directory, 10)
    assert failure.value.stage == "spawn"
    assert "virtiofsd did not create its socket bad.sock" in failure.value.message
    state = st.read_state(directory)
    assert state is not None and state.qemu is None  # QEMU never started
    assert len(state.virtiofsd) == 2
    assert not any(daemon.alive() for daemon in state.virtiofsd)
    assert not good.exists()  # the supervisor removed the daemons' sockets


def test_stop_during_the_spawn_waits_for_the_qemu_to_stop_it(
    monkeypatch: pytest.MonkeyPatch, cleanup: list[str]
) -> None:
    """`vm stop` before the supervisor recorded QEMU: it waits for the record instead of
    removing the directory under a QEMU that would then run on, unowned."""
    import subprocess
    import threading

    cleanup.append("early-stop")
    me = st.ProcessRef.of(os.getpid())
    launch = st.Launch("early-stop", ["q"], "R", 5.0, "tcg", False, True, time.time(), cli=me)
    directory = st.claim_vm_dir(launch)
    assert st.find_record("early-stop").condition == "booting"
    qemu = subprocess.Popen(["sleep", "60"])
    polled = threading.Event()
    real_read_state = st.read_state

    def read_state(path: Path) -> st.VmState | None:
        state = real_read_state(path)
        if state is None:
            polled.set()  # stop is waiting for the supervisor's first record
        return state

    def supervisor_records_qemu() -> None:
        polled.wait(10)
        st.write_state(directory, st.VmState("booting", qemu=st.ProcessRef.of(qemu.pid)))

    monkeypatch.setattr(st, "read_state", read_state)
    writer = threading.Thread(target=supervisor_records_qemu)
    writer.start()
    try:
        result = lifecycle.stop(st.find_record("early-stop"), grace=0.1)
        writer.join()
        assert result.method in ("quit", "kill")  # no QMP here: killed
        assert qemu.wait(timeout=5) == -9
        assert not directory.exists()
    finally:
        if qemu.poll() is None:
            qemu.kill()
            qemu.wait()


def test_sigterm_to_a_foreground_run_during_boot_stops_its_vm(
    fake_qemu: str, tmp_path: Path
) -> None:
    """`kill` (or a service manager) on `vm run` mid-boot: like Ctrl-C, nothing stays."""
    import subprocess
    import sys

    from tests.vm.conftest import TEST_CONFIG

    kernel = tmp_path / "vmlinux"
    kernel.write_bytes(b"\0" * 64)
    text = TEST_CONFIG.replace("/usr/bin/qemu-system-x86_64", fake_qemu)
    config = tmp_path / "c.toml"
    config.write_text(text.replace("/nonexistent/vmlinux", str(kernel)))
    argv = [sys.executable, "-m", "kata_cli", "--config", str(config), "vm", "run"]
    cli = subprocess.Popen(
        [*argv, "--name", "wait-go", "--accel", "tcg"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    directory = st.vm_dir("wait-go")
    deadline = time.monotonic() + 20
    while (st.read_state(directory) or st.VmState("")).qemu is None:
        assert time.monotonic() < deadline, "QEMU never started"
        time.sleep(0.02)
    state = st.read_state(directory)
    assert state is not None and state.qemu is not None
    cli.terminate()
    stdout, stderr = cli.communicate(timeout=30)
    assert cli.returncode == 143, stderr  # 128 + SIGTERM, as a shell reports it
    # the SIGTERM may land while start() is still returning (it then stops what it
    # started itself, and no stop report reaches the line) or after it: both say so
    assert stdout.startswith("wait-go: terminated (SIGTERM)"), stdout
    assert not directory.exists()
    assert not state.qemu.alive()
