"""`check --prometheus`: the textfile, read back by prometheus_client's own parser."""

from __future__ import annotations

import stat

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from kata_cli.checks.model import FAIL, STATUSES, WARN, CheckResult
from kata_cli.fleet.outputs import Outputs, write_outputs
from kata_cli.render import prometheus
from tests.fleet.conftest import node_run, result


def families(data: bytes) -> dict:
    return {f.name: f for f in text_string_to_metric_families(data.decode())}


def test_every_family_has_help_and_type():
    text = prometheus.textfile(node_run()).decode()
    for name in (
        "kata_check_capable",
        "kata_check_up",
        "kata_check_result",
        "kata_check_last_run_timestamp_seconds",
        "kata_check_duration_seconds",
        "kata_cli_info",
    ):
        assert f"# HELP {name} " in text
        assert f"# TYPE {name} gauge\n" in text


def test_capable_node_parsed():
    run = node_run([result("cpu.flag.vmx"), result("vsock.device", WARN, "vsock")])
    parsed = families(prometheus.textfile(run))
    capable = parsed["kata_check_capable"].samples
    assert [(s.labels, s.value) for s in capable] == [({"hypervisor": "qemu", "flavour": "go"}, 1)]
    rows = {s.labels["check"]: s.labels for s in parsed["kata_check_result"].samples}
    assert rows["vsock.device"] == {
        "check": "vsock.device",
        "category": "vsock",
        "required": "true",
        "status": "warn",
    }
    assert parsed["kata_check_last_run_timestamp_seconds"].samples[0].value == 1_800_000_000
    assert parsed["kata_check_duration_seconds"].samples[0].value == 0.25
    assert parsed["kata_cli_info"].samples[0].labels == {"version": "0.1.0"}
    assert parsed["kata_check_up"].samples[0].value == 1


def test_not_capable_node_is_zero():
    parsed = families(prometheus.textfile(node_run([result("module.kvm", FAIL)])))
    assert parsed["kata_check_capable"].samples[0].value == 0


def test_failed_run_has_no_capable_series_and_up_zero():
    parsed = families(prometheus.textfile(node_run(error="OSError: boom")))
    assert "kata_check_capable" not in parsed
    assert parsed["kata_check_up"].samples[0].value == 0
    assert "kata_check_result" not in parsed


@settings(max_examples=200, deadline=None)
@given(
    ids=st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=6, unique=True),
    hypervisor=st.text(max_size=30),
    version=st.text(max_size=30),
    status=st.sampled_from(STATUSES),
)
def test_hostile_label_values_round_trip(ids, hypervisor, version, status):
    rows = [CheckResult(i, 'c"at\\\n', "d", status, False) for i in ids]
    run = node_run(rows, hypervisor=hypervisor)
    run.version = version
    parsed = families(prometheus.textfile(run))
    checks = [s.labels["check"] for s in parsed["kata_check_result"].samples]
    expected = [i.encode("utf-8", "backslashreplace").decode() for i in ids]
    assert checks == expected
    assert parsed["kata_check_result"].samples[0].labels["category"] == 'c"at\\\n'
    label = parsed["kata_check_capable"].samples[0].labels["hypervisor"]
    assert label == hypervisor.encode("utf-8", "backslashreplace").decode()


def test_atomic_write_mode(tmp_path):
    target = tmp_path / "kata-cli.prom"
    write_outputs(Outputs(prometheus=str(target)), node_run())
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["kata-cli.prom"]
    families(target.read_bytes())


def test_check_prometheus_end_to_end(cli, fake_host, tmp_path):
    fake_host.no_kvm()
    target = tmp_path / "kata-cli.prom"
    res = cli("--host-root", str(fake_host.root), "check", "-n", "--prometheus", str(target))
    assert res.exit_code == 1
    parsed = families(target.read_bytes())
    assert parsed["kata_check_capable"].samples[0].value == 0
    statuses = {s.labels["check"]: s.labels["status"] for s in parsed["kata_check_result"].samples}
    assert statuses["module.kvm"] == "fail"
