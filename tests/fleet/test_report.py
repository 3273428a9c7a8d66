"""`fleet report`: merging node documents from directories, files and kubectl log streams."""

from __future__ import annotations

import json
import os
import time
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kata_cli.checks.model import FAIL
from kata_cli.fleet.inputs import merge_inputs
from kata_cli.fleet.node import node_document, rfc3339
from kata_cli.fleet.report import Merger
from tests.fleet.conftest import node_run, result

NESTED = "CPU property not found: a VM without hardware virtualization (nested virtualization off)"


def doc(node: str, *failing: str, age: float = 0, detail: str = NESTED, **kwargs) -> dict:
    rows = [result("cpu.vendor")] + [result(i, FAIL, detail=detail) for i in failing]
    return node_document(node_run(rows, node=node, started=time.time() - age, **kwargs))


def write_dir(path, docs):
    path.mkdir()
    for d in docs:
        (path / f"{d['node']}.json").write_text(json.dumps(d, indent=2))
    return path


def report_json(cli, *args, input=None):
    res = cli("fleet", "report", "--json", *args, input=input)
    assert res.exit_code == 0, res.stderr
    data = res.json()
    assert data["schema"] == "kata-cli/fleet-report/1"
    return data


def test_directory_totals_groups_and_nodes(cli, tmp_path):
    docs = [doc(f"n{i}", "cpu.flag.vmx") for i in range(3)]
    docs += [doc("ok1"), doc("ok2"), doc("gone", age=7200)]
    docs.append(node_document(node_run(node="broken", error="OSError: boom")))
    nodes = write_dir(tmp_path / "nodes", docs)
    (nodes / "garbage.json").write_text("{not json")
    (nodes / ".hidden").write_text("{}")
    data = report_json(cli, str(nodes))
    assert data["totals"] == {
        "nodes": 7,
        "capable": 2,
        "not_capable": 3,
        "unknown": 1,
        "stale": 1,
        "bad_documents": 1,
    }
    assert data["failures"] == [
        {
            "check": "cpu.flag.vmx",
            "nodes": 3,
            "diagnosis": "nested virtualization off",
            "detail": NESTED,
            "node_names": ["n0", "n1", "n2"],
        }
    ]
    assert data["bad_documents"][0]["source"].endswith("garbage.json")
    by_node = {n["node"]: n for n in data["nodes"]}
    assert by_node["n0"]["reason"] == "nested-virtualization-off"
    assert by_node["gone"]["stale"] is True and by_node["broken"]["verdict"] == "unknown"
    assert data["capable_percent"] == pytest.approx(100 * 2 / 7, abs=0.01)


def test_text_view_shares_the_diagnosis(cli, tmp_path):
    docs = [doc(f"n{i}", "cpu.flag.vmx") for i in range(7)] + [doc("ok")]
    res = cli("fleet", "report", str(write_dir(tmp_path / "nodes", docs)))
    assert res.exit_code == 0
    assert "  7 nodes: cpu.flag.vmx, nested virtualization off\n" in res.stdout
    assert "      n0, n1, n2, n3, n4 (+2 more)\n" in res.stdout
    assert res.stdout.startswith("8 nodes, 12.5% capable\n")
    table = res.stdout.split("\n\n")[-1].splitlines()
    assert table[0].split() == ["NODE", "VERDICT", "REASON", "HYPERVISOR", "LAST", "RUN"]
    assert len(table) == 9


def test_text_view_one_node_and_a_cut_detail_say_so(cli, tmp_path):
    long = "x" * 150 + " the end of a long detail " + "y" * 100
    res = cli(
        "fleet", "report", str(write_dir(tmp_path / "n", [doc("a", "cpu.flag.vmx", detail=long)]))
    )
    assert res.stdout.startswith("1 node, 0.0% capable\n")
    example = next(line for line in res.stdout.splitlines() if "e.g." in line)
    assert example.endswith("...") and len(example.split("e.g. ", 1)[1]) == 200


def test_kubectl_logs_stream_newest_document_wins(cli):
    old = doc("worker-1", "module.kvm", age=600)
    new = doc("worker-1")
    other = doc("worker-2", "vsock.device", detail="no /dev/vhost-vsock")
    lines = [
        "[pod/kata-cli-abcde/check] kata-cli: checking every 600s; state file /run/x",
        f"[pod/kata-cli-abcde/check] {json.dumps(new)}",
        f"[pod/kata-cli-abcde/check] {json.dumps(old)}",
        f"[pod/kata-cli-fghij/check] {json.dumps(other)}",
        "[pod/kata-cli-fghij/check] {truncated",
        "",
    ]
    data = report_json(cli, "-", input="\n".join(lines))
    assert data["totals"]["capable"] == 1 and data["totals"]["not_capable"] == 1
    assert data["failures"][0]["check"] == "vsock.device"
    assert data["failures"][0]["diagnosis"] == "no vhost-vsock device"
    assert data["skipped_lines"] == 1
    assert data["bad_documents"] == [
        {"source": "<stdin>:5 (kata-cli-fghij)", "problem": data["bad_documents"][0]["problem"]}
    ]
    assert data["bad_documents"][0]["problem"].startswith("not JSON")


def test_plain_check_json_documents_are_accepted(cli, tmp_path, fake_host):
    fake_host.no_kvm()
    res = cli("--host-root", str(fake_host.root), "check", "-n", "--json")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "node-a.json").write_text(res.stdout)
    data = report_json(cli, str(tmp_path / "plain"))
    assert data["nodes"][0]["node"] == "node-a"  # from the file name
    assert data["nodes"][0]["verdict"] == "not-capable"
    assert data["nodes"][0]["timestamp"] is None or data["nodes"][0]["stale"] is False


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[1, 2]", "not a JSON object"),
        ('{"schema": "other/1", "capable": true, "checks": []}', "not a kata-cli check"),
        ('{"schema": "kata-cli/check/1", "capable": "yes", "checks": []}', "no `capable`"),
        ('{"schema": "kata-cli/check/1", "capable": true, "checks": [3]}', "`checks` entry"),
        (
            '{"schema": "kata-cli/check/1", "capable": true, "checks": [], "timestamp": "x"}',
            "RFC 3339",
        ),
        ("[" * 100000, "not JSON"),
        ("\xff\xfe{", "not JSON"),
        ('{"schema": "kata-cli/check/1", "capable": true, "checks": [], "x": NaN}', "NaN"),
        ('{"capable": true, "checks": [], "duration_seconds": 1e999}', "out of range"),
        ('{"capable": true, "checks": [], "x": ' + "9" * 5000 + "}", "5000 digits"),
    ],
    ids=[
        "array",
        "schema",
        "capable",
        "checks",
        "timestamp",
        "deep",
        "binary",
        "nan",
        "inf",
        "int",
    ],
)
def test_bad_documents_are_named_never_fatal(cli, tmp_path, text, problem):
    nodes = write_dir(tmp_path / "nodes", [doc("good")])
    (nodes / "bad.json").write_text(text, errors="surrogateescape")
    data = report_json(cli, str(nodes))
    assert data["totals"]["nodes"] == 1
    assert data["bad_documents"][0]["source"].endswith("bad.json")
    assert problem in data["bad_documents"][0]["problem"]


def test_closed_stdin_is_one_line(tmp_path):
    """`fleet report` with standard input closed (`<&-`) was an internal error."""
    from tests.conftest import run_subprocess

    closed = run_subprocess("fleet", "report", preexec_fn=lambda: os.close(0))
    assert (closed.returncode, closed.stdout) == (1, "")
    assert closed.stderr == "`-`: standard input is closed (pipe the node documents in)\n"
    (tmp_path / "n.json").write_text(json.dumps(doc("good")))
    named = run_subprocess(
        "fleet", "report", str(tmp_path / "n.json"), preexec_fn=lambda: os.close(0)
    )
    assert named.returncode == 0, named.stderr


def test_special_files_in_a_directory_are_skipped(cli, tmp_path):
    nodes = write_dir(tmp_path / "nodes", [doc("good")])
    os.mkfifo(nodes / "fifo")
    (nodes / "sub").mkdir()
    (nodes / "link.json").symlink_to(nodes / "good.json")
    data = report_json(cli, str(nodes))
    assert data["totals"]["nodes"] == 1
    assert [b["source"] for b in data["bad_documents"]] == [str(nodes / "link.json")]


def test_missing_path_is_one_line(cli, tmp_path):
    res = cli("fleet", "report", str(tmp_path / "nope"))
    assert res.exit_code == 1
    assert res.stderr.count("\n") == 1 and "cannot read" in res.stderr


def test_junit_one_case_per_node(cli, tmp_path):
    docs = [doc("bad-node", "module.kvm"), doc("good-node"), doc("old", age=99999)]
    nodes = write_dir(tmp_path / "nodes", docs)
    (nodes / "x.json").write_text("nope")
    junit = tmp_path / "fleet.xml"
    res = cli("fleet", "report", str(nodes), "--junit", str(junit))
    assert res.exit_code == 0
    suite = ET.parse(junit).getroot()
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"bad-node", "good-node", "old", str(nodes / "x.json")}
    assert cases["bad-node"].find("failure").get("message") == "not capable: no-kvm"
    assert cases["old"].find("failure").get("type") == "stale"
    assert cases["good-node"].find("failure") is None
    assert suite.get("tests") == "4" and suite.get("failures") == "2" and suite.get("errors") == "1"


def test_fail_under(cli, tmp_path):
    nodes = write_dir(tmp_path / "nodes", [doc("a"), doc("b"), doc("c", "module.kvm")])
    assert cli("fleet", "report", str(nodes), "--fail-under", "60").exit_code == 0
    res = cli("fleet", "report", str(nodes), "--fail-under", "70")
    assert res.exit_code == 1
    assert "66.7% of 3 nodes are capable, under --fail-under 70%" in res.stderr
    assert cli("fleet", "report", str(nodes), "--fail-under", "101").exit_code == 2
    # nan compares false with everything: it used to be a gate that never fails
    nan = cli("fleet", "report", str(nodes), "--fail-under", "nan")
    assert nan.exit_code == 2 and "'nan' is not a percentage" in nan.stderr


def test_stale_after_option(cli, tmp_path):
    nodes = write_dir(tmp_path / "nodes", [doc("a", age=120)])
    assert report_json(cli, str(nodes))["totals"]["stale"] == 0
    assert report_json(cli, str(nodes), "--stale-after", "1m")["totals"]["stale"] == 1
    assert cli("fleet", "report", str(nodes), "--stale-after", "soon").exit_code == 2


def test_control_characters_in_node_names_are_escaped(cli, tmp_path):
    nodes = write_dir(tmp_path / "nodes", [doc("evil\x1b[2Jnode", "module.kvm")])
    res = cli("fleet", "report", str(nodes))
    assert "\x1b" not in res.stdout


def test_control_characters_in_every_table_field_are_escaped(cli, tmp_path):
    """The hypervisor (and reason) column came from the document unescaped."""
    nodes = write_dir(tmp_path / "nodes", [doc("n1", "module.kvm", hypervisor="q\x1b[2J")])
    res = cli("fleet", "report", str(nodes))
    assert res.exit_code == 0
    assert "\x1b" not in res.stdout and "q\\x1b[2J" in res.stdout


def test_merge_5000_documents_in_process(tmp_path):
    """The bench measures the time; this proves the merge at that size is right."""
    lines = []
    base = doc("x", "cpu.flag.vmx")
    for index in range(5000):
        base["node"] = f"worker-{index}"
        lines.append(f"[pod/p{index}/check] {json.dumps(base)}\n")
    stream = tmp_path / "logs"
    stream.write_text("".join(lines))
    merger = Merger()
    merge_inputs([str(stream)], None, merger)
    merged = merger.report(time.time(), 1800)
    assert len(merged.nodes) == 5000 and merged.groups[0].check == "cpu.flag.vmx"
    assert len(merged.groups[0].nodes) == 5000
    assert rfc3339(0) == "1970-01-01T00:00:00Z"


def test_json_output_fits_its_schema(cli, tmp_path):
    from tests.jsonschemas import validate

    docs = [doc("a", "cpu.flag.vmx"), doc("b"), doc("old", age=99999)]
    docs.append(node_document(node_run(node="broken", error="OSError: boom")))
    nodes = write_dir(tmp_path / "nodes", docs)
    (nodes / "bad.json").write_text("{")
    validate(report_json(cli, str(nodes)))
    validate(report_json(cli, str(tmp_path)))  # no node at all


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
check_like = st.fixed_dictionaries(
    {
        "schema": st.sampled_from(["kata-cli/check/1", "kata-cli/check/9", "x"]),
        "capable": st.booleans() | json_values,
        "checks": st.lists(
            st.fixed_dictionaries(
                {
                    "id": st.text(max_size=20) | json_values,
                    "status": st.sampled_from(["fail", "pass"]),
                },
                optional={"detail": json_values, "category": json_values, "level": json_values},
            ),
            max_size=4,
        )
        | json_values,
    },
    optional={
        "node": json_values,
        "timestamp": st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-01", "nope"]) | json_values,
        "verdict": st.sampled_from(["capable", "unknown", "bogus"]) | json_values,
        "reason": json_values,
        "hypervisor": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(docs=st.lists(check_like | json_values, max_size=6), noise=st.lists(st.binary(max_size=40)))
def test_arbitrary_documents_never_break_the_merge(docs, noise):
    from kata_cli.fleet.inputs import stream_documents
    from kata_cli.render.fleet_report import junit_xml, report_data, text_lines

    lines = [json.dumps(d).encode() for d in docs] + noise
    merger = Merger()
    for document in stream_documents(lines, "<test>", merger):
        merger.add(document)
    merged = merger.report(1_800_000_000.0, 1800)
    totals = merged.totals()
    assert totals["nodes"] == len(merged.nodes)
    assert sum(totals[k] for k in ("capable", "not_capable", "unknown", "stale")) == totals["nodes"]
    json.dumps(report_data(merged))
    text_lines(merged)
    ET.fromstring(junit_xml(merged))


def test_no_nodes_leaves_the_table_out(cli, tmp_path):
    nodes = write_dir(tmp_path / "nodes", [doc("a"), doc("b", "module.kvm")])
    res = cli("fleet", "report", "--no-nodes", str(nodes))
    assert res.exit_code == 0
    assert "NODE" not in res.stdout and "1 node: module.kvm, KVM modules not loaded" in res.stdout


def test_times_before_year_1000_keep_four_digit_years(cli, tmp_path):
    """Go's zero time (year 1) printed as "1-01-01T00:00:00Z"; a time that is before year 1
    in UTC ended the report with a ValueError."""
    docs = [doc(name) for name in ("zero", "early", "year0")]
    times = ("0001-01-01T00:00:00Z", "0999-05-01T10:00:00Z", "0001-01-01T00:00:00+01:00")
    for document, when in zip(docs, times, strict=True):
        document["timestamp"] = when
    nodes = write_dir(tmp_path / "nodes", docs)
    res = cli("fleet", "report", str(nodes))
    assert res.exit_code == 0, res.stderr
    rows = {line.split()[0]: line.split()[-1] for line in res.stdout.splitlines()[-2:]}
    assert rows == {"zero": "0001-01-01T00:00:00Z", "early": "0999-05-01T10:00:00Z"}
    assert "year0.json: `timestamp` is not an RFC 3339 time" in res.stdout
    assert rfc3339(-62135596800.0) == "0001-01-01T00:00:00Z"
