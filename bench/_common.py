"""Shared benchmark helpers: median wall time of a command vs bare `python3 -c pass`.

Benchmarks print ratios measured in the same run, so they compare like with like on
whatever machine runs them. They are not timed tests and never fail on a slow machine.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

PYTHON = sys.executable
BASELINE = [PYTHON, "-c", "pass"]


def wall_time(
    argv: Sequence[str], env: dict[str, str], timeout: float = 120, **kwargs: object
) -> float:
    """One run's wall time. A blocking wait measures exactly (subprocess.run(timeout=...)
    polls with sleeps of up to 50 ms and would round runs up); a timer kills a hung run.

    Runs happen in `/` (`python -m kata_cli` in a checkout would import the source tree
    beside it, not the installed copy) and may write bytecode caches, as a user's
    interpreter does (PYTHONDONTWRITEBYTECODE in a developer's shell would otherwise make
    every run compile every module again)."""
    env = {name: value for name, value in env.items() if name != "PYTHONDONTWRITEBYTECODE"}
    kwargs.setdefault("cwd", "/")
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, **kwargs
    )  # type: ignore[call-overload]
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        proc.wait()
    finally:
        watchdog.cancel()
    return time.perf_counter() - start


def wall_times(
    argv: Sequence[str], runs: int, env: dict[str, str] | None = None, **kwargs: object
) -> list[float]:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return [wall_time(argv, full_env, **kwargs) for _ in range(runs)]


def median(argv: Sequence[str], runs: int = 21, env: dict[str, str] | None = None) -> float:
    wall_times(argv, 2, env)  # warm the page cache
    return statistics.median(wall_times(argv, runs, env))


def kata_cli(*args: str) -> list[str]:
    """How to run the CLI: the installed entry point's interpreter, as a user would."""
    return [PYTHON, "-m", "kata_cli", *args]


def report(name: str, seconds: float, baseline: float, goal: float | None = None) -> float:
    ratio = seconds / baseline
    goal_text = (
        "" if goal is None else f"  (goal <= {goal}: {'met' if ratio <= goal else 'MISSED'})"
    )
    print(
        f"{name}: median {seconds * 1000:.1f} ms, baseline {baseline * 1000:.1f} ms, ratio {ratio:.2f}{goal_text}"
    )
    return ratio
