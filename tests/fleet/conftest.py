"""Fixtures for the fleet tests: node runs built from check results, a capable host."""

from __future__ import annotations

from kata_cli.checks.model import FAIL, PASS, CheckReport, CheckResult
from kata_cli.fleet.node import NodeRun


def result(
    check_id: str, status: str = PASS, category: str = "cpu", detail: str = ""
) -> CheckResult:
    return CheckResult(
        id=check_id,
        category=category,
        description=f"{check_id} works",
        status=status,
        required=True,
        detail=detail,
    )


def node_run(
    results: list[CheckResult] | None = None,
    *,
    node: str = "node-1",
    hypervisor: str = "qemu",
    flavour: str = "go",
    error: str = "",
    started: float = 1_800_000_000.0,
) -> NodeRun:
    run = NodeRun(node=node, started=started, duration=0.25, version="0.1.0")
    if error:
        run.error = error
        return run
    rows = results if results is not None else [result("cpu.flag.vmx")]
    capable = not any(r.status == FAIL for r in rows)
    run.report = CheckReport(capable=capable, can_create=None, results=rows)
    run.hypervisor, run.flavour = hypervisor, flavour
    return run
