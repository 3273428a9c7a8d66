"""Writes a run's files atomically: NFD features, Prometheus textfile, JSON document.

Each file is written to a temporary file in its own directory and renamed over the old
one (mode 0644), so nfd-worker and node_exporter never read half a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kata_cli.errors import KataError
from kata_cli.record import record

if TYPE_CHECKING:  # a plain `check` builds an empty Outputs: no fleet.node, no json
    from kata_cli.fleet.node import NodeRun

ONE_SHOT_EXPIRY = 3600.0  # a single run's labels expire after an hour
EXPIRY_INTERVALS = 3  # a periodic run's labels outlive two missed runs
FILE_MODE = 0o644


@record(frozen=True)
class Outputs:
    nfd: str | None = None
    prometheus: str | None = None
    json_out: str | None = None

    def any(self) -> bool:
        return bool(self.nfd or self.prometheus or self.json_out)


def expiry(run: NodeRun, interval: float | None) -> float:
    if interval is None:
        return run.started + ONE_SHOT_EXPIRY
    return run.started + max(EXPIRY_INTERVALS * interval, 60.0)


def write_outputs(outputs: Outputs, run: NodeRun, interval: float | None = None) -> None:
    """Write every requested file; the first failure is raised as one KataError."""
    from kata_cli.render import nfd, prometheus

    if outputs.nfd:
        _write(outputs.nfd, nfd.feature_file(run, expiry(run, interval)), "--nfd")
    if outputs.prometheus:
        _write(outputs.prometheus, prometheus.textfile(run), "--prometheus")
    if outputs.json_out:
        from kata_cli.fleet.node import node_document
        from kata_cli.render.jsonout import json_text

        data = json_text(node_document(run)) + "\n"
        _write(outputs.json_out, data.encode("utf-8"), "--json-out")


def _write(path: str, data: bytes, option: str) -> None:
    from kata_cli.host import atomic_write

    try:
        atomic_write(path, data, FILE_MODE)
    except OSError as exc:
        raise KataError(
            f"{option} {path}: cannot write: {exc.strerror or exc}",
            "name a file in an existing, writable directory",
        ) from None
