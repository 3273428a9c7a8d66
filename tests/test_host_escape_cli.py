"""Host-root confinement seen from the commands: check, config lint, env, collect-data,
sandbox list and exec, each on a `hostile_host` whose links point out of the root."""

from __future__ import annotations

import json
import tarfile

import pytest

from tests.conftest import MINIMAL_QEMU_CONFIG, SECRET

ASSETS = "/opt/kata/share/kata-containers"
KERNEL = f"{ASSETS}/vmlinux.container"


@pytest.fixture
def node(hostile_host):
    """A capable-looking Intel node with its assets, inside the hostile root."""
    hostile_host.fake.intel()
    hostile_host.fake.assets()
    return hostile_host


def _run(cli, node, *args):
    return cli("--host-root", str(node.root), *args)


def _check_json(cli, node):
    result = _run(cli, node, "check", "-n", "--json")
    assert "Traceback" not in result.stderr and SECRET not in result.output
    return {c["id"]: c for c in json.loads(result.stdout)["checks"]}


# -- check / config lint / env: the kernel link -----------------------------------------
def test_kernel_link_is_found_inside_the_root(cli, node):
    node.fake.remove(KERNEL)
    node.fake.file(f"{ASSETS}/vmlinux-6.1", b"\x7fELF" + b"\0" * 64)
    node.link(KERNEL, f"{ASSETS}/vmlinux-6.1")
    assert _check_json(cli, node)["assets.kernel"]["status"] == "pass"
    lint = _run(cli, node, "config", "lint")
    assert "KATA901" not in lint.output, lint.output
    env = _run(cli, node, "env", "--json")
    assert json.loads(env.stdout)["Kernel"]["Path"] == f"{ASSETS}/vmlinux-6.1"


@pytest.mark.parametrize("kind", ["absolute", "relative", "dotdot-chain"])
def test_kernel_link_out_of_the_root_is_missing(cli, node, kind):
    node.fake.remove(KERNEL)
    node.link(
        KERNEL, node.escaping_links(KERNEL, "opt/kata/share/kata-containers/vmlinux-6.1")[kind]
    )
    kernel = _check_json(cli, node)["assets.kernel"]
    assert kernel["status"] == "fail" and "does not exist" in kernel["detail"]
    lint = _run(cli, node, "config", "lint")
    assert "KATA901" in lint.output and SECRET not in lint.output
    env = _run(cli, node, "env", "--json")
    assert SECRET not in env.output and "does not exist" in env.stderr


def test_kernel_path_with_dotdots_stays_inside(cli, node):
    node.fake.dir("/opt/kata")
    climbing = "/opt/kata/../../../../" + str(node.outside / "secret").lstrip("/")
    node.fake.config(MINIMAL_QEMU_CONFIG.replace(KERNEL, climbing))
    kernel = _check_json(cli, node)["assets.kernel"]
    assert kernel["status"] == "fail" and "does not exist" in kernel["detail"]
    node.fake.file(str(node.outside / "secret"), b"\x7fELF" + b"\0" * 64)  # H/<outside>/secret
    assert _check_json(cli, node)["assets.kernel"]["status"] == "pass"


def test_dev_kvm_link_to_the_machines_device_is_not_followed(cli, node):
    node.link("/dev/kvm", "/dev/kvm")
    usable = _check_json(cli, node).get("kvm.usable") or _check_json(cli, node)["kvm.device"]
    assert usable["status"] != "pass"


# -- collect-data: directories that are links out of the root ---------------------------
@pytest.mark.parametrize(
    ("link", "outside_rel"),
    [
        ("/var/log", "var/log"),
        ("/etc/containerd", "etc/containerd"),
        ("/etc/kata-containers/configuration.toml", "etc/kata-containers/configuration.toml"),
        ("/etc/passwd", "etc/passwd"),
    ],
)
@pytest.mark.parametrize("kind", ["absolute", "relative", "dotdot-chain"])
def test_collect_data_never_reads_outside(cli, node, tmp_path, link, outside_rel, kind):
    node.fake.remove(link) if node.fake.local(link).exists() else None
    node.link(link, node.escaping_links(link, outside_rel)[kind])
    bundle = tmp_path / "bundle.tar.gz"
    result = cli(
        "--host-root",
        str(node.root),
        "collect-data",
        "--timeout",
        "1",
        "--deadline",
        "8",
        "--output",
        str(bundle),
        env={"PATH": str(tmp_path / "no-programs")},
    )
    assert "Traceback" not in result.stderr and SECRET not in result.output
    with tarfile.open(bundle) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member)
            if data is not None:
                assert SECRET.encode() not in data.read(), member.name


# -- sandboxes: state files and sockets -------------------------------------------------
def test_sandbox_list_does_not_read_state_outside(cli, node):
    node.fake.dir("/run/vc/sbs/abc")
    node.link("/run/vc/sbs/abc/persist.json", str(node.outside / "secret"))
    node.link("/run/vc/sbs/def", str(node.outside))
    result = _run(cli, node, "sandbox", "list", "--json")
    assert SECRET not in result.output and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "hvsock:///../../../{outside}/outside.sock:1024",
        "hvsock:///run/../../{outside}/outside.sock:1024",
    ],
)
def test_exec_refuses_an_agent_url_that_climbs_out(cli, node, url):
    node.fake.file(
        "/run/vc/sbs/abc/persist.json",
        json.dumps({"AgentState": {"URL": url.format(outside=str(node.outside).lstrip("/"))}}),
    )
    node.fake.unix_socket("/run/vc/sbs/abc/shim-monitor.sock")  # bound, not listening: refused
    result = _run(cli, node, "exec", "abc", "--", "true")
    assert result.exit_code == 1
    assert "climbs out of the host root" in result.stderr
    assert result.stderr.count("\n") <= 2


@pytest.mark.parametrize("kind", ["absolute", "relative", "dotdot-chain"])
def test_exec_does_not_connect_to_a_socket_outside(cli, node, kind):
    hvsock = "/run/vc/vm/abc/kata.hvsock"
    node.link(hvsock, node.escaping_links(hvsock, "outside.sock")[kind])
    node.fake.file(
        "/run/vc/sbs/abc/persist.json",
        json.dumps({"AgentState": {"URL": f"hvsock://{hvsock}:1024"}}),
    )
    node.fake.unix_socket("/run/vc/sbs/abc/shim-monitor.sock")
    result = _run(cli, node, "exec", "--timeout", "1", "abc", "--", "true")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    node.outside_server.setblocking(False)
    with pytest.raises(BlockingIOError):  # nobody knocked on the socket outside the root
        node.outside_server.accept()
