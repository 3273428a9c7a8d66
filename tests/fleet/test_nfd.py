"""`check --nfd`: the NFD feature file, its label values and its atomic write."""

from __future__ import annotations

import os
import re
import stat

from hypothesis import given, settings
from hypothesis import strategies as st

from kata_cli.checks.model import FAIL, SKIP, STATUSES, WARN, CheckResult
from kata_cli.fleet import reasons
from kata_cli.fleet.outputs import Outputs, write_outputs
from kata_cli.render import nfd
from tests.fleet.conftest import node_run, result

# the Kubernetes label-value syntax, written independently of kata_cli.fleet.reasons
K8S_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
# NFD's local source: name=value; the name part of a label (after the prefix)
K8S_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")


def parse(data: bytes) -> tuple[dict[str, str], list[str]]:
    features, directives = {}, []
    for line in data.decode().splitlines():
        if line.startswith("# +"):
            directives.append(line[3:])
        elif line and not line.startswith("#"):
            name, _, value = line.partition("=")
            features[name] = value
    return features, directives


def valid_value(value: str) -> bool:
    return len(value) <= 63 and K8S_VALUE.fullmatch(value) is not None


def test_capable_node_file():
    data = nfd.feature_file(node_run(), 1_800_003_600.0)
    assert data.decode() == (
        "# written by kata-cli check at 2027-01-15T08:00:00Z for node node-1\n"
        "# +expiry-time=2027-01-15T09:00:00Z\n"
        "runtime.kata=true\n"
        "runtime.kata.hypervisor=qemu\n"
    )


def test_nested_virtualization_off_reason():
    detail = "CPU property not found: this host is itself a VM (nested virtualization off)"
    run = node_run([result("cpu.vendor"), result("cpu.flag.vmx", FAIL, detail=detail)])
    features, _ = parse(nfd.feature_file(run, 0))
    assert features == {
        "runtime.kata": "false",
        "runtime.kata.hypervisor": "qemu",
        "runtime.kata.reason": "nested-virtualization-off",
    }


def test_bare_metal_without_vmx_is_virtualization_disabled():
    run = node_run([result("cpu.flag.vmx", FAIL, detail="disabled in the firmware")])
    assert nfd.features(run)["runtime.kata.reason"] == "virtualization-disabled"


def test_most_fundamental_reason_wins():
    run = node_run(
        [
            result("assets.kernel", FAIL, "assets"),
            result("module.vhost_vsock", FAIL, "kernel-modules"),
            result("module.kvm_intel", FAIL, "kernel-modules"),
        ]
    )
    assert nfd.features(run)["runtime.kata.reason"] == "no-kvm"


def test_reasons_from_check_ids():
    cases = {
        "module.kvm": "no-kvm",
        "vsock.device": "no-vhost-vsock",
        "assets.hypervisor": "missing-assets",
        "storage.virtio-fs": "no-virtiofs-daemon",
        "config.load": "config-error",
        "wiring.containerd.handlers": "no-kata-handler",
        "wiring.crio.handlers": "no-kata-handler",
        "wiring.manager": "no-kata-handler",
        "wiring.containerd.shim": "no-kata-shim",
        "wiring.crio.kata-config": "bad-handler-config",
        "wiring.containerd.config": "container-manager-config-error",
        "wiring.containerd.snapshotter": "no-snapshotter",
        "storage.devmapper": "storage-unavailable",
        "kvm.usable": "kvm-unusable",
        "boot.vm": "boot-failed",
        "something.new": "check-failed",
    }
    for check_id, value in cases.items():
        assert reasons.reason_for(result(check_id, FAIL)).value == value, check_id
    wiring = CheckResult("cri.handler", "wiring", "d", FAIL, True)
    assert reasons.reason_for(wiring).value == "no-kata-handler"


def test_reasons_of_per_handler_and_embedded_containerd_ids():
    """A per-handler id (`wiring.<manager>.<check>.<handler>`) is its check's reason,
    whatever the handler is called: these used to fall through to no-kata-handler."""
    cases = {
        "wiring.containerd.shim.kata": "no-kata-shim",
        "wiring.containerd.snapshotter.kata-qemu": "no-snapshotter",
        "wiring.containerd.kata-config.kata": "bad-handler-config",
        "wiring.crio.runtime-type.kata": "no-kata-handler",
        "wiring.containerd.shim.config": "no-kata-shim",  # a handler named `config`
        "wiring.k3s.config": "container-manager-config-error",
        "wiring.k3s.template": "container-manager-config-error",  # with --strict
        "wiring.k3s.handlers": "no-kata-handler",
        "wiring.rke2.shim.kata": "no-kata-shim",
        "wiring.rke2.kata-config.handlers": "bad-handler-config",
    }
    for check_id, value in cases.items():
        failed = CheckResult(check_id, "wiring", "d", FAIL, True, level="wiring")
        assert reasons.reason_for(failed).value == value, check_id


def test_warnings_and_skips_do_not_give_a_reason():
    run = node_run([result("vsock.device", WARN), result("assets.kernel", SKIP)])
    assert "runtime.kata.reason" not in nfd.features(run)
    assert nfd.features(run)["runtime.kata"] == "true"


def test_failed_run_is_unknown():
    features, _ = parse(nfd.feature_file(node_run(error="OSError: boom"), 0))
    assert features == {"runtime.kata": "unknown", "runtime.kata.reason": "check-error"}


def test_vocabulary_is_valid_and_unique():
    assert len(set(reasons.VALUES)) == len(reasons.VALUES)
    for value in reasons.VALUES:
        assert valid_value(value) and value, value
    for name in (nfd.FEATURE, nfd.HYPERVISOR, nfd.REASON):
        assert K8S_NAME.fullmatch(name) and len(name) <= 63


check_results = st.builds(
    CheckResult,
    id=st.text(max_size=80),
    category=st.text(max_size=20),
    description=st.text(max_size=10),
    status=st.sampled_from(STATUSES),
    required=st.booleans(),
    detail=st.text(max_size=80) | st.just("x (nested virtualization off)"),
)


@settings(max_examples=300, deadline=None)
@given(
    results=st.lists(check_results, max_size=12),
    hypervisor=st.text(max_size=100),
    node=st.text(max_size=300),
    failed=st.booleans(),
)
def test_every_value_is_a_label_value(results, hypervisor, node, failed):
    run = node_run(results, hypervisor=hypervisor, node=node or "n", error="x" if failed else "")
    features, directives = parse(nfd.feature_file(run, 1_800_000_000))
    assert features["runtime.kata"] in ("true", "false", "unknown")
    for name, value in features.items():
        assert valid_value(value), (name, value)
        assert name in (nfd.FEATURE, nfd.HYPERVISOR, nfd.REASON)
    if "runtime.kata.reason" in features:
        assert features["runtime.kata.reason"] in reasons.VALUES
    assert (features["runtime.kata"] == "true") == ("runtime.kata.reason" not in features)
    assert directives == ["expiry-time=2027-01-15T08:00:00Z"]


def test_atomic_write_mode_and_no_leftovers(tmp_path):
    target = tmp_path / "features.d" / "kata-cli"
    target.parent.mkdir()
    target.write_text("old\n")
    os.chmod(target, 0o600)
    write_outputs(Outputs(nfd=str(target)), node_run())
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert target.read_text().splitlines()[2] == "runtime.kata=true"
    assert os.listdir(target.parent) == ["kata-cli"]


def test_write_replaces_a_symlink_instead_of_following_it(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    link = tmp_path / "kata-cli"
    link.symlink_to(victim)
    write_outputs(Outputs(nfd=str(link)), node_run())
    assert victim.read_text() == "keep\n"
    assert not link.is_symlink()


def test_check_nfd_end_to_end(cli, fake_host, tmp_path, as_user):
    fake_host.intel()
    fake_host.assets()
    out = tmp_path / "kata-cli"
    res = cli("--host-root", str(fake_host.root), "check", "-n", "--nfd", str(out))
    features, directives = parse(out.read_bytes())
    assert features["runtime.kata"] == ("true" if res.exit_code == 0 else "false"), res.stderr
    assert features["runtime.kata.hypervisor"] == "qemu"
    assert directives[0].startswith("expiry-time=")


def test_check_nfd_no_kvm_host(cli, fake_host, tmp_path, as_user):
    fake_host.no_kvm()
    out = tmp_path / "kata-cli"
    res = cli("--host-root", str(fake_host.root), "check", "-n", "--nfd", str(out))
    assert res.exit_code == 1
    features, _ = parse(out.read_bytes())
    assert features["runtime.kata"] == "false"
    assert features["runtime.kata.reason"] == "nested-virtualization-off"


def test_check_nfd_unwritable_directory_is_one_line(cli, fake_host, tmp_path):
    fake_host.intel()
    res = cli(
        "--host-root", str(fake_host.root), "check", "-n", "--nfd", str(tmp_path / "no" / "f")
    )
    assert res.exit_code == 1
    assert "--nfd" in res.stderr and "Traceback" not in res.stderr


def test_wiring_level_failures_are_no_kata_handler():
    handler = CheckResult(
        "containerd.runtime", "container-manager", "d", FAIL, True, level="wiring"
    )
    assert reasons.reason_for(handler).value == "no-kata-handler"
