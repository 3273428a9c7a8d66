"""`check --every`: run the checks periodically until stopped, for a DaemonSet.

Each run rewrites the outputs atomically; a run that fails writes an "unknown" verdict
and the loop goes on; one log line on stderr when the verdict changes; the sleep between
runs is the interval +-10% so a fleet does not run in lockstep. SIGTERM and SIGINT end
the wait at once (exit 143 and 130). After each run the state file records it, for
`kata-cli fleet probe` (a liveness probe).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from kata_cli import jsonread
from kata_cli.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, KataError
from kata_cli.fleet.node import NodeRun, node_document, rfc3339
from kata_cli.fleet.outputs import Outputs, write_outputs
from kata_cli.record import field, record

STATE_SCHEMA = "kata-cli/check-state/1"
JITTER = 0.1
MIN_INTERVAL = 0.001
MAX_INTERVAL = 7 * 24 * 3600.0
STATE_LIMIT = 64 * 1024
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|s|m|h|d)")


def parse_duration(text: str) -> float:
    """`10m`, `1h30m`, `30s`, `0.5s`, `250ms` or a bare number of seconds."""
    value = text.strip()
    if re.fullmatch(r"\d+(?:\.\d*)?|\.\d+", value):
        seconds = float(value)
    else:
        parts = _PART.findall(value)
        if not parts or "".join(n + u for n, u in parts) != value:
            raise ValueError(f"{text!r} is not a duration (e.g. 30s, 10m, 1h30m)")
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise ValueError(f"{text!r}: a duration is between 1ms and 7 days")
    return seconds


def default_state_path(environ: dict[str, str], uid: int) -> str:
    """Root: /run/kata-cli/check-state.json; others: under XDG_RUNTIME_DIR, else /tmp."""
    if uid == 0:
        return "/run/kata-cli/check-state.json"
    runtime_dir = environ.get("XDG_RUNTIME_DIR")
    if runtime_dir and os.path.isabs(runtime_dir):
        return os.path.join(runtime_dir, "kata-cli-check-state.json")
    return f"/tmp/kata-cli-check-state-{uid}.json"


def jittered(interval: float, rng: random.Random) -> float:
    return interval * rng.uniform(1 - JITTER, 1 + JITTER)


@record
class Loop:
    """The periodic loop. `run_once` never raises (a failed run is an unknown verdict)."""

    run_once: Callable[[], NodeRun]
    outputs: Outputs
    interval: float
    state_path: str
    json_lines: bool = False
    count: int | None = None  # stop after this many runs (tests, one-off jobs)
    log: Callable[[str], None] = field(default=lambda line: None)
    emit: Callable[[str], None] = field(default=lambda line: None)
    rng: random.Random = field(default_factory=random.Random)
    stop: threading.Event = field(default_factory=threading.Event)
    signum: int = 0
    iterations: int = 0
    last: NodeRun | None = None

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.signum = signum
        self.stop.set()

    def run(self) -> int:
        """Loop until a signal (exit 143/130) or `count` runs (exit 0 capable, else 1)."""
        previous = _install({signal.SIGTERM: self._on_signal, signal.SIGINT: self._on_signal})
        started = time.time()
        change = ""
        try:
            self.log(f"checking every {self.interval:g}s; state file {self.state_path}")
            while not self.stop.is_set():
                run = self.run_once()
                write_error = self._write(run)
                change = _change(self.last, run)
                if change:
                    self.log(change)
                self.last = run
                self.iterations += 1
                self._state(run, started, write_error)
                if self.count is not None and self.iterations >= self.count:
                    break
                self.stop.wait(jittered(self.interval, self.rng))
        finally:
            _install(previous)
        if self.signum == signal.SIGTERM:
            self.log("stopped by SIGTERM")
            return EXIT_TERMINATED
        if self.signum:
            self.log("interrupted")
            return EXIT_INTERRUPTED
        return 0 if self.last is not None and self.last.verdict == "capable" else 1

    def _write(self, run: NodeRun) -> str:
        try:
            write_outputs(self.outputs, run, self.interval)
        except KataError as exc:
            self.log(f"error: {exc.one_line()}")
            return exc.one_line()
        if self.json_lines:
            try:
                from kata_cli.render.jsonout import json_text

                self.emit(json_text(node_document(run)))
            except (OSError, ValueError):  # a closed stdout must not stop the labels
                pass
        return ""

    def _state(self, run: NodeRun, started: float, write_error: str) -> None:
        from kata_cli.host import atomic_write, make_local_dirs

        reason = run.reason
        state = {
            "schema": STATE_SCHEMA,
            "pid": os.getpid(),
            "started": rfc3339(started),
            "last_run": rfc3339(run.started),
            "last_run_epoch": round(run.started, 3),
            "interval_seconds": self.interval,
            "iterations": self.iterations,
            "node": run.node,
            "verdict": run.verdict,
            "reason": reason.value if reason else "",
            "write_error": write_error,
        }
        try:
            directory = os.path.dirname(self.state_path) or "."
            make_local_dirs(directory, mode=0o755)
            atomic_write(self.state_path, (json.dumps(state) + "\n").encode(), 0o644)
        except OSError as exc:
            self.log(f"error: state file {self.state_path}: {exc.strerror or exc}")


def _change(previous: NodeRun | None, run: NodeRun) -> str:
    """The log line when the verdict (or its reason) changed, else ''."""
    reason = run.reason.value if run.reason else ""
    old = "none" if previous is None else previous.verdict
    old_reason = previous.reason.value if previous and previous.reason else ""
    if previous is not None and (old, old_reason) == (run.verdict, reason):
        return ""
    because = f" ({reason})" if reason else ""
    if run.error:
        because = f" ({reason}: {run.error})"
    return f"{rfc3339(run.started)} verdict {old} -> {run.verdict}{because}"


def _install(handlers: dict[int, Any]) -> dict[int, Any]:
    """Install signal handlers (main thread only); return the previous ones."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}


@record
class ProbeResult:
    ok: bool
    message: str


def probe_state(text: str, now: float, max_age: float | None) -> ProbeResult:
    """Is the loop alive? Its state file records a run younger than `max_age`
    (default: three intervals plus a minute)."""
    try:
        state = jsonread.loads(text)
    except ValueError:
        return ProbeResult(False, "the state file is not JSON")
    if not isinstance(state, dict) or state.get("schema") != STATE_SCHEMA:
        return ProbeResult(False, f"the state file is not a {STATE_SCHEMA} document")
    last = state.get("last_run_epoch")
    interval = state.get("interval_seconds")
    if not isinstance(last, int | float) or isinstance(last, bool):
        return ProbeResult(False, "the state file has no last_run_epoch")
    if max_age is None:
        if not isinstance(interval, int | float) or not 0 < interval <= MAX_INTERVAL:
            return ProbeResult(False, "the state file has no valid interval_seconds")
        max_age = 3 * float(interval) + 60.0
    age = now - float(last)
    if age > max_age:
        return ProbeResult(False, f"the last run was {age:.0f}s ago (limit {max_age:.0f}s)")
    verdict = state.get("verdict", "unknown")
    return ProbeResult(True, f"last run {age:.0f}s ago, verdict {verdict}")
