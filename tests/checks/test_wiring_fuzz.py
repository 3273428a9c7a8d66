"""Hostile container-manager files, generated: whatever the text, the wiring checks
return results (never an exception), each with a catalogue id, a valid status, and a
remedy when they fail."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import STATUSES
from kata_cli.checks.wiring import units
from kata_cli.config import load
from tests.conftest import FakeHost

V2 = 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes'
V3 = 'plugins."io.containerd.cri.v1.runtime".containerd.runtimes'
HEADERS = [
    "[plugins]",
    f"[{V2}.kata]",
    f"[{V3}.kata]",
    f"[{V2}.kata.options]",
    f"[{V2}]",
    "[plugins.cri.containerd.runtimes.k]",
    '[plugins."io.containerd.snapshotter.v1.devmapper"]',
    "[proxy_plugins.nydus]",
    "[crio.runtime.runtimes.kata]",
    "[crio.runtime]",
    "[[plugins.x]]",
    '{{ template "base" . }}',
]
KEYS = [
    "version",
    "imports",
    "runtime_type",
    "runtime_path",
    "snapshotter",
    "ConfigPath",
    "pool_name",
    "address",
    "plugins",
    "runtimes",
    "runtime_config_path",
    "kata",
]
VALUES = [
    '"io.containerd.kata.v2"',
    '"io.containerd.kata-qemu.v2"',
    '"/usr/bin/containerd-shim-kata-v2"',
    '"devmapper"',
    '"nydus"',
    '"/run/x.sock"',
    '"*.toml"',
    '["*.toml", "../../../../etc/*"]',
    '["config.toml"]',
    "2",
    "3",
    "1",
    "-1",
    "99999999999999999999",
    "true",
    "1.5",
    "[]",
    "{}",
    "{a = 1}",
    '"\\u0000"',
    '"' + "x" * 300 + '"',
    '["/*/*/*"]',
    '"/"',
    '""',
    "[1, 2]",
]
LINE = st.one_of(
    st.sampled_from(HEADERS),
    st.builds(lambda k, v: f"{k} = {v}", st.sampled_from(KEYS), st.sampled_from(VALUES)),
    st.text(max_size=20),
)
FILES = [
    "/etc/containerd/config.toml",
    "/etc/containerd/a.toml",
    "/etc/containerd/d/b.toml",
    "/etc/crio/crio.conf",
    "/etc/crio/crio.conf.d/50-kata.conf",
    "/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
    "/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.tmpl",
    "/var/lib/rancher/rke2/agent/etc/containerd/config.toml.tmpl",
]


@settings(
    max_examples=int(os.environ.get("ROBUST_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("ROBUST_EXAMPLES") is None,
)
@given(st.dictionaries(st.sampled_from(FILES), st.lists(LINE, max_size=12), min_size=1))
def test_generated_files_never_break_the_checks(files: dict[str, list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        host = FakeHost(Path(tmp) / "host")
        host.intel().manager("containerd", "crio")  # installed: their files are judged
        host.executable("/usr/bin/containerd-shim-kata-v2")
        for path, lines in files.items():
            host.file(path, "\n".join(lines) + "\n")
        ctx = CheckContext(host.host, load(host.host, environ={}))
        results = list(units.wiring_checks(ctx))
        specs = units.catalogue()
        assert results
        for result in results:
            assert any(spec.owns(result.id) for spec in specs), result.id
            assert result.status in STATUSES
            if result.status in ("warn", "fail"):
                assert result.remedy, result.id
