#!/usr/bin/env python3
"""`kata-cli vm run` time-to-ready against a raw QEMU boot of the same guest, and teardown.

Both boot the cached test guest (kata-cli vm guest build) with the same accelerator
and wait for the same ready marker on the serial console; the raw boot runs the very
command line `kata-cli vm plan` prints. Goals: ratio <= 1.2, teardown (`vm stop`) < 1 s.
Also: `kata-cli vm list` startup against bare `python3 -c pass`.
Runs in a private run directory (KATA_CLI_RUN_DIR) and leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import BASELINE, kata_cli, median, report

RUNS = int(os.environ.get("BENCH_VM_RUNS", "3"))
CONFIG = """\
[hypervisor.qemu]
path = "/usr/bin/qemu-system-x86_64"
kernel = "/nonexistent"
default_memory = 256
[agent.kata]
"""


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=180, check=True)


def raw_boot(argv: list[str], log: Path, marker: bytes) -> float:
    """Start QEMU with the plan's command line, time the marker, kill it."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if marker in log.read_bytes():
                    return time.perf_counter() - start
            except OSError:
                pass
            if proc.poll() is not None:
                raise SystemExit(f"raw QEMU exited with {proc.returncode}")
            time.sleep(0.01)
    finally:
        proc.kill()
        proc.wait()


def main() -> None:
    run_dir = tempfile.mkdtemp(prefix="kcbench-", dir="/tmp")
    config = Path(run_dir) / "configuration.toml"
    config.write_text(CONFIG)
    env = {**os.environ, "KATA_CLI_RUN_DIR": run_dir, "NO_COLOR": "1"}
    base = [*kata_cli("--config", str(config)), "vm"]
    try:
        plan = json.loads(
            _run([*base, "plan", "--test-guest", "--name", "raw", "--json"], env).stdout
        )
        from kata_cli.vm.guest import find_test_guest

        guest = find_test_guest()
        assert guest is not None, "no test guest: run kata-cli vm guest build"
        marker = guest.ready_marker.encode()
        raw_dir = Path(run_dir) / "vms" / "raw"
        raw_times, run_times, stop_times = [], [], []
        for index in range(RUNS):
            raw_dir.mkdir(parents=True, exist_ok=True)
            raw_times.append(raw_boot(plan["argv"], Path(plan["console_log"]), marker))
            shutil.rmtree(raw_dir)
            name = f"bench{index}"
            start = time.perf_counter()
            _run([*base, "run", "--test-guest", "--detach", "--name", name], env)
            run_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            _run([*base, "stop", name], env)
            stop_times.append(time.perf_counter() - start)
        raw, run, stop = (statistics.median(t) for t in (raw_times, run_times, stop_times))
        ratio = run / raw
        print(f"accelerator: {plan['accel']}, runs: {RUNS}")
        print(f"raw QEMU boot to marker: median {raw * 1000:.0f} ms")
        print(
            f"kata-cli vm run --detach: median {run * 1000:.0f} ms, ratio {ratio:.2f} "
            f"(goal <= 1.2: {'met' if ratio <= 1.2 else 'MISSED'})"
        )
        print(
            f"kata-cli vm stop: median {stop * 1000:.0f} ms "
            f"(goal < 1 s: {'met' if stop < 1 else 'MISSED'})"
        )
        baseline = median(BASELINE, runs=11)
        report("kata-cli vm list (no VMs)", median([*base, "list"], 11, env), baseline)
    finally:
        subprocess.run([*base, "prune"], env=env, capture_output=True, timeout=60, check=False)
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
