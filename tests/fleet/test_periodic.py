"""`check --every`: the loop, its log lines, unknown verdicts, SIGTERM, flat memory."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kata_cli.checks.model import FAIL
from kata_cli.fleet import periodic
from kata_cli.fleet.outputs import Outputs
from tests.fleet.conftest import node_run, result
from tests.processes import reaped

REPO = Path(__file__).resolve().parents[2]


def test_parse_duration():
    assert periodic.parse_duration("10m") == 600
    assert periodic.parse_duration("1h30m") == 5400
    assert periodic.parse_duration("250ms") == 0.25
    assert periodic.parse_duration("0.001s") == 0.001
    assert periodic.parse_duration("90") == 90
    for bad in ("", "10x", "m", "-1s", "0s", "8d", "1e3", "10m junk", "nan"):
        with pytest.raises(ValueError):
            periodic.parse_duration(bad)


def test_jitter_is_about_ten_percent():
    rng = random.Random(7)
    waits = [periodic.jittered(600, rng) for _ in range(2000)]
    assert 540 <= min(waits) < 550 and 650 < max(waits) <= 660


def loop_over(runs, tmp_path, **kwargs):
    lines: list[str] = []
    emitted: list[str] = []
    queue = list(runs)
    loop = periodic.Loop(
        run_once=lambda: queue.pop(0),
        outputs=Outputs(nfd=str(tmp_path / "kata-cli"), prometheus=str(tmp_path / "k.prom")),
        interval=0.001,
        state_path=str(tmp_path / "state.json"),
        count=len(runs),
        log=lines.append,
        emit=emitted.append,
        **kwargs,
    )
    return loop, lines, emitted


def test_log_line_only_when_the_verdict_changes(tmp_path):
    good, bad = node_run(), node_run([result("module.kvm", FAIL)])
    loop, lines, _ = loop_over([good, good, bad, bad, good], tmp_path)
    assert loop.run() == 0
    changes = [line for line in lines if "verdict" in line]
    assert [c.split(" ", 1)[1] for c in changes] == [
        "verdict none -> capable",
        "verdict capable -> not-capable (no-kvm)",
        "verdict not-capable -> capable",
    ]


def test_failed_run_writes_unknown_and_the_loop_goes_on(tmp_path):
    loop, lines, emitted = loop_over(
        [node_run(), node_run(error="OSError: disk gone"), node_run()], tmp_path, json_lines=True
    )
    seen = []
    original = loop.run_once

    def spy():
        run = original()
        seen.append((tmp_path / "kata-cli").read_text() if (tmp_path / "kata-cli").exists() else "")
        return run

    loop.run_once = spy
    assert loop.run() == 0
    assert "runtime.kata=unknown" in seen[2]  # what the second (failed) run wrote
    assert "runtime.kata.reason=check-error" in seen[2]
    assert any("capable -> unknown (check-error: OSError: disk gone)" in x for x in lines)
    docs = [json.loads(x) for x in emitted]
    assert [d["verdict"] for d in docs] == ["capable", "unknown", "capable"]
    assert docs[1]["error"] == "OSError: disk gone"
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["iterations"] == 3 and state["verdict"] == "capable"


def test_write_failure_is_logged_and_the_loop_goes_on(tmp_path):
    loop, lines, _ = loop_over([node_run(), node_run()], tmp_path)
    loop.outputs = Outputs(nfd=str(tmp_path / "missing" / "kata-cli"))
    assert loop.run() == 0
    assert sum("error: --nfd" in x for x in lines) == 2
    assert "--nfd" in json.loads((tmp_path / "state.json").read_text())["write_error"]


def test_run_node_never_raises(fake_host, monkeypatch):
    from kata_cli.checks import runner
    from kata_cli.fleet.node import run_node

    fake_host.intel()

    def broken(*_args, **_kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(runner, "run", broken)
    run = run_node(fake_host.host, "n", config_path=None, flavour=None)
    assert run.verdict == "unknown" and run.error == "RuntimeError: unexpected"


def test_probe_state():
    state = {"schema": periodic.STATE_SCHEMA, "last_run_epoch": 1000.0, "interval_seconds": 600}
    text = json.dumps(state)
    assert periodic.probe_state(text, 1000 + 1800, None).ok
    assert not periodic.probe_state(text, 1000 + 1861, None).ok
    assert not periodic.probe_state(text, 1100, 60).ok
    assert not periodic.probe_state("{", 0, None).ok
    assert not periodic.probe_state("[]", 0, None).ok


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KATA_")}
    env["PYTHONPATH"] = str(REPO)
    env["NO_COLOR"] = "1"
    env.update(extra or {})
    return env


def wait_for(predicate, timeout: float, what: str, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the child exited ({proc.returncode}) before {what}")
        time.sleep(0.01)
    pytest.fail(f"timed out waiting for {what}")


def read_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


@pytest.fixture
def fast_tmp(tmp_path):
    """A tmpfs directory when there is one: 1,000 fsyncs on a disk take minutes."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        import tempfile

        with tempfile.TemporaryDirectory(dir=shm) as name:
            yield Path(name)
    else:
        yield tmp_path


def start(fake_host, out: Path, every: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kata_cli",
            "--host-root",
            str(fake_host.root),
            "check",
            "--every",
            every,
            "--nfd",
            str(out / "kata-cli"),
            "--prometheus",
            str(out / "kata-cli.prom"),
            "--json-out",
            str(out / "node.json"),
            "--state-file",
            str(out / "state.json"),
            "--node-name",
            "worker-1",
            *extra,
        ],
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigterm_stops_the_loop_within_a_second(fake_host, tmp_path):
    fake_host.intel()
    proc = start(fake_host, tmp_path, "10m")
    with reaped(proc):
        state = wait_for(lambda: read_state(tmp_path / "state.json"), 30, "the first run", proc)
        assert state["iterations"] == 1 and state["node"] == "worker-1"
        doc = json.loads((tmp_path / "node.json").read_text())
        assert doc["node"] == "worker-1" and doc["verdict"] == state["verdict"]
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=5)
        elapsed = time.monotonic() - began
    stderr = proc.stderr.read() if proc.stderr else ""
    assert code == 143, stderr
    assert elapsed < 1.0, elapsed
    assert "stopped by SIGTERM" in stderr and "Traceback" not in stderr


def vm_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_memory_stays_flat_over_1000_runs(fake_host, fast_tmp):
    fake_host.intel()
    fake_host.assets()
    proc = start(fake_host, fast_tmp, "0.001s")
    state_file = fast_tmp / "state.json"
    with reaped(proc):
        wait_for(lambda: read_state(state_file).get("iterations", 0) >= 20, 60, "20 runs", proc)
        first = vm_rss_kib(proc.pid)
        at = read_state(state_file).get("iterations")
        wait_for(
            lambda: read_state(state_file).get("iterations", 0) >= 1020, 240, "1,020 runs", proc
        )
        last = vm_rss_kib(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 143
    print(f"VmRSS after {at} runs: {first} KiB; after 1,020 runs: {last} KiB")
    assert last - first < 2048, (first, last)


def test_fleet_probe_command(cli, tmp_path):
    path = tmp_path / "state.json"
    res = cli("fleet", "probe", "--state-file", str(path))
    assert res.exit_code == 1 and "is `kata-cli check --every` running?" in res.stderr
    now = time.time()
    state = {"schema": periodic.STATE_SCHEMA, "last_run_epoch": now, "interval_seconds": 600}
    path.write_text(json.dumps(state))
    res = cli("fleet", "probe", "--state-file", str(path))
    assert res.exit_code == 0, res.stderr
    state["last_run_epoch"] = now - 3600
    path.write_text(json.dumps(state))
    res = cli("fleet", "probe", "--state-file", str(path))
    assert res.exit_code == 1 and "the last run was" in res.stderr


def test_fleet_probe_refuses_an_empty_state_file_name(cli):
    """`--state-file ''` used to probe the default state file instead."""
    res = cli("fleet", "probe", "--state-file", "")
    assert res.exit_code == 2
    assert res.stderr == "--state-file '': name a file\n"


def test_state_file_fits_its_schema(tmp_path):
    from tests.jsonschemas import validate

    loop, _, _ = loop_over([node_run(), node_run(error="x")], tmp_path)
    loop.run()
    validate(json.loads((tmp_path / "state.json").read_text()))


def test_node_documents_fit_the_check_schema(tmp_path):
    from tests.jsonschemas import validate

    loop, _, emitted = loop_over(
        [node_run(), node_run(error="x"), node_run([result("module.kvm", FAIL)])],
        tmp_path,
        json_lines=True,
    )
    loop.run()
    for line in emitted:
        validate(json.loads(line))


@pytest.mark.parametrize(
    "args",
    [
        ["--every", "soon"],
        ["--every", "0s"],
        ["--every", "8d"],
        ["--count", "2"],
        ["--every", "10m", "--boot"],
        ["--every", "10m", "--junit", "x.xml"],
        ["--nfd", "-"],
        ["--prometheus", ""],
    ],
)
def test_periodic_usage_errors(cli, fake_host, args):
    fake_host.intel()
    res = cli("--host-root", str(fake_host.root), "check", *args)
    assert res.exit_code == 2, res.stderr
    assert res.stderr.count("\n") <= 2 and "Traceback" not in res.stderr


def test_one_shot_json_out_is_a_node_document(cli, fake_host, tmp_path):
    from tests.jsonschemas import validate

    fake_host.no_kvm()
    target = tmp_path / "node.json"
    res = cli(
        "--host-root",
        str(fake_host.root),
        "check",
        "-n",
        "--json-out",
        str(target),
        env={"NODE_NAME": "from-env"},
    )
    assert res.exit_code == 1
    doc = json.loads(target.read_text())
    validate(doc)
    assert doc["node"] == "from-env" and doc["verdict"] == "not-capable"
    assert doc["reason"] == "nested-virtualization-off" and doc["hypervisor"] == "qemu"
    assert doc["timestamp"].endswith("Z") and doc["duration_seconds"] >= 0


def test_node_name_and_state_file_come_from_the_runs_environment(cli, fake_host, tmp_path):
    """NODE_NAME (when no --node-name, and so no option variable, says otherwise),
    XDG_RUNTIME_DIR and who runs us are the environment handed to the run, not the
    process's (which has no NODE_NAME and another XDG_RUNTIME_DIR here)."""
    fake_host.no_kvm()
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    cli.environment.update(
        euid=1000,
        environ={"NODE_NAME": "env-node", "XDG_RUNTIME_DIR": str(runtime), "NO_COLOR": "1"},
    )
    process: dict[str, str | None] = {
        "NODE_NAME": None,
        "XDG_RUNTIME_DIR": str(tmp_path / "nowhere"),
    }
    root = ("--host-root", str(fake_host.root))
    one_shot = tmp_path / "one-shot.json"
    res = cli(*root, "check", "-n", "--json-out", str(one_shot), env=process)
    assert res.exit_code == 1, res.stderr
    assert json.loads(one_shot.read_text())["node"] == "env-node"
    periodic_out = tmp_path / "periodic.json"
    args = ("check", "--every", "1ms", "--count", "1", "--json-out", str(periodic_out))
    res = cli(*root, *args, env=process)
    assert json.loads(periodic_out.read_text())["node"] == "env-node", res.stderr
    state = json.loads((runtime / "kata-cli-check-state.json").read_text())
    assert state["schema"] == periodic.STATE_SCHEMA
    res = cli("fleet", "probe", env=process)  # the default state file: the same one
    assert res.exit_code == 0, res.stderr
    assert not (tmp_path / "nowhere").exists()
