"""`vm.runner` without a VM: the request becomes a plan, the `--sandbox` endpoint, and
the directories it creates being removed again (only those, only when empty)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kata_cli.config import load
from kata_cli.environment import Environment
from kata_cli.errors import KataError
from kata_cli.vm import state as st
from kata_cli.vm.guest import GUEST_FORMAT
from kata_cli.vm.runner import PlanRequest, prepare, sandbox_endpoint
from tests.conftest import MINIMAL_QEMU_CONFIG, FakeHost


@pytest.fixture
def host_with_run_dir(fake_host: FakeHost) -> FakeHost:
    """A qemu host whose run directory lives under its root (as `--sandbox` needs), named
    by the host's environment (the process's KATA_CLI_RUN_DIR is the session's)."""
    fake_host.cpuinfo()
    fake_host.meminfo()
    fake_host.config(MINIMAL_QEMU_CONFIG)
    fake_host.assets(MINIMAL_QEMU_CONFIG)
    fake_host.dir("/run")
    run_dir = str(fake_host.local("/run/kata-cli"))
    fake_host.env = Environment.fake(environ={"KATA_CLI_RUN_DIR": run_dir})
    return fake_host


def test_prepare_builds_the_plan_the_request_names(host_with_run_dir: FakeHost) -> None:
    host = host_with_run_dir.host
    prepared = prepare(host, load(host), PlanRequest(name="web", accel="tcg", cpus="0.5"))
    assert prepared.plan.name == "web"
    assert prepared.plan.vcpus == 2  # default_vcpus 1 + 0.5 rounded up
    assert prepared.ready_marker == "KATA-CLI-GUEST-READY"
    assert prepared.plan.sockets["qmp"] == str(
        host_with_run_dir.local("/run/kata-cli/vms/web/qmp.sock")
    )


def test_the_sandbox_endpoint_and_the_directories_it_creates(host_with_run_dir: FakeHost) -> None:
    host = host_with_run_dir.host
    plan = prepare(host, load(host), PlanRequest(name="sb", accel="tcg")).plan
    endpoint = sandbox_endpoint(host, plan)
    sbs = host_with_run_dir.local("/run/vc/sbs")
    assert endpoint.socket == str(sbs / "sb" / "shim-monitor.sock")
    assert endpoint.agent_url == "hvsock:///run/kata-cli/vms/sb/hvsock.sock:1024"
    # /run exists; /run/vc, /run/vc/sbs and sbs/sb do not
    assert endpoint.made_dirs == [str(sbs / "sb"), str(sbs), str(sbs.parent)]
    # what the supervisor's shim endpoint does, then what stopping the VM undoes
    Path(endpoint.socket).parent.mkdir(parents=True)
    Path(endpoint.socket).write_text("")
    st.remove_sandbox(endpoint.socket, endpoint.made_dirs)
    assert not sbs.parent.exists()
    assert host_with_run_dir.local("/run").is_dir()


def test_directories_that_were_there_before_stay(host_with_run_dir: FakeHost) -> None:
    host = host_with_run_dir.host
    host_with_run_dir.dir("/run/vc/sbs/other-sandbox")
    plan = prepare(host, load(host), PlanRequest(name="sb", accel="tcg")).plan
    endpoint = sandbox_endpoint(host, plan)
    assert endpoint.made_dirs == [str(host_with_run_dir.local("/run/vc/sbs/sb"))]
    Path(endpoint.socket).parent.mkdir()
    st.remove_sandbox(endpoint.socket, endpoint.made_dirs)
    assert host_with_run_dir.local("/run/vc/sbs/other-sandbox").is_dir()
    assert not host_with_run_dir.local("/run/vc/sbs/sb").exists()


def test_a_sandbox_of_that_name_is_refused(host_with_run_dir: FakeHost) -> None:
    host = host_with_run_dir.host
    host_with_run_dir.dir("/run/vc/sbs/taken")
    plan = prepare(host, load(host), PlanRequest(name="taken", accel="tcg")).plan
    with pytest.raises(KataError, match="a sandbox named 'taken' already exists"):
        sandbox_endpoint(host, plan)


def test_the_test_guest_is_the_one_the_hosts_environment_names(
    host_with_run_dir: FakeHost, tmp_path: Path
) -> None:
    guest = tmp_path / "guest"
    guest.mkdir()
    meta = {"format": GUEST_FORMAT, "ready_marker": "GUEST-UP"}
    (guest / "guest.json").write_text(json.dumps(meta))
    (guest / "vmlinux").write_bytes(b"")
    (guest / "initrd.img").write_bytes(b"")
    env = host_with_run_dir.env
    assert env is not None
    host_with_run_dir.env = env.replace(environ={**env.environ, "KATA_CLI_TEST_GUEST": str(guest)})
    host = host_with_run_dir.host
    prepared = prepare(host, load(host), PlanRequest(name="g", accel="tcg", test_guest=True))
    assert prepared.ready_marker == "GUEST-UP"
    assert prepared.plan.kernel == str(guest / "vmlinux")
    assert prepared.plan.initrd == str(guest / "initrd.img")
