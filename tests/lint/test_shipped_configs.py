"""Lint the real shipped Kata 4.1.0 files: only the documented upstream defects are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kata_cli.lint.engine import Options, lint_sources
from kata_cli.lint.model import Finding
from kata_cli.lint.source import load_source
from tests.conftest import kata_config_files, require_kata_configs, shipped_config_params

# file -> error codes upstream really ships (config-schema.md, shared/kata-configs/README.md)
KNOWN_DEFECTS = {
    "configuration-qemu-se.toml": {"KATA401"},
    "configuration-qemu-se-runtime-rs.toml": {"KATA401"},
    "configuration-rs-fc.toml": {"KATA702"},
}


def _lint(path: Path, text: str | None = None, arch: str = "amd64") -> list[Finding]:
    data = path.read_bytes() if text is None else text.encode()
    return lint_sources([load_source(str(path), data)], Options(arch=arch)).findings


@pytest.mark.parametrize("path", shipped_config_params(kata_config_files()))
def test_shipped_file_has_only_known_errors(path: Path) -> None:
    findings = _lint(path)
    errors = {f.code for f in findings if f.severity == "error"}
    assert errors == KNOWN_DEFECTS.get(path.name, set()), [
        (f.line, f.code, f.message) for f in findings if f.severity == "error"
    ]


def test_flavours_are_detected() -> None:
    require_kata_configs()
    for path in kata_config_files():
        flavour = "rs" if path.parent.name == "rs" else "go"
        data = path.read_bytes()
        unit = lint_sources([load_source(str(path), data)], Options()).unit
        assert unit.flavour == flavour, path.name


def test_no_unknown_keys_in_shipped_files() -> None:
    require_kata_configs()
    for path in kata_config_files():
        codes = {f.code for f in _lint(path)}
        assert not codes & {"KATA201", "KATA202", "KATA203", "KATA701"}, path.name


def test_rs_fc_timeout_defect_is_reported_at_the_dial_timeout() -> None:
    require_kata_configs()
    path = next(p for p in kata_config_files("rs") if p.name == "configuration-rs-fc.toml")
    (finding,) = [f for f in _lint(path) if f.code == "KATA702"]
    line = path.read_text().splitlines()[finding.line - 1]
    assert line.startswith("dial_timeout_ms = 45000")


def test_secure_execution_profile_is_fine_on_s390x_machine() -> None:
    require_kata_configs()
    path = next(p for p in kata_config_files("go") if p.name == "configuration-qemu-se.toml")
    text = path.read_text().replace('machine_type = "q35"', 'machine_type = "s390-ccw-virtio"')
    assert "KATA401" not in {f.code for f in _lint(path, text, arch="s390x")}
    assert "KATA401" in {f.code for f in _lint(path, text, arch="amd64")}


def test_unrendered_nvidia_gpu_placeholder_is_an_error() -> None:
    """The test data resolved upstream's `@FIRMWAREVOLUMEPATH_NV@`; put it back as shipped."""
    require_kata_configs()
    name = "configuration-qemu-nvidia-gpu-runtime-rs.toml"
    path = next(p for p in kata_config_files("rs") if p.name == name)
    original = path.read_text()
    text = original.replace(
        'firmware_volume = ""', 'firmware_volume = "@FIRMWAREVOLUMEPATH_NV@"', 1
    )
    assert text != original
    (finding,) = [f for f in _lint(path, text) if f.code == "KATA601"]
    assert finding.severity == "error"
    assert text.splitlines()[finding.line - 1][finding.column - 1 :].startswith("@FIRMWARE")


def test_go_only_keys_in_rs_templates_are_warned() -> None:
    require_kata_configs()
    name = "configuration-qemu-nvidia-gpu-runtime-rs.toml"
    path = next(p for p in kata_config_files("rs") if p.name == name)
    keys = {f.message.split("`")[1] for f in _lint(path) if f.code == "KATA204"}
    assert {"firmware_volume", "use_legacy_serial", "kubelet_root_dir"} <= keys
