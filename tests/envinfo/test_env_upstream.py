"""`env` on every shipped Go configuration equals upstream kata-runtime 4.1.0's `env`
(measured side by side on the same fixture host; identity and sampled values aside)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kata_cli.config import load
from kata_cli.envinfo import build_env_info, to_json
from tests.conftest import MINIMAL_QEMU_CONFIG, kata_config_files

GOLDEN = Path(__file__).parent / "golden" / "upstream-go.json"
GO_CONFIGS = kata_config_files("go")
# fields that describe this machine or this build, not the configuration
VARYING = {("Runtime", "Path"), ("Runtime", "Version"), ("Runtime", "Config")}


def report(fake_host, path: Path) -> dict:
    config = load(fake_host.host, explicit=str(path), environ={})
    info = build_env_info(fake_host.host, config, is_root=False, commit="c0ffee")
    data = json.loads(to_json(info))
    for table, key in VARYING:
        data[table].pop(key)
    data.pop("Host")  # the fixture host's own values (tested in test_env.py)
    return data


@pytest.mark.skipif(not GO_CONFIGS, reason="../shared/kata-configs is not available")
@pytest.mark.parametrize("path", GO_CONFIGS, ids=lambda p: p.name)
def test_go_config_matches_upstream(fake_host, path):
    fake_host.intel()
    expected = json.loads(GOLDEN.read_text())[path.name]
    assert report(fake_host, path) == expected


@pytest.mark.skipif(not GO_CONFIGS, reason="../shared/kata-configs is not available")
def test_every_shipped_go_config_has_a_golden():
    assert sorted(json.loads(GOLDEN.read_text())) == sorted(p.name for p in GO_CONFIGS)


def test_upstream_fixed_fields_per_type(fake_host):
    """The keys upstream's per-type constructors ignore (issue #15 item 7)."""
    fake_host.intel()
    for kind, expected in {
        "firecracker": {"MachineType": "", "SharedFS": "", "Msize9p": 0, "HotPlugVFIO": ""},
        "stratovirt": {"Msize9p": 0, "HotPlugVFIO": "", "ColdPlugVFIO": ""},
        "remote": {
            "Path": "",
            "BlockDeviceDriver": "dummy",
            "EntropySource": "",
            "MemorySlots": 0,
            "Version": "<<unknown>>",
        },
    }.items():
        text = MINIMAL_QEMU_CONFIG.replace("[hypervisor.qemu]", f"[hypervisor.{kind}]")
        text = text.replace(
            'machine_type = "q35"',
            'machine_type = "q35"\nmsize_9p = 4096\nhot_plug_vfio = "root-port"\nmemory_slots = 7',
        )
        fake_host.config(text)
        info = build_env_info(fake_host.host, load(fake_host.host, environ={}), is_root=False)
        hv = info.Hypervisor
        assert {k: getattr(hv, k) for k in expected} == expected, kind
        if kind == "remote":
            assert (info.Kernel.Path, info.Kernel.Parameters) == ("", "")


MARKER_SCRIPT = "#!/bin/sh\necho ran > {marker}\necho 'QEMU emulator version 9.9.9'\n"


def test_remote_never_runs_the_machines_qemu(fake_host, tmp_path):
    """The configuration names no program: none runs, not even the qemu default."""
    fake_host.intel()
    marker = tmp_path / "ran"
    fake_host.executable("/usr/bin/qemu-system-x86_64", MARKER_SCRIPT.format(marker=marker))
    fake_host.config(
        '[hypervisor.remote]\nremote_hypervisor_socket = "/run/x.sock"\n[agent.kata]\n[runtime]\n'
    )
    info = build_env_info(fake_host.host, load(fake_host.host, environ={}), is_root=False)
    assert info.Hypervisor.Version == "<<unknown>>"
    assert not marker.exists()


def test_a_default_hypervisor_path_is_not_run(fake_host, tmp_path, host_programs_run):
    fake_host.intel()
    marker = tmp_path / "ran"
    fake_host.executable("/usr/bin/qemu-system-x86_64", MARKER_SCRIPT.format(marker=marker))
    fake_host.config(MINIMAL_QEMU_CONFIG.replace('path = "/opt/kata/bin/qemu-system-x86_64"\n', ""))
    config = load(fake_host.host, environ={})
    assert config.hypervisor.path == "/usr/bin/qemu-system-x86_64"
    info = build_env_info(fake_host.host, config, is_root=False)
    assert info.Hypervisor.Version == "<<unknown>>" and not marker.exists()
    # named in the file: it runs
    fake_host.config(
        MINIMAL_QEMU_CONFIG.replace(
            "/opt/kata/bin/qemu-system-x86_64", "/usr/bin/qemu-system-x86_64"
        )
    )
    info = build_env_info(fake_host.host, load(fake_host.host, environ={}), is_root=False)
    assert info.Hypervisor.Version == "QEMU emulator version 9.9.9" and marker.exists()


def test_remote_capability_uses_the_vendor_tables(fake_host):
    """Upstream judges a remote configuration's host by the local-VM tables: a host
    without svm/vmx is not capable, even though the VM runs elsewhere."""
    fake_host.no_kvm()
    fake_host.config(
        '[hypervisor.remote]\nremote_hypervisor_socket = "/run/x.sock"\n[agent.kata]\n[runtime]\n'
    )
    info = build_env_info(fake_host.host, load(fake_host.host, environ={}), is_root=False)
    assert info.Host.VMContainerCapable is False
