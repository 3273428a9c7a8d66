#!/usr/bin/env python3
"""`kata-cli fleet report` over 5,000 node documents (goal: at most 1.5 s end to end).

The documents are real `check` node documents (a run on a fixture host), copied with
5,000 node names, a third of them failing: once as a directory of files, once as the
stream `kubectl logs --prefix` prints. Also prints the ratio to bare `python3 -c pass`.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import BASELINE, kata_cli, median, report
from check import build_fixture

NODES = 5000
GOAL_SECONDS = 1.5


def node_documents(root: Path) -> list[dict]:
    from kata_cli.fleet.node import node_document, run_node
    from kata_cli.host import Host

    base = node_document(run_node(Host(root), "node", config_path=None, flavour=None))
    for check in base["checks"]:  # the fixture has no /dev/kvm: count it as working
        if check["id"] == "kvm.usable":
            check["status"], check["detail"] = "pass", "created and closed a test VM"
    base["capable"], base["can_create"], base["verdict"], base["reason"] = True, True, "capable", ""
    now = time.time()
    docs = []
    for index in range(NODES):
        doc = json.loads(json.dumps(base))
        doc["node"] = f"worker-{index:05d}"
        doc["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - index % 900))
        if index % 3 == 0:
            doc["verdict"], doc["capable"], doc["reason"] = "not-capable", False, ""
            for check in doc["checks"]:
                if check["id"] == "cpu.flag.vmx":
                    check["status"] = "fail"
                    check["detail"] = "CPU property not found (nested virtualization off)"
        docs.append(doc)
    return docs


def cpu_seconds(argv: list[str], runs: int = 5) -> float:
    """Median CPU time (user + system) of the command: on a loaded machine the wall time
    measures the other processes too."""
    import os
    import resource
    import statistics
    import subprocess

    env = {**os.environ, "NO_COLOR": "1"}
    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kata-cli-bench-") as tmp:
        root = Path(tmp) / "host"
        build_fixture(root)
        docs = node_documents(root)
        directory = Path(tmp) / "nodes"
        directory.mkdir()
        lines = []
        for doc in docs:
            text = json.dumps(doc)
            (directory / f"{doc['node']}.json").write_text(text + "\n")
            lines.append(f"[pod/kata-cli-{doc['node'][-5:]}/check] {text}\n")
            lines.append(f"[pod/kata-cli-{doc['node'][-5:]}/check] kata-cli: verdict line\n")
        stream = Path(tmp) / "logs.txt"
        stream.write_text("".join(lines))
        size = sum(len(line) for line in lines) / 2**20
        print(f"{NODES} node documents, {size:.1f} MiB of kubectl logs")
        baseline = median(BASELINE, runs=11)
        baseline_cpu = cpu_seconds(BASELINE, runs=11)
        for name, argv in (
            ("directory", kata_cli("fleet", "report", "--json", str(directory))),
            ("kubectl logs stream", kata_cli("fleet", "report", "--json", str(stream))),
            ("kubectl logs stream, text", kata_cli("fleet", "report", str(stream))),
        ):
            seconds = median(argv, runs=5)
            verdict = "met" if seconds <= GOAL_SECONDS else "MISSED"
            report(f"fleet report {NODES} nodes ({name})", seconds, baseline)
            cpu = cpu_seconds(argv)
            print(
                f"  goal <= {GOAL_SECONDS} s: {verdict}; CPU time {cpu * 1000:.0f} ms "
                f"(ratio {cpu / baseline_cpu:.1f} to python3 -c pass's {baseline_cpu * 1000:.0f} ms)"
            )


if __name__ == "__main__":
    main()
