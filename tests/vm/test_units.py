"""The runtime core's parts without a VM: boot stages, state, liveness, relay, QMP, accel."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kata_cli.environment import Environment
from kata_cli.errors import KataError
from kata_cli.vm import state as st
from kata_cli.vm.accel import choose_accel
from kata_cli.vm.qmp import Qmp, QmpError
from kata_cli.vm.relay import HvsockRelay
from kata_cli.vm.supervisor import boot_stage, tcg_argv
from tests.conftest import FakeHost


@pytest.mark.parametrize(
    ("log", "stage"),
    [
        (b"", "firmware"),
        (b"SeaBIOS (version 1.16)\r\nBooting from ROM..", "kernel"),
        (b"Booting from ROM..\r\n[    0.000000] Linux version 6.1", "ready"),
        (b"[    0.1] x\r\nKATA-READY\r\n", "done"),
    ],
)
def test_boot_stage(log: bytes, stage: str) -> None:
    assert boot_stage(log, b"KATA-READY") == stage


def test_tcg_fallback_command_line() -> None:
    argv = ["qemu", "-name", "host", "-machine", "q35,accel=kvm,nvdimm=on", "-cpu", "host,pmu=off"]
    assert tcg_argv(argv) == [
        *("qemu", "-name", "host", "-machine", "q35,accel=tcg,nvdimm=on", "-cpu", "max,pmu=off")
    ]


def test_accel_explicit_and_no_kvm(fake_host: FakeHost) -> None:
    fake_host.no_kvm()
    assert choose_accel(fake_host.host, "kvm").accel == "kvm"
    choice = choose_accel(fake_host.host, "auto")
    assert choice.accel == "tcg"
    assert choice.notice and "/dev/kvm does not exist" in choice.notice


def test_auto_avoids_a_paravirtual_kvm(
    fake_host: FakeHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kata_cli.vm import accel

    monkeypatch.setattr(accel, "kvm_usable", lambda host: (True, ""))
    fake_host.intel()
    assert choose_accel(fake_host.host, "auto").accel == "kvm"
    fake_host.modules("kvm_pvm")
    choice = choose_accel(fake_host.host, "auto")
    assert choice.accel == "tcg"
    assert choice.notice and "paravirtual (kvm_pvm)" in choice.notice


def test_process_ref_needs_pid_and_start_time() -> None:
    me = st.ProcessRef.of(os.getpid())
    assert me is not None and me.alive()
    assert not st.ProcessRef(os.getpid(), me.create_time - 100).alive()
    assert not st.ProcessRef(2**22 + 12345, 0.0).alive()


def _record(tmp_run: Path, name: str, state: st.VmState | None, **launch: object) -> Path:
    directory = st.vm_dir(name, _env(tmp_run))
    directory.mkdir(parents=True)
    values: dict[str, object] = {
        "name": name,
        "argv": ["qemu"],
        "ready_marker": "R",
        "ready_timeout": 10.0,
        "accel": "tcg",
        "accel_auto": False,
        "detach": True,
        "created": time.time() - 60,
        "cli": None,
    }
    values.update(launch)
    st.write_launch(directory, st.Launch(**values))  # type: ignore[arg-type]
    if state is not None:
        st.write_state(directory, state)
    return directory


@pytest.fixture
def tmp_run(tmp_path: Path) -> Path:
    """A run directory, handed to the state functions as `_env(tmp_run)`; the process's
    own KATA_CLI_RUN_DIR (the session's, tests/vm/conftest.py) is another one."""
    return tmp_path / "run"


def _env(run_dir: Path) -> Environment:
    return Environment.fake(environ={"KATA_CLI_RUN_DIR": str(run_dir)})


@pytest.mark.parametrize(
    ("euid", "environ", "expected"),
    [
        (1000, {"KATA_CLI_RUN_DIR": "/srv/kc", "XDG_RUNTIME_DIR": "/run/user/1000"}, "/srv/kc"),
        (0, {"XDG_RUNTIME_DIR": "/run/user/0"}, "/run/kata-cli"),
        (1000, {"XDG_RUNTIME_DIR": "/run/user/1000"}, "/run/user/1000/kata-cli"),
        (1000, {"XDG_RUNTIME_DIR": ""}, "/tmp/kata-cli-1000"),
        (1000, {}, "/tmp/kata-cli-1000"),
    ],
)
def test_the_run_directory_is_the_one_the_environment_names(
    euid: int, environ: dict[str, str], expected: str
) -> None:
    env = Environment.fake(euid=euid, environ=environ)
    assert st.run_root(env) == Path(expected)
    assert st.vm_dir("web", env) == Path(expected) / "vms" / "web"


def test_vms_are_found_in_the_environments_run_directory_only(tmp_run: Path) -> None:
    gone = st.ProcessRef(2**22 + 4321, 1.0)
    _record(tmp_run, "mine", st.VmState("ready", supervisor=gone, qemu=gone))
    assert [r.name for r in st.list_records(_env(tmp_run))] == ["mine"]
    assert st.find_record("mine", _env(tmp_run)).condition == "dead"
    elsewhere = _env(tmp_run.parent / "other")
    assert st.list_records(elsewhere) == []
    with pytest.raises(KataError, match="no VM named 'mine'"):
        st.find_record("mine", elsewhere)


def test_dead_and_stale_vms_are_recognised(tmp_run: Path) -> None:
    gone = st.ProcessRef(2**22 + 4321, 1.0)
    _record(tmp_run, "dead", st.VmState("ready", supervisor=gone, qemu=gone))
    _record(tmp_run, "exited", st.VmState("exited", supervisor=gone, qemu=gone))
    _record(tmp_run, "stale", None)
    (tmp_run / "vms" / "junk").mkdir()
    conditions = {r.name: r.condition for r in st.list_records(_env(tmp_run))}
    assert conditions == {"dead": "dead", "exited": "exited", "stale": "stale", "junk": "stale"}


def test_a_foreground_vm_whose_cli_died_is_orphaned(tmp_run: Path) -> None:
    me = st.ProcessRef.of(os.getpid())
    gone = st.ProcessRef(2**22 + 4321, 1.0)
    _record(tmp_run, "orphan", st.VmState("ready", supervisor=me, qemu=me), detach=False, cli=gone)
    _record(tmp_run, "fine", st.VmState("ready", supervisor=me, qemu=me), detach=False, cli=me)
    conditions = {r.name: r.condition for r in st.list_records(_env(tmp_run))}
    assert conditions == {"orphan": "orphaned", "fine": "running"}


def test_state_files_are_private_and_round_trip(tmp_run: Path) -> None:
    directory = _record(tmp_run, "vm1", st.VmState("booting", stage="kernel"))
    assert (directory / "state.json").stat().st_mode & 0o777 == 0o600
    state = st.read_state(directory)
    assert state is not None and state.stage == "kernel"
    assert json.loads((directory / "launch.json").read_text())["name"] == "vm1"


def _launch(name: str) -> st.Launch:
    me = st.ProcessRef.of(os.getpid())
    return st.Launch(name, ["qemu"], "R", 10.0, "tcg", False, True, time.time(), cli=me)


def test_racing_claims_for_one_name_have_one_winner(tmp_run: Path) -> None:
    """Two `vm run --name X` at once: exactly one claims X, the other is told it exists."""
    winners: list[Path] = []
    losers: list[str] = []
    barrier = threading.Barrier(6)

    def claim() -> None:
        barrier.wait()
        try:
            winners.append(st.claim_vm_dir(_launch("race"), _env(tmp_run)))
        except KataError as exc:
            losers.append(exc.message)

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1 and len(losers) == 5
    assert all("a VM named 'race' already exists (booting)" in m for m in losers)
    # the directory appeared complete, and no staging directory is left
    assert st.read_launch(winners[0]) is not None
    assert sorted(os.listdir(tmp_run / "vms")) == [".lock", "race"]


def test_a_dead_vms_directory_is_reclaimed(tmp_run: Path) -> None:
    gone = st.ProcessRef(2**22 + 4321, 1.0)
    _record(tmp_run, "again", st.VmState("ready", supervisor=gone, qemu=gone))
    directory = st.claim_vm_dir(_launch("again"), _env(tmp_run))
    assert st.read_state(directory) is None  # the old state went with the old VM


def test_release_keeps_a_directory_reclaimed_meanwhile(tmp_run: Path) -> None:
    """prune judged X dead, then a new `vm run --name X` claimed it: prune must not
    remove the new VM's directory."""
    gone = st.ProcessRef(2**22 + 4321, 1.0)
    _record(tmp_run, "reused", st.VmState("ready", supervisor=gone, qemu=gone))
    old = st.find_record("reused", _env(tmp_run))
    st.claim_vm_dir(_launch("reused"), _env(tmp_run))
    st.release_vm_dir(old)
    assert (tmp_run / "vms" / "reused" / "launch.json").exists()
    st.release_vm_dir(st.find_record("reused", _env(tmp_run)))
    assert not (tmp_run / "vms" / "reused").exists()


def test_the_last_release_removes_the_lock_file_and_vms_dir(tmp_run: Path) -> None:
    first, second = (
        st.claim_vm_dir(_launch("one"), _env(tmp_run)),
        st.claim_vm_dir(_launch("two"), _env(tmp_run)),
    )
    st.release_vm_dir(st.judge("one", first))
    assert sorted(os.listdir(tmp_run / "vms")) == [".lock", "two"]  # a VM is left
    st.release_vm_dir(st.judge("two", second))
    assert not (tmp_run / "vms").exists()
    st.claim_vm_dir(_launch("three"), _env(tmp_run))  # and the next claim recreates both
    assert sorted(os.listdir(tmp_run / "vms")) == [".lock", "three"]


def test_a_lock_whose_file_was_removed_meanwhile_is_taken_again(tmp_run: Path) -> None:
    """A waiter that opened the lock file before the last release removed it holds a
    lock on nothing; it must notice and lock the file at the path instead."""
    import fcntl

    st.ensure_vms_dir(tmp_run / "vms")
    lock = tmp_run / "vms" / st.LOCK_FILE
    with st.vms_lock(tmp_run / "vms"):
        stale = os.open(lock, os.O_RDWR)
        os.unlink(lock)  # what the last release does while holding the lock
    try:
        fcntl.flock(stale, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the waiter's lock: on no file
        with st.vms_lock(
            tmp_run / "vms", timeout=2
        ):  # not blocked by it, and holding the real file
            assert lock.exists()
            with pytest.raises(BlockingIOError):
                probe = os.open(lock, os.O_RDWR)
                try:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                finally:
                    os.close(probe)
    finally:
        os.close(stale)


def test_an_unusable_run_dir_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(KataError, match=r"cannot use the run directory .*/file/vms: Not a dir"):
        st.claim_vm_dir(_launch("x"), _env(tmp_path / "file"))
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(KataError, match="Permission denied"):
            st.claim_vm_dir(_launch("x"), _env(locked))


def test_bad_names_are_usage_errors(tmp_run: Path) -> None:
    from kata_cli.errors import UsageError

    for bad in ("", "-x", "a/b", "x" * 80, "../up"):
        with pytest.raises(UsageError):
            st.vm_dir(bad, _env(tmp_run))


# -- hybrid vsock relay -----------------------------------------------------------------
@pytest.fixture
def echo_chardev(tmp_path: Path) -> Iterator[str]:
    """A stand-in for QEMU's debug chardev: echoes what it receives, upper-cased."""
    path = str(tmp_path / "debug.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    server.settimeout(5)

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            while data := conn.recv(1024):
                conn.sendall(data.upper())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield path
    server.close()
    thread.join(timeout=5)


def test_relay_speaks_the_hybrid_vsock_handshake(tmp_path: Path, echo_chardev: str) -> None:
    relay = HvsockRelay.for_debug_console(str(tmp_path / "hv.sock"), echo_chardev)
    relay.start()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(5)
            client.connect(str(tmp_path / "hv.sock"))
            client.sendall(b"CONNECT 1026\n")
            assert client.recv(64) == b"OK 1026\n"
            client.sendall(b"hello")
            assert client.recv(64) == b"HELLO"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(5)
            client.connect(str(tmp_path / "hv.sock"))
            client.sendall(b"CONNECT 1024\n")
            assert client.recv(64) == b""  # no such port: closed without OK
    finally:
        relay.stop()
    assert not (tmp_path / "hv.sock").exists()


def test_kata_cli_console_client_reaches_the_relay(tmp_path: Path, echo_chardev: str) -> None:
    """The relay is what `exec`'s hybrid vsock client expects (issue 7's client)."""
    from kata_cli.console.hvsock import connect_hybrid_vsock

    relay = HvsockRelay.for_debug_console(str(tmp_path / "hv.sock"), echo_chardev)
    relay.start()
    try:
        sock = connect_hybrid_vsock(str(tmp_path / "hv.sock"), 1026, deadline=time.monotonic() + 3)
        with sock:
            sock.settimeout(5)
            sock.sendall(b"abc")
            assert sock.recv(16) == b"ABC"
    finally:
        relay.stop()


# -- QMP --------------------------------------------------------------------------------
def _fake_qmp(path: str, replies: dict[str, object]) -> threading.Thread:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        with conn, server:
            conn.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
            stream = conn.makefile("rb")
            for line in stream:
                command = json.loads(line)["execute"]
                if command == "boom":
                    conn.sendall(b'{"error": {"class": "GenericError", "desc": "no way"}}\r\n')
                    continue
                conn.sendall(b'{"event": "NOISE"}\r\n')
                reply = {"return": replies.get(command, {})}
                conn.sendall(json.dumps(reply).encode() + b"\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_qmp_client(tmp_path: Path) -> None:
    path = str(tmp_path / "qmp.sock")
    thread = _fake_qmp(path, {"query-status": {"status": "running", "running": True}})
    with Qmp(path, timeout=3) as qmp:
        assert qmp.execute("query-status") == {"status": "running", "running": True}
        with pytest.raises(QmpError, match="QMP boom: no way"):
            qmp.execute("boom")
        assert qmp.events and qmp.events[0]["event"] == "NOISE"
    thread.join(timeout=5)


def test_qmp_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(QmpError, match="cannot connect to QMP socket"):
        Qmp(str(tmp_path / "missing.sock"), timeout=1).connect()
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.bind(str(tmp_path / "silent.sock"))
    silent.listen(1)
    with silent, pytest.raises(QmpError, match=r"no answer within 0\.2s"):
        Qmp(str(tmp_path / "silent.sock"), timeout=0.2).connect()


def test_the_relay_serves_the_debug_console_port_the_configuration_names() -> None:
    from kata_cli.config.kernel_params import DEBUG_CONSOLE_VPORT
    from kata_cli.vm import relay

    assert relay.DEBUG_CONSOLE_VPORT == DEBUG_CONSOLE_VPORT


def test_the_supervisor_starts_without_the_configuration_machinery() -> None:
    """Every VM's supervisor imports this before it starts QEMU: keep it light."""
    import subprocess
    import sys

    code = "import sys, kata_cli.vm.supervisor; print(sorted(m for m in sys.modules if m.startswith(('kata_cli.config', 'tomllib', 'http.server'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"
