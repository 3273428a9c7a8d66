"""Shared benchmark helpers: median wall time of a command vs bare `python3 -c pass`.

Benchmarks print ratios measured in the same run, so they compare like with like on
whatever machine runs them. They are not timed tests and never fail on a slow machine.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

PYTHON = sys.executable
BASELINE = [PYTHON, "-c", "pass"]


def wall_times(
    argv: Sequence[str], runs: int, env: dict[str, str] | None = None, **kwargs: object
) -> list[float]:
    times = []
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            list(argv),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=full_env,
            timeout=120,
            **kwargs,
        )  # type: ignore[call-overload]
        times.append(time.perf_counter() - start)
    return times


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
