"""A node's verdict as a Node Feature Discovery local-source feature file.

nfd-worker reads every file in `/etc/kubernetes/node-feature-discovery/features.d/`
(hidden files excepted): one `name=value` per line, `#` comments, and the directive
`# +expiry-time=<RFC 3339>` after which the features below it are dropped, so labels
vanish when the checker stops refreshing them. Each name becomes the node label
`feature.node.kubernetes.io/<name>`.
"""

from __future__ import annotations

from kata_cli.fleet.node import CAPABLE, UNKNOWN, NodeRun, rfc3339
from kata_cli.fleet.reasons import label_value

PREFIX = "feature.node.kubernetes.io/"
FEATURE = "runtime.kata"
HYPERVISOR = "runtime.kata.hypervisor"
REASON = "runtime.kata.reason"


def features(run: NodeRun) -> dict[str, str]:
    """The feature names and values; every value is a valid Kubernetes label value."""
    verdict = run.verdict
    value = {CAPABLE: "true", UNKNOWN: "unknown"}.get(verdict, "false")
    found = {FEATURE: value}
    hypervisor = label_value(run.hypervisor)
    if hypervisor:
        found[HYPERVISOR] = hypervisor
    reason = run.reason
    if reason is not None:
        found[REASON] = reason.value
    return found


def feature_file(run: NodeRun, expires: float) -> bytes:
    """The file's bytes; `expires` is seconds since the epoch."""
    lines = [
        f"# written by kata-cli check at {rfc3339(run.started)} for node {label_value(run.node)}",
        f"# +expiry-time={rfc3339(expires)}",
    ]
    lines += [f"{name}={value}" for name, value in features(run).items()]
    return ("\n".join(lines) + "\n").encode()
