"""`fleet manifest`: valid Kubernetes objects (kubernetes-validate, three minors), least
privilege, and a DaemonSet command line that really runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from kubernetes_validate import utils as kv

from kata_cli.fleet.manifest import STATE_FILE

OPTION_SETS = [
    [],
    ["--nfd", "--prometheus"],
    ["--nfd", "--prometheus", "--no-kvm-test", "--every", "1h", "--namespace", "ops"],
    ["--image", "registry.example.com/kata/kata-cli@sha256:" + "a" * 64, "--prometheus"],
]


def kubernetes_versions() -> list[str]:
    """The latest Kubernetes minor kubernetes-validate knows, and the two before it."""
    minors = sorted({tuple(map(int, kv.major_minor(v).split("."))) for v in kv.all_versions()})
    return [f"{major}.{minor}.0" for major, minor in minors[-3:]]


def manifest(cli, *args: str) -> list[dict]:
    res = cli("fleet", "manifest", *args)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("# kata-cli on every node")
    return list(yaml.safe_load_all(res.stdout))


def pod_spec(docs: list[dict]) -> dict:
    (daemonset,) = [d for d in docs if d["kind"] == "DaemonSet"]
    return daemonset["spec"]["template"]["spec"]


def test_three_kubernetes_minors_are_known():
    versions = kubernetes_versions()
    assert len(versions) == 3
    print("kubernetes-validate versions:", versions)


@pytest.mark.parametrize("args", OPTION_SETS, ids=["default", "nfd-prom", "restricted", "digest"])
@pytest.mark.parametrize("version", kubernetes_versions())
def test_objects_validate_strictly(cli, args, version):
    docs = manifest(cli, *args)
    assert [d["kind"] for d in docs] == ["Namespace", "ServiceAccount", "DaemonSet"]
    for doc in docs:
        kv.validate(doc, version, strict=True)  # raises ValidationError when invalid


def test_validation_is_not_vacuous():
    bad = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "x"},
        "spec": {"x": 1},
    }
    with pytest.raises(kv.ValidationError):
        kv.validate(bad, kubernetes_versions()[-1], strict=True)


def test_every_node_and_read_only_host_root(cli):
    spec = pod_spec(manifest(cli, "--nfd", "--prometheus"))
    assert spec["tolerations"] == [{"operator": "Exists"}]
    (container,) = spec["containers"]
    assert container["args"][:2] == ["--host-root", "/host"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["host-root"]["mountPath"] == "/host" and mounts["host-root"]["readOnly"]
    assert mounts["host-dev"]["mountPath"] == "/host/dev"
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["nfd-features"]["hostPath"]["path"] == (
        "/etc/kubernetes/node-feature-discovery/features.d"
    )
    assert volumes["textfile"]["hostPath"]["path"] == "/var/lib/node_exporter/textfile_collector"
    writable = {m["name"] for m in container["volumeMounts"] if not m.get("readOnly")}
    assert writable == {"state", "tmp", "nfd-features", "textfile"}
    assert container["resources"]["limits"] and container["resources"]["requests"]
    probe = container["livenessProbe"]["exec"]["command"]
    assert probe == ["kata-cli", "fleet", "probe", "--state-file", STATE_FILE]
    assert spec["automountServiceAccountToken"] is False
    assert not spec["hostNetwork"] and not spec["hostPID"]
    env = {e["name"]: e for e in container["env"]}
    assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"


def test_without_the_kvm_test_the_pod_is_unprivileged(cli):
    spec = pod_spec(manifest(cli, "--no-kvm-test"))
    (container,) = spec["containers"]
    security = container["securityContext"]
    assert security["privileged"] is False
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["readOnlyRootFilesystem"] is True
    assert "host-dev" not in {v["name"] for v in spec["volumes"]}
    assert container["args"][-2:] == ["--ignore", "kvm.usable"]
    assert "nfd-features" not in {v["name"] for v in spec["volumes"]}


def test_the_daemonset_command_line_runs(cli, fake_host, tmp_path):
    """The container's args, pointed at a fixture host and tmp outputs, for one run."""
    (container,) = pod_spec(manifest(cli, "--nfd", "--prometheus"))["containers"]
    fake_host.intel()
    args = [
        {"/host": str(fake_host.root), STATE_FILE: str(tmp_path / "state.json")}.get(a, a)
        for a in container["args"]
    ]
    args = [
        a.replace("/output/nfd", str(tmp_path)).replace("/output/textfile", str(tmp_path))
        for a in args
    ]
    res = cli(*args, "--count", "1", "--node-name", "n1")
    assert res.exit_code in (0, 1), res.stderr
    assert (tmp_path / "kata-cli").read_text().count("runtime.kata=") == 1
    assert "kata_check_capable" in (tmp_path / "kata-cli.prom").read_text()
    assert json.loads(res.stdout.splitlines()[-1])["node"] == "n1"
    assert json.loads((tmp_path / "state.json").read_text())["iterations"] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--namespace", "Bad_NS"],
        ["--image", "has space"],
        ["--image", ""],  # used to fall back to the default image
        ["--every", "1s"],
        ["--every", "soon"],
        ["--nfd", "--nfd-dir", "relative/dir"],
    ],
)
def test_bad_options_are_usage_errors(cli, args):
    res = cli("fleet", "manifest", *args)
    assert res.exit_code == 2 and "Traceback" not in res.stderr
    assert res.stderr.count("\n") <= 2


def test_version_does_not_import_yaml():
    import subprocess
    import sys

    code = (
        "import sys; from kata_cli.cli import run; run(['--version']); print('yaml' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().splitlines()[-1] == "False"


def readme_section() -> str:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = text.index("## Run on every node")
    return text[start : text.index("\n## ", start + 1)]


@pytest.mark.parametrize("version", kubernetes_versions())
def test_readme_runtimeclass_validates_and_selects_the_nfd_labels(version):
    section = readme_section()
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    runtime_class = yaml.safe_load(block)
    assert runtime_class["kind"] == "RuntimeClass"
    kv.validate(runtime_class, version, strict=True)
    selector = runtime_class["scheduling"]["nodeSelector"]
    assert selector["feature.node.kubernetes.io/runtime.kata"] == "true"


def test_readme_lists_the_whole_reason_vocabulary():
    from kata_cli.fleet.reasons import VALUES

    section = readme_section()
    listed = re.findall(r"^\| `([a-z-]+)` \|", section, re.M)
    assert listed == list(VALUES)
