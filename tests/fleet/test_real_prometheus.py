"""End to end with the real Debian node_exporter and Prometheus: `check --prometheus`
writes the textfile, node_exporter's textfile collector exposes it, Prometheus scrapes
it every second, and its HTTP API returns the node's `kata_check_capable`.

Both daemons listen on 127.0.0.1 on free ports, keep their data in tmp, are waited
for by polling with deadlines, and are stopped by the fixture's finalizer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[2]
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or "/usr/bin/prometheus-node-exporter"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"

pytestmark = pytest.mark.skipif(
    not (os.access(NODE_EXPORTER, os.X_OK) and os.access(PROMETHEUS, os.X_OK)),
    reason="needs Debian's prometheus and prometheus-node-exporter (scripts/test-setup.sh)",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read(4 * 1024 * 1024).decode())


def poll(what: str, deadline: float, probe: Callable[[], Any], procs: list) -> Any:
    """Call `probe` until it returns something truthy; fail at the deadline or when a
    daemon died (with its log)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for proc, log in procs:
            if proc.poll() is not None:
                pytest.fail(
                    f"{proc.args[0]} exited ({proc.returncode}):\n{log.read_text()[-2000:]}"
                )
        try:
            value = probe()
        except (OSError, ValueError, urllib.error.URLError):
            value = None
        if value:
            return value
        time.sleep(0.2)
    logs = "\n".join(f"{p.args[0]}:\n{log.read_text()[-2000:]}" for p, log in procs)
    pytest.fail(f"timed out after {deadline}s waiting for {what}\n{logs}")


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Callable[..., tuple[subprocess.Popen, Path]]]:
    started: list[tuple[subprocess.Popen, Path]] = []

    def start(*argv: str) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{Path(argv[0]).name}.log"
        handle = log.open("wb")
        proc = subprocess.Popen(
            list(argv),
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=tmp_path,
            start_new_session=True,
        )
        handle.close()
        started.append((proc, log))
        return proc, log

    yield start
    for proc, _ in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc, _ in started:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    assert all(proc.poll() is not None for proc, _ in started)


def test_prometheus_scrapes_the_node_value(fake_host, tmp_path, daemons):
    began = time.monotonic()
    fake_host.no_kvm()
    textfiles = tmp_path / "textfile"
    textfiles.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KATA_")}
    env["PYTHONPATH"] = str(REPO)
    check = subprocess.run(
        [
            *(sys.executable, "-m", "kata_cli", "--host-root", str(fake_host.root), "check"),
            *("-n", "--prometheus", str(textfiles / "kata-cli.prom")),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert check.returncode == 1, check.stderr  # the fixture host has no virtualization
    written = {
        f.name: f for f in text_string_to_metric_families((textfiles / "kata-cli.prom").read_text())
    }
    (sample,) = written["kata_check_capable"].samples
    expected = sample.value
    assert expected == 0 and sample.labels == {"hypervisor": "qemu", "flavour": "go"}

    exporter_port, prometheus_port = free_port(), free_port()
    exporter = daemons(
        NODE_EXPORTER,
        f"--web.listen-address=127.0.0.1:{exporter_port}",
        "--collector.disable-defaults",
        "--collector.textfile",
        f"--collector.textfile.directory={textfiles}",
    )
    metrics_url = f"http://127.0.0.1:{exporter_port}/metrics"
    exposed = poll(
        "node_exporter to expose kata_check_capable",
        30,
        lambda: "kata_check_capable{" in (text := http_get(metrics_url)) and text,
        [exporter],
    )
    assert 'kata_check_result{category="cpu",check="cpu.flag.vmx"' in exposed
    assert "node_textfile_scrape_error 0" in exposed

    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: node\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{exporter_port}']\n"
    )
    prometheus = daemons(
        PROMETHEUS,
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{prometheus_port}",
    )
    query = urllib.parse.urlencode({"query": "kata_check_capable"})
    api = f"http://127.0.0.1:{prometheus_port}/api/v1/query?{query}"

    def scraped() -> list:
        body = json.loads(http_get(api))
        return body["status"] == "success" and body["data"]["result"]

    (series,) = poll("Prometheus to return kata_check_capable", 90, scraped, [exporter, prometheus])
    assert float(series["value"][1]) == expected
    assert series["metric"]["hypervisor"] == "qemu" and series["metric"]["flavour"] == "go"
    assert series["metric"]["job"] == "node"
    print(f"node_exporter + Prometheus end to end: {time.monotonic() - began:.1f} s")
