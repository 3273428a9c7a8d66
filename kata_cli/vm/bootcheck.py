"""`check --boot`: boot a real VM, run a command on its console, tear it down, time it.

Stages, in order: spawn, firmware, kernel, ready, console, teardown, done. A failing
report names the stage it stopped at and the last lines the VM (or QEMU) printed.
"""

from __future__ import annotations

import os
import time

from kata_cli.config.model import Config
from kata_cli.errors import KataError
from kata_cli.host import NOT_RUN_OUTSIDE_ROOT, Host
from kata_cli.record import field, record, replace
from kata_cli.vm import lifecycle
from kata_cli.vm import state as st
from kata_cli.vm.accel import choose_accel
from kata_cli.vm.guest import DEFAULT_MARKER, find_test_guest
from kata_cli.vm.plan import build_plan
from kata_cli.vm.sizing import vm_size

PROBE_WORD = "kata-cli-boot-ok"
NOT_RUN = "not run"  # the stage of a boot that was not attempted (check makes it a SKIP)
BOOT_MEMORY_MIB = 256


@record
class BootReport:
    ok: bool
    stage: str
    seconds: float | None
    detail: str
    last_output: list[str] = field(default_factory=list)


def _config_or_default(host: Host, config: Config | None) -> Config:
    if config is not None:
        return config
    from kata_cli.config import load

    return load(host)


def boot_check(
    host: Host,
    config: Config | None,
    *,
    use_test_guest: bool,
    timeout: float,
    ready_marker: str = "",
) -> BootReport:
    """Boot, reach the console, run `echo`, tear down. Never raises for a failed boot.

    `ready_marker` overrides the console line that means ready (the test guest's
    KATA-CLI-GUEST-READY by default, which a Kata image never prints)."""
    stage = "spawn"
    name = f"bootcheck-{os.getpid()}-{time.monotonic_ns() % 100000}"
    record: st.VmRecord | None = None
    if not use_test_guest and not host.is_native:
        # the configured hypervisor is a program of another root: never run here (README)
        return BootReport(False, NOT_RUN, None, f"{NOT_RUN_OUTSIDE_ROOT}: boot on the host itself")
    try:
        cfg = _config_or_default(host, config)
        guest = None
        if use_test_guest:
            guest = find_test_guest(host.env)
            if guest is None:
                return BootReport(
                    False,
                    stage,
                    None,
                    "no test guest is cached (build it with: kata-cli vm guest build)",
                )
            if not host.is_native:
                # programs another root names never run here: this machine's QEMU boots it
                hv = replace(cfg.hypervisor, path="", virtio_fs_daemon="")
                cfg = replace(cfg, hypervisor=hv)
        hv = cfg.hypervisor
        size = vm_size(
            hv.default_vcpus,
            hv.default_maxvcpus,
            BOOT_MEMORY_MIB if guest else hv.default_memory,
            hv.default_maxmemory,
        )
        choice = choose_accel(host, "auto")
        directory = st.vm_dir(name, host.env)
        plan = build_plan(
            host, cfg, name=name, directory=directory, accel=choice.accel, size=size, guest=guest
        )
        marker = ready_marker or (guest.ready_marker if guest else DEFAULT_MARKER)
        started = time.monotonic()
        directory = lifecycle.start(
            plan,
            ready_marker=marker,
            ready_timeout=timeout,
            accel_auto=True,
            detach=True,
            env=host.env,
        )
        record = st.judge(name, directory)
        state = lifecycle.wait_ready(directory, timeout, host.env)
        seconds = round(time.monotonic() - started, 3)
        record = st.judge(name, directory)
        stage = "console"
        output, status = _run_probe(directory, max(5.0, timeout / 2))
        if status != 0 or PROBE_WORD not in output:
            return _fail(record, stage, f"the console command returned {status}: {output!r}")
        stage = "teardown"
        result = lifecycle.stop(record, grace=3.0)
        record = None
        detail = f"booted with {state.accel} in {seconds:.2f}s, teardown {result.seconds:.2f}s"
        return BootReport(True, "done", seconds, detail, [])
    except lifecycle.BootFailed as exc:
        report = BootReport(False, exc.stage, None, exc.message, exc.last_output)
        _cleanup(record)
        return report
    except KataError as exc:
        report = BootReport(False, stage, None, exc.one_line(), _lines(record))
        _cleanup(record)
        return report
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM (errors.Terminated): the VM goes with us
        _cleanup(record)
        raise


def _run_probe(directory: os.PathLike[str] | str, timeout: float) -> tuple[str, int]:
    from kata_cli.config.kernel_params import DEBUG_CONSOLE_VPORT
    from kata_cli.console.hvsock import connect_hybrid_vsock
    from kata_cli.console.oneshot import run_oneshot

    path = os.path.join(directory, st.HVSOCK_SOCKET)
    sock = connect_hybrid_vsock(path, DEBUG_CONSOLE_VPORT, deadline=time.monotonic() + timeout)
    try:
        output, status = run_oneshot(sock, ["echo", PROBE_WORD], timeout=timeout)
    finally:
        sock.close()
    return output.decode("utf-8", "replace"), status


def _lines(record: st.VmRecord | None) -> list[str]:
    return lifecycle.last_lines(record.directory) if record is not None else []


def _fail(record: st.VmRecord, stage: str, detail: str) -> BootReport:
    report = BootReport(False, stage, None, detail, _lines(record))
    _cleanup(record)
    return report


def _cleanup(record: st.VmRecord | None) -> None:
    if record is None:
        return
    try:
        lifecycle.stop(st.judge(record.name, record.directory), grace=1.0)
    except (KataError, OSError):
        pass
