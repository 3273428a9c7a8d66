"""`metrics`, `iptables`, `policy` and `sandbox list` / `ps` (spec 9, 11, case 19)."""

from __future__ import annotations

import pytest

from .conftest import refusing_socket


@pytest.fixture
def run(cli, fake_host):
    def invoke(*args):
        return cli("--host-root", str(fake_host.root), *args)

    return invoke


METRICS = "# HELP kata_shim_fds fds\nkata_shim_fds 12\n"


@pytest.mark.parametrize("dialect", ["go", "rs"])
def test_metrics(run, shim, dialect):
    server = shim("sb1", dialect).reply("/metrics", METRICS)
    result = run("metrics", "sb1")
    assert (result.exit_code, result.stdout) == (0, METRICS + "\n")  # upstream's extra newline
    assert server.requests[0].method == "GET"


def test_metrics_error_status(run, shim):
    shim("sb1").reply("/metrics", "broken", 500)
    result = run("metrics", "sb1")
    assert result.exit_code == 1
    assert result.stderr == (
        "error sending get: url: /metrics, status code: 500, response data: broken\n"
    )


def test_metrics_dead_shim_is_one_line(run, fake_host):
    fake_host.file("/run/vc/sbs/sb1/persist.json", "{}")
    with refusing_socket(fake_host.local("/run/vc/sbs/sb1/shim-monitor.sock")):
        result = run("metrics", "sb1")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert "connection refused" in result.stderr


def test_iptables_get_v4_and_v6(run, shim):
    server = shim("sb1").reply("/iptables", "*filter\nCOMMIT").reply("/ip6tables", "*nat\n")
    # the body and a newline, as upstream prints it (after a body's own newline too)
    assert run("iptables", "get", "--sandbox-id", "sb1").stdout == "*filter\nCOMMIT\n"
    assert run("iptables", "get", "--sandbox-id", "sb1", "--v6").stdout == "*nat\n\n"
    assert [r.path for r in server.requests] == ["/iptables", "/ip6tables"]


def test_iptables_get_requires_sandbox_id_case_19(run):
    result = run("iptables", "get")
    assert result.exit_code == 2
    assert "--sandbox-id" in result.stderr


def test_iptables_set(run, shim, tmp_path):
    rules = tmp_path / "rules"
    rules.write_bytes(b"*filter\n-A INPUT -j ACCEPT\nCOMMIT\n")
    server = shim("sb1")
    result = run("iptables", "set", "--sandbox-id", "sb1", "--v6", str(rules))
    assert (result.exit_code, result.stderr) == (0, "")
    request = server.requests[0]
    assert (request.method, request.path) == ("PUT", "/ip6tables")
    assert request.headers["content-type"] == "application/octet-stream"
    assert request.body == rules.read_bytes()


def test_iptables_set_file_errors(run, shim, tmp_path):
    shim("sb1")
    missing = run("iptables", "set", "--sandbox-id", "sb1")
    assert (missing.exit_code, missing.stderr) == (1, "iptables file not provided\n")
    nofile = run("iptables", "set", "--sandbox-id", "sb1", str(tmp_path / "nope"))
    assert nofile.stderr == f"iptables file does not exist: {tmp_path / 'nope'}\n"


def test_iptables_set_failure(run, shim, tmp_path):
    rules = tmp_path / "rules"
    rules.write_text("x")
    shim("sb1").reply("/iptables", "bad rules", 500)
    result = run("iptables", "set", "--sandbox-id", "sb1", str(rules))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error observed when making iptables-set request({rules}): error sending put: "
        "url: /iptables, status code: 500, response data: bad rules\n"
    )


@pytest.mark.parametrize("dialect", ["go", "rs"])
def test_policy_set(run, shim, tmp_path, dialect):
    policy = tmp_path / "policy.rego"
    policy.write_text("package agent_policy\n")
    server = shim("sb1", dialect)
    result = run("policy", "set", "--sandbox-id", "sb1", str(policy))
    assert result.exit_code == 0, result.stderr
    assert (server.requests[0].method, server.requests[0].body) == (
        "PUT",
        b"package agent_policy\n",
    )


def test_policy_set_errors(run, shim, tmp_path):
    assert run("policy", "set", "--sandbox-id", "sb1").stderr == "policy file not provided\n"
    policy = tmp_path / "p"
    policy.write_text("x")
    shim("sb1").reply("/policy", "denied", 403)
    result = run("policy", "set", "--sandbox-id", "sb1", str(policy))
    assert result.stderr == (
        f"Error observed when making policy-set request({policy}): error sending put: "
        "url: /policy, status code: 403, response data: denied\n"
    )


def test_sandbox_list_and_ps_alias(run, shim, fake_host):
    shim("live1").reply("/agent-url", "vsock://3:1024")
    fake_host.file(
        "/run/vc/sbs/live1/persist.json",
        '{"State":{"State":"running"},"HypervisorState":{"Pid":77}}',
    )
    fake_host.dir("/proc/77")
    fake_host.file("/run/kata/rsdead/state.json", "{}")
    data = run("sandbox", "list", "--json").json()
    assert data["schema"] == "kata-cli/sandbox-list/1"
    rows = {s["id"]: s for s in data["sandboxes"]}
    assert rows["live1"]["flavour"] == "go"
    assert rows["live1"]["state"] == "running"
    assert rows["live1"]["hypervisor_pid"] == 77
    assert rows["live1"]["hypervisor_alive"] is True
    assert rows["live1"]["shim_answers"] is True
    assert rows["rsdead"]["flavour"] == "rs"
    assert rows["rsdead"]["socket_present"] is False
    assert rows["rsdead"]["shim_answers"] is False
    text = run("ps")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].split() == [
        "SANDBOX",
        "ID",
        "RUNTIME",
        "STATE",
        "HYPERVISOR",
        "PID",
        "ALIVE",
        "SHIM",
    ]
    assert lines[1].split() == ["live1", "go", "running", "77", "yes", "answers"]
    assert lines[2].split() == ["rsdead", "runtime-rs", "-", "-", "-", "missing"]


def test_sandbox_list_bounds_many_hung_shims_by_one_timeout(fake_host):
    """200 shims that accept and never answer: the probes share one deadline. With 16
    workers and a timeout each, this took 13 s (a second per 16 hung shims)."""
    import socket
    import time

    from kata_cli.shim.sandboxes import list_sandboxes

    from .conftest import bind_unix

    hung = []
    for index in range(200):
        path = fake_host.local(f"/run/vc/sbs/hung{index:03d}/shim-monitor.sock")
        path.parent.mkdir(parents=True)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        bind_unix(server, path)
        server.listen(4)  # accepted by the kernel, never answered
        hung.append(server)
    try:
        started = time.monotonic()
        infos = list_sandboxes(fake_host.host, probe=True, timeout=1.0)
        elapsed = time.monotonic() - started
    finally:
        for server in hung:
            server.close()
    assert len(infos) == 200
    assert {info.shim_answers for info in infos} <= {False, None}
    assert infos[0].shim_answers is False  # the first ones were asked and did not answer
    assert elapsed < 6.0, elapsed  # one timeout and overhead, not ceil(200/16) timeouts


def test_sandbox_list_empty(run):
    result = run("ps")
    assert (result.exit_code, result.stdout) == (0, "no sandboxes found\n")


@pytest.mark.parametrize("group", ["sandbox", "iptables", "policy"])
def test_groups_without_subcommand_print_help(run, group):
    result = run(group)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: kata-cli {group}")


def test_shim_requests_are_logged_with_log(run, shim, tmp_path):
    shim("sb1").reply("/metrics", METRICS)
    log = tmp_path / "kata.log"
    assert run("--log", str(log), "metrics", "sb1").exit_code == 0
    text = log.read_text()
    assert "shim sb1 (go): GET /metrics -> 200" in text
