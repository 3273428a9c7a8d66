from __future__ import annotations

import pytest

from kata_cli.errors import KataError
from kata_cli.shim.sandboxes import SandboxRef, list_sandboxes, locate_sandbox


def _go(fake_host, sid, state='{"State":{"State":"running"}}'):
    fake_host.file(f"/run/vc/sbs/{sid}/persist.json", state)


def _rs(fake_host, sid):
    fake_host.file(f"/run/kata/{sid}/state.json", "{}")


@pytest.mark.parametrize(
    ("ident", "message"),
    [
        ("", "ID cannot be blank"),
        (None, "ID cannot be blank"),
        ("x", 'invalid container/sandbox ID (should match "^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")'),
        ("../etc", 'invalid container/sandbox ID (should match "^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")'),
        ("a/b", 'invalid container/sandbox ID (should match "^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")'),
    ],
)
def test_id_validation(fake_host, ident, message):
    with pytest.raises(KataError) as info:
        locate_sandbox(fake_host.host, ident)
    assert str(info.value) == message


def test_missing_everywhere_is_upstreams_message(fake_host):
    with pytest.raises(KataError) as info:
        locate_sandbox(fake_host.host, "abc")
    assert str(info.value) == (
        "it fails to stat both /run/vc/sbs/abc/shim-monitor.sock and "
        "/run/kata/abc/shim-monitor.sock with error stat /run/kata/abc/shim-monitor.sock: "
        "no such file or directory"
    )


def test_exact_ids_in_both_layouts(fake_host):
    _go(fake_host, "gosb")
    _rs(fake_host, "rssb")
    assert locate_sandbox(fake_host.host, "gosb") == SandboxRef("gosb", "go")
    assert locate_sandbox(fake_host.host, "rssb") == SandboxRef("rssb", "rs")


def test_unique_prefix_across_layouts(fake_host):
    _go(fake_host, "aaa111")
    _rs(fake_host, "bbb222")
    assert locate_sandbox(fake_host.host, "bb") == SandboxRef("bbb222", "rs")
    assert locate_sandbox(fake_host.host, "aa") == SandboxRef("aaa111", "go")


def test_ambiguous_prefix_lists_candidates(fake_host):
    _go(fake_host, "abc1")
    _rs(fake_host, "abc2")
    with pytest.raises(KataError) as info:
        locate_sandbox(fake_host.host, "ab")
    assert str(info.value) == (
        'more than one sandbox exists with the provided prefix "ab", please provide a unique prefix'
    )
    assert info.value.hint == "candidates: abc1 (go), abc2 (rs)"


def test_container_id_maps_to_its_sandbox(fake_host):
    _go(fake_host, "sb1")
    fake_host.file("/run/vc/sbs/sb1/ctr9/persist.json", "{}")
    assert locate_sandbox(fake_host.host, "ctr9") == SandboxRef("sb1", "go", container="ctr9")


def test_exact_id_wins_over_prefix(fake_host):
    _go(fake_host, "abc")
    _go(fake_host, "abcd")
    assert locate_sandbox(fake_host.host, "abc").id == "abc"


def test_firecracker_dir_is_not_a_sandbox(fake_host):
    fake_host.dir("/run/kata/firecracker/sb/root")
    assert list_sandboxes(fake_host.host) == []


def test_list_reads_persisted_state(fake_host, monkeypatch):
    _go(
        fake_host,
        "sb1",
        '{"State":{"State":"running"},"HypervisorState":{"Pid":4242},'
        '"AgentState":{"URL":"vsock://3:1024"}}',
    )
    fake_host.file("/run/vc/sbs/sb1/c1/persist.json", "{}")
    fake_host.dir("/proc/4242")
    _rs(fake_host, "rs1")
    found = list_sandboxes(fake_host.host, probe=True, timeout=0.2)
    assert [(s.id, s.flavour) for s in found] == [("sb1", "go"), ("rs1", "rs")]
    go = found[0]
    assert go.state == "running"
    assert go.hypervisor_pid == 4242
    assert go.hypervisor_alive is True
    assert go.agent_url == "vsock://3:1024"
    assert go.containers == ["c1"]
    assert go.socket_present is False
    assert go.shim_answers is False
    assert found[1].hypervisor_pid is None
