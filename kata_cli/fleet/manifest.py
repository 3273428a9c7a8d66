"""`fleet manifest`: the Kubernetes objects that run `check --every` on every node.

Namespace, ServiceAccount and DaemonSet as plain dicts (rendered to YAML elsewhere).
What each privilege is for, and what degrades without it:

* the node's root read-only at /host (`--host-root /host`): every check reads the CPU,
  modules, configuration, assets and container-manager files there;
* /dev at /host/dev and `privileged` (unless --no-kvm-test): `kvm.usable` opens
  /dev/kvm and creates a VM, which the device cgroup forbids to an unprivileged pod;
  without it the DaemonSet passes `--ignore kvm.usable` and the verdict covers the rest;
* user 0: the hostPath directories below belong to root, and some host files are
  readable by root only;
* hostPath NFD features.d (with --nfd) and node_exporter's textfile directory (with
  --prometheus): where the results go; nothing else on the node is writable;
* no API access (no token), no host network, no host PID namespace.
"""

from __future__ import annotations

import re
from typing import Any

from kata_cli.record import record

APP = "kata-cli"
LABELS = {"app.kubernetes.io/name": APP, "app.kubernetes.io/component": "node-check"}
NFD_DIR = "/etc/kubernetes/node-feature-discovery/features.d"
TEXTFILE_DIR = "/var/lib/node_exporter/textfile_collector"
STATE_FILE = "/run/kata-cli/check-state.json"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}$")


@record(frozen=True)
class ManifestOptions:
    image: str
    namespace: str = APP
    every: str = "10m"
    nfd: bool = False
    prometheus: bool = False
    kvm_test: bool = True
    nfd_dir: str = NFD_DIR
    textfile_dir: str = TEXTFILE_DIR
    interval_seconds: float = 600.0


def problems(options: ManifestOptions) -> list[str]:
    """What is wrong with the options (empty when they make valid objects)."""
    found = []
    if not DNS_LABEL.match(options.namespace):
        found.append(f"--namespace {options.namespace!r}: not a DNS label (a-z, 0-9, -)")
    if not IMAGE.match(options.image):
        found.append(f"--image {options.image!r}: not an image reference")
    for option, path in (("--nfd-dir", options.nfd_dir), ("--textfile-dir", options.textfile_dir)):
        if not path.startswith("/") or "\n" in path or len(path) > 4096:
            found.append(f"{option} {path!r}: name an absolute path on the node")
    return found


def objects(options: ManifestOptions) -> list[dict[str, Any]]:
    meta = {"namespace": options.namespace, "labels": dict(LABELS)}
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": options.namespace,
            "labels": {
                **LABELS,
                # hostPath volumes (and the KVM test's privileged container) are beyond
                # the "baseline" Pod Security Standard
                "pod-security.kubernetes.io/enforce": "privileged",
            },
        },
    }
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": APP, **meta},
        "automountServiceAccountToken": False,
    }
    daemonset = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": APP, **meta},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": APP}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
            "template": {"metadata": {"labels": dict(LABELS)}, "spec": _pod(options)},
        },
    }
    return [namespace, account, daemonset]


def command_line(options: ManifestOptions) -> str:
    """The `fleet manifest` command that makes these objects (for the YAML header)."""
    words = ["kata-cli", "fleet", "manifest", "--image", options.image]
    words += ["--namespace", options.namespace, "--every", options.every]
    words += ["--nfd"] if options.nfd else []
    words += ["--nfd-dir", options.nfd_dir] if options.nfd and options.nfd_dir != NFD_DIR else []
    words += ["--prometheus"] if options.prometheus else []
    if options.prometheus and options.textfile_dir != TEXTFILE_DIR:
        words += ["--textfile-dir", options.textfile_dir]
    words += [] if options.kvm_test else ["--no-kvm-test"]
    import shlex

    return " ".join(shlex.quote(word) for word in words)


def check_args(options: ManifestOptions) -> list[str]:
    args = ["--host-root", "/host", "check", "--every", options.every, "--json"]
    args += ["--state-file", STATE_FILE]
    if options.nfd:
        args += ["--nfd", "/output/nfd/kata-cli"]
    if options.prometheus:
        args += ["--prometheus", "/output/textfile/kata-cli.prom"]
    if not options.kvm_test:
        args += ["--ignore", "kvm.usable"]
    return args


def _pod(options: ManifestOptions) -> dict[str, Any]:
    mounts: list[dict[str, Any]] = [
        {
            "name": "host-root",
            "mountPath": "/host",
            "readOnly": True,
            "mountPropagation": "HostToContainer",
        },
        {"name": "state", "mountPath": "/run/kata-cli"},
        {"name": "tmp", "mountPath": "/tmp"},
    ]
    volumes: list[dict[str, Any]] = [
        {"name": "host-root", "hostPath": {"path": "/", "type": "Directory"}},
        {"name": "state", "emptyDir": {"sizeLimit": "1Mi"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
    ]
    if options.kvm_test:
        mounts.append({"name": "host-dev", "mountPath": "/host/dev", "readOnly": True})
        volumes.append({"name": "host-dev", "hostPath": {"path": "/dev", "type": "Directory"}})
    if options.nfd:
        mounts.append({"name": "nfd-features", "mountPath": "/output/nfd"})
        volumes.append(
            {
                "name": "nfd-features",
                "hostPath": {"path": options.nfd_dir, "type": "DirectoryOrCreate"},
            }
        )
    if options.prometheus:
        mounts.append({"name": "textfile", "mountPath": "/output/textfile"})
        volumes.append(
            {
                "name": "textfile",
                "hostPath": {"path": options.textfile_dir, "type": "DirectoryOrCreate"},
            }
        )
    probe_period = int(min(max(options.interval_seconds, 10), 300))
    container: dict[str, Any] = {
        "name": "check",
        "image": options.image,
        "imagePullPolicy": "IfNotPresent",
        "args": check_args(options),
        "env": [
            {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "KATA_CHECK_NO_NETWORK", "value": "1"},
            {"name": "NO_COLOR", "value": "1"},
            {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
        ],
        "resources": {
            "requests": {"cpu": "10m", "memory": "48Mi"},
            "limits": {"cpu": "250m", "memory": "128Mi"},
        },
        "livenessProbe": {
            "exec": {"command": ["kata-cli", "fleet", "probe", "--state-file", STATE_FILE]},
            "initialDelaySeconds": 60,
            "periodSeconds": probe_period,
            "timeoutSeconds": 10,
            "failureThreshold": 3,
        },
        "securityContext": _security(options),
        "volumeMounts": mounts,
    }
    return {
        "serviceAccountName": APP,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "hostNetwork": False,
        "hostPID": False,
        "terminationGracePeriodSeconds": 5,
        "tolerations": [{"operator": "Exists"}],
        "containers": [container],
        "volumes": volumes,
    }


def _security(options: ManifestOptions) -> dict[str, Any]:
    common: dict[str, Any] = {
        "runAsUser": 0,
        "runAsGroup": 0,
        "readOnlyRootFilesystem": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if options.kvm_test:
        # the device cgroup only lets a privileged container open /dev/kvm
        return {"privileged": True, **common}
    return {
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        **common,
    }
