"""The fixed vocabulary of `runtime.kata.reason`: why a node cannot run Kata.

Each value is derived from stable check ids, so a label selector or an alert written
today keeps matching. Every value is a valid Kubernetes label value (at most 63
characters of alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric); a test
proves it for arbitrary check results.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

from kata_cli.checks.model import FAIL, CheckResult
from kata_cli.record import record


@record(frozen=True)
class Reason:
    value: str  # the label value
    patterns: tuple[str, ...]  # check ids (shell patterns) it stands for
    text: str  # the shared diagnosis in plain words


# first match wins; the order puts hardware before installation before wiring, so the
# reason a node shows is the most fundamental thing to fix first
REASONS: tuple[Reason, ...] = (
    Reason("check-error", (), "the check itself could not run"),
    Reason("in-container", ("host.container",), "checked from inside a container"),
    Reason(
        "unsupported-cpu", ("cpu.vendor", "cpu.flags", "cpu.hypervisor-type"), "CPU not supported"
    ),
    Reason("nested-virtualization-off", (), "nested virtualization off"),
    Reason("virtualization-disabled", ("cpu.flag.vmx", "cpu.flag.svm"), "virtualization disabled"),
    Reason("missing-cpu-flag", ("cpu.flag.*",), "a required CPU flag is missing"),
    Reason(
        "no-kvm", ("module.kvm", "module.kvm_intel", "module.kvm_amd"), "KVM modules not loaded"
    ),
    Reason("kvm-module-parameter", ("module.kvm*.*",), "a KVM module parameter is wrong"),
    Reason("no-vhost", ("module.vhost", "module.vhost_net"), "vhost modules not loaded"),
    Reason("no-vhost-vsock", ("module.vhost_vsock", "vsock.*"), "no vhost-vsock device"),
    Reason("kvm-unusable", ("kvm.*",), "/dev/kvm cannot create a VM"),
    Reason("low-memory", ("host.memory",), "not enough memory for a sandbox"),
    Reason("config-error", ("config.*", "host.config"), "the Kata configuration does not load"),
    Reason("no-virtiofs-daemon", ("storage.virtio-fs",), "the virtio-fs daemon is missing"),
    Reason("storage-unavailable", ("storage.*",), "the configured storage is unavailable"),
    Reason("missing-assets", ("assets.*",), "Kata assets missing"),
    Reason("no-confidential-support", ("confidential.*",), "confidential guests unavailable"),
    Reason(
        "container-manager-config-error",
        ("wiring.*.config", "wiring.*.template"),
        "the container manager's configuration does not load",
    ),
    Reason(
        "no-kata-handler",
        ("wiring.manager", "wiring.*.handlers", "wiring.crio.runtime-type"),
        "no Kata runtime handler in the container manager",
    ),
    Reason("no-kata-shim", ("wiring.*.shim",), "the Kata shim of a runtime handler is missing"),
    Reason(
        "bad-handler-config",
        ("wiring.*.kata-config",),
        "a runtime handler's Kata configuration does not load",
    ),
    Reason(
        "no-snapshotter", ("wiring.*.snapshotter",), "a runtime handler's snapshotter is missing"
    ),
    Reason("boot-failed", ("boot.*",), "a test VM did not boot"),
    Reason("check-failed", ("*",), "a required check failed"),
)
BY_VALUE = {reason.value: reason for reason in REASONS}
VALUES = tuple(reason.value for reason in REASONS)
NESTED_MARK = "nested virtualization off"

LABEL_VALUE = re.compile(r"^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


def reason_for(result: CheckResult) -> Reason:
    """The vocabulary entry of one failing check."""
    if result.id in ("cpu.flag.vmx", "cpu.flag.svm") and NESTED_MARK in result.detail:
        return BY_VALUE["nested-virtualization-off"]
    check_id = result.id
    if check_id.startswith("wiring."):
        # `wiring.<manager>.<check>.<handler>`: the handler name (dots replaced) is not
        # part of what failed, and may itself read `config` or `shim`
        check_id = ".".join(check_id.split(".")[:3])
    for reason in REASONS[:-1]:
        if any(fnmatch.fnmatchcase(check_id, p) for p in reason.patterns):
            return reason
    if result.category == "wiring" or result.level == "wiring":
        return BY_VALUE["no-kata-handler"]  # a container-manager check added later
    return BY_VALUE["check-failed"]


def first_reason(results: Iterable[CheckResult]) -> Reason | None:
    """The most fundamental reason among the failing checks (None when nothing failed)."""
    found = [reason_for(r) for r in results if r.status == FAIL]
    if not found:
        return None
    return min(found, key=REASONS.index)


def label_value(text: str) -> str:
    """Any text as a Kubernetes label value (used for values not from the vocabulary)."""
    cleaned = re.sub(r"[^-A-Za-z0-9_.]+", "-", text)[:63]
    cleaned = cleaned.strip("-_.")
    return cleaned
