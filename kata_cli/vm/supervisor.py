"""The per-VM supervisor: `python -m kata_cli.vm.supervisor [--daemonize] VM_DIR`.

It keeps QEMU (and virtiofsd, when sharing with virtio-fs) as direct children, so
nothing is re-parented and every exit is reaped; relays hybrid vsock to the debug
port; watches the console log (QEMU's chardev `logfile=`, so no output is lost while
nobody is attached) for the ready marker; and records every change in state.json.
With `--daemonize` it double-forks first, so the CLI that started it never has to
reap it and may exit (or be killed) at any time.

Boot stages, as reported: spawn (QEMU did not start), firmware (no firmware output),
kernel (the firmware handed over, the kernel printed nothing), ready (the kernel runs,
no ready marker yet). With `accel_auto` and KVM, a kernel that prints nothing within
`kvm_progress_timeout` (8 s) makes the supervisor restart QEMU under TCG and say so.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from kata_cli.vm import state as st
from kata_cli.vm.relay import HvsockRelay

if TYPE_CHECKING:  # http.server only for `vm run --sandbox`
    from kata_cli.vm.shimapi import ShimEndpoint

POLL = 0.02
VIRTIOFSD_TIMEOUT = 5.0
FIRMWARE_SIGNS = (b"SeaBIOS", b"Booting from", b"EFI", b"OVMF")
KERNEL_SIGNS = (b"Linux version", b"[    0.", b"Decompressing Linux", b"early console")


def boot_stage(log: bytes, marker: bytes) -> str:
    """The stage a boot has reached, judged from the console output so far."""
    if marker and marker in log:
        return "done"
    if any(sign in log for sign in KERNEL_SIGNS):
        return "ready"
    if any(sign in log for sign in FIRMWARE_SIGNS):
        return "kernel"
    return "firmware"


def timeout_detail(stage: str, marker: str, timeout: float) -> str:
    """Why a boot timed out, in words that name the stage."""
    if stage in ("firmware", "kernel"):
        return (
            f"the guest printed nothing on the serial console (ttyS0) within {timeout:g}s "
            f"(stuck at stage {stage}: no kernel output; a kernel built without a serial "
            "console, or one that logs to hvc0, looks like this)"
        )
    return (
        f"the kernel runs but printed no ready marker {marker!r} within {timeout:g}s "
        "(a guest that never prints it needs another marker: vm run --ready-marker LINE)"
    )


def daemon_socket(argv: list[str]) -> Path:
    """The socket a virtiofsd command line (`--socket-path=...`) serves."""
    arg = next((a for a in argv if a.startswith("--socket-path=")), "")
    return Path(arg.removeprefix("--socket-path="))


def tcg_argv(argv: list[str]) -> list[str]:
    """The same command line under TCG: `-machine ...,accel=tcg` and `-cpu max,...`."""
    result = list(argv)
    for index, arg in enumerate(result[:-1]):
        value = result[index + 1]
        if arg == "-machine":
            result[index + 1] = value.replace("accel=kvm", "accel=tcg")
        elif arg == "-cpu" and (value == "host" or value.startswith("host,")):
            result[index + 1] = "max" + value[len("host") :]
    return result


class Supervisor:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        launch = st.read_launch(directory)
        if launch is None:
            raise SystemExit(f"kata-cli supervisor: no launch.json in {directory}")
        self.launch = launch
        self.state = st.VmState(
            status="booting", supervisor=st.ProcessRef.of(os.getpid()), accel=launch.accel
        )
        self.qemu: subprocess.Popen[bytes] | None = None
        self.virtiofsd: list[subprocess.Popen[bytes]] = []
        self.relay: HvsockRelay | None = None
        self.shim: ShimEndpoint | None = None
        self.stopping = False

    # -- helpers -----------------------------------------------------------------------
    def _save(self) -> None:
        st.write_state(self.directory, self.state)

    def _log(self) -> int:
        return os.open(self.directory / st.QEMU_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        if self.qemu is not None and self.qemu.poll() is None:
            self.qemu.terminate()  # QEMU quits cleanly on SIGTERM

    def _console(self) -> bytes:
        try:
            with open(self.directory / st.CONSOLE_LOG, "rb") as handle:
                return handle.read()
        except OSError:
            return b""

    # -- phases ------------------------------------------------------------------------
    def start_virtiofsd(self) -> bool:
        """One daemon per virtio-fs share; each must create its socket before QEMU starts."""
        return all(self._start_one_virtiofsd(argv) for argv in self.launch.virtiofsd_argv)

    def _start_one_virtiofsd(self, argv: list[str]) -> bool:
        socket_path = daemon_socket(argv)
        log = self._log()
        try:
            daemon = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        except OSError as exc:
            self.state.detail = f"virtiofsd could not start: {exc.strerror or exc}"
            return False
        finally:
            os.close(log)
        self.virtiofsd.append(daemon)
        ref = st.ProcessRef.of(daemon.pid)
        if ref is not None:
            self.state.virtiofsd.append(ref)
        self._save()
        deadline = time.monotonic() + VIRTIOFSD_TIMEOUT
        while time.monotonic() < deadline:
            if socket_path.exists():
                return True
            if daemon.poll() is not None:
                break
            time.sleep(POLL)
        self.state.detail = f"virtiofsd did not create its socket {socket_path.name}"
        return False

    def start_qemu(self, argv: list[str]) -> bool:
        with contextlib.suppress(FileNotFoundError):
            (self.directory / st.CONSOLE_LOG).unlink()
        log = self._log()
        try:
            self.qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        except OSError as exc:
            self.state.detail = f"{argv[0]}: {exc.strerror or exc}"
            return False
        finally:
            os.close(log)
        self.state.qemu = st.ProcessRef.of(self.qemu.pid)
        self.state.stage = "firmware"
        self._save()
        return True

    def wait_ready(self, argv: list[str]) -> None:
        assert self.qemu is not None
        marker = self.launch.ready_marker.encode()
        started = time.monotonic()
        deadline = started + self.launch.ready_timeout
        while not self.stopping:
            log = self._console()
            stage = boot_stage(log, marker)
            if stage != self.state.stage:
                self.state.stage = stage
                if stage == "done":
                    self.state.status = "ready"
                    self.state.ready_seconds = round(time.monotonic() - started, 3)
                    cli = self.launch.cli
                    self.state.unclaimed = cli is not None and not cli.alive()
                self._save()
            if stage == "done":
                return
            if self.qemu.poll() is not None:
                self.state.status = "failed"
                self.state.exit_code = self.qemu.returncode
                self.state.detail = f"QEMU exited with status {self.qemu.returncode} during boot"
                return
            now = time.monotonic()
            if (
                self.launch.accel_auto
                and self.state.accel == "kvm"
                and stage in ("firmware", "kernel")
                and now - started > self.launch.kvm_progress_timeout
            ):
                self._fall_back_to_tcg(argv)
                started = time.monotonic()
                deadline = started + self.launch.ready_timeout
                continue
            if now > deadline:
                self.state.status = "failed"
                self.state.detail = timeout_detail(
                    stage, self.launch.ready_marker, self.launch.ready_timeout
                )
                self._kill_qemu()
                return
            time.sleep(POLL)

    def _fall_back_to_tcg(self, argv: list[str]) -> None:
        self._kill_qemu()
        argv[:] = tcg_argv(argv)
        self.state.accel = "tcg"
        self.state.detail = (
            f"no kernel output within {self.launch.kvm_progress_timeout:g}s under KVM: "
            "restarted under TCG"
        )
        self.start_qemu(argv)

    def _kill_qemu(self) -> None:
        if self.qemu is not None and self.qemu.poll() is None:
            self.qemu.kill()
            self.qemu.wait()

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        self._save()
        argv = list(self.launch.argv)
        if not self.start_virtiofsd() or not self.start_qemu(argv):
            self.state.status = "failed"
            self.state.stage = "spawn"
            self._finish()
            return 1
        self.relay = HvsockRelay.for_debug_console(
            str(self.directory / st.HVSOCK_SOCKET), str(self.directory / st.DEBUG_SOCKET)
        )
        self.relay.start()
        if self.launch.sandbox_socket:
            from kata_cli.vm.shimapi import ShimEndpoint

            self.shim = ShimEndpoint(
                self.launch.sandbox_socket,
                self.launch.sandbox_agent_url,
                self.launch.sandbox_made_dirs,
            )
            try:
                self.shim.start()
            except OSError as exc:
                self.state.detail = f"cannot serve {self.launch.sandbox_socket}: {exc}"
                self.shim = None
        self.wait_ready(argv)
        self._save()
        assert self.qemu is not None
        while self.qemu.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.qemu.wait(timeout=0.5)
        if self.state.status != "failed":
            self.state.status = "exited"
            self.state.exit_code = self.qemu.returncode
        self._finish()
        return 0

    def _finish(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        if self.shim is not None:
            self.shim.stop()
        for daemon in self.virtiofsd:
            if daemon.poll() is None:
                daemon.terminate()
        for daemon in self.virtiofsd:
            try:
                daemon.wait(timeout=2)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        daemon_sockets = [daemon_socket(argv) for argv in self.launch.virtiofsd_argv]
        for name in (st.QMP_SOCKET, st.CONSOLE_SOCKET, st.DEBUG_SOCKET):
            with contextlib.suppress(FileNotFoundError):
                (self.directory / name).unlink()
        for path in daemon_sockets:
            with contextlib.suppress(OSError):
                path.unlink()
        self._save()


def _daemonize(log_path: Path) -> None:
    """Double fork: the caller's child exits at once; the grandchild runs on, unowned."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    null = os.open(os.devnull, os.O_RDWR)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)


def main(argv: list[str]) -> int:
    args = argv[1:]
    daemonize = bool(args) and args[0] == "--daemonize"
    if daemonize:
        args = args[1:]
    if len(args) != 1:
        sys.stderr.write("usage: python -m kata_cli.vm.supervisor [--daemonize] VM_DIR\n")
        return 2
    directory = Path(args[0])
    if daemonize:
        _daemonize(directory / st.SUPERVISOR_LOG)
    return Supervisor(directory).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
