"""`kata-cli config show`: the effective configuration and where each value comes from."""

from __future__ import annotations

import tomllib

from tests.conftest import Cli, FakeHost

from .conftest import FIXTURES

MAIN = "/etc/kata-containers/configuration.toml"
DROPIN = "/etc/kata-containers/config.d/10-memory.toml"


def _host(fake_host: FakeHost) -> FakeHost:
    fake_host.intel()
    fake_host.config((FIXTURES / "KATA202.good.toml").read_text())
    fake_host.file(DROPIN, "[hypervisor.qemu]\ndefault_memory = 100\n")
    return fake_host


def test_show_prints_effective_toml(cli: Cli, fake_host: FakeHost) -> None:
    result = cli("--host-root", str(_host(fake_host).root), "config", "show")
    assert result.exit_code == 0, result.output
    data = tomllib.loads(result.stdout)
    qemu = data["hypervisor"]["qemu"]
    assert qemu["default_memory"] == 2048  # 100 is silently reset by the Go runtime
    assert qemu["machine_type"] == "q35"  # a default
    assert data["agent"]["kata"]["dial_timeout"] == 45
    assert "dial_timeout_ms" not in data["agent"]["kata"]  # runtime-rs only
    assert data["factory"]["template_path"] == "/run/vc/vm/template"


def test_show_origin(cli: Cli, fake_host: FakeHost) -> None:
    result = cli("--host-root", str(_host(fake_host).root), "config", "show", "--origin")
    lines = result.stdout.splitlines()
    assert f'path = "/opt/kata/bin/qemu-system-x86_64"  # {MAIN}' in lines
    assert 'machine_type = "q35"  # default' in lines
    memory = next(line for line in lines if line.startswith("default_memory"))
    assert memory == (
        f"default_memory = 2048  # {DROPIN} (configured 100; less than 256 MiB is reset to 2048)"
    )
    tomllib.loads(result.stdout)  # comments keep it valid TOML


def test_show_json(cli: Cli, fake_host: FakeHost) -> None:
    data = cli(
        "--host-root", str(_host(fake_host).root), "config", "show", "--format", "json"
    ).json()
    assert data["schema"] == "kata-cli/config-show/1"
    assert data["files"] == [MAIN, DROPIN]
    assert data["origins"]["hypervisor.qemu.default_memory"] == DROPIN
    assert data["origins"]["hypervisor.qemu.machine_type"] == "default"
    assert "hypervisor.qemu.default_memory" in data["adjusted"]


def test_show_rs_flavour(cli: Cli, fake_host: FakeHost) -> None:
    fake_host.intel()
    fake_host.config((FIXTURES / "KATA702.good.toml").read_text())
    result = cli("--host-root", str(fake_host.root), "config", "show")
    data = tomllib.loads(result.stdout)
    assert data["agent"]["kata"]["reconnect_timeout_ms"] == 60000
    assert "factory" in data["hypervisor"]["qemu"]
    assert "dial_timeout" not in data["agent"]["kata"]


def test_show_without_configuration_uses_embedded_default(cli: Cli, fake_host: FakeHost) -> None:
    fake_host.intel()
    fake_host.remove("/etc/kata-containers/configuration.toml")
    result = cli("--host-root", str(fake_host.root), "config", "show")
    assert result.exit_code == 0
    assert "embedded" in result.stderr
    assert "[hypervisor.qemu]" in result.stdout
