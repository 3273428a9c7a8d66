"""Configuration search order (spec 2, issue 3)."""

from __future__ import annotations

import pytest

from kata_cli.appctx import AppContext
from kata_cli.config import default_config_paths, load
from kata_cli.config.discovery import locate
from kata_cli.environment import Environment
from kata_cli.errors import ConfigError
from kata_cli.host import Host
from tests.conftest import MINIMAL_QEMU_CONFIG, host_denying_reads

GO = default_config_paths()[:3]
RS = default_config_paths()[3:]


def _cfg(hv: str = "qemu", memory: int = 2048) -> str:
    return f'[hypervisor.{hv}]\npath = "/usr/bin/qemu"\ndefault_memory = {memory}\n[agent.kata]\n'


@pytest.mark.parametrize("index", range(6))
def test_each_default_path_is_found_in_order(fake_host, index):
    paths = default_config_paths()
    # every later path exists too: the earliest existing one must win
    for later in paths[index:]:
        fake_host.config(_cfg(memory=1000 + paths.index(later)), path=later)
    config = load(fake_host.host, environ={})
    assert config.path == paths[index]
    assert config.source == "default"
    assert config.hypervisor.default_memory == 1000 + index


def test_rs_default_path_gives_rs_flavour(fake_host):
    fake_host.config(_cfg(), path=RS[2])
    config = load(fake_host.host, environ={})
    assert config.flavour == "rs"


def test_option_beats_env_and_defaults(fake_host, tmp_path):
    fake_host.config(_cfg(memory=1111), path=GO[0])
    env_file = tmp_path / "env.toml"
    env_file.write_text(_cfg(memory=2222))
    opt_file = tmp_path / "opt.toml"
    opt_file.write_text(_cfg(memory=3333))
    config = load(fake_host.host, explicit=str(opt_file), environ={"KATA_CONF_FILE": str(env_file)})
    assert (config.source, config.hypervisor.default_memory) == ("option", 3333)
    config = load(fake_host.host, environ={"KATA_CONF_FILE": str(env_file)})
    assert (config.source, config.hypervisor.default_memory) == ("env", 2222)
    assert config.path == str(env_file)
    config = load(fake_host.host, environ={})
    assert (config.source, config.hypervisor.default_memory) == ("default", 1111)


def test_missing_option_is_an_error_never_a_fallback(fake_host, tmp_path):
    fake_host.config(_cfg(), path=GO[0])
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load(fake_host.host, explicit=str(missing), environ={})
    assert (
        info.value.one_line() == f"Cannot find usable config file (file {missing} does not exist)"
    )


def test_missing_env_file_is_an_error(fake_host, tmp_path):
    fake_host.config(_cfg(), path=GO[0])
    with pytest.raises(ConfigError) as info:
        load(fake_host.host, environ={"KATA_CONF_FILE": str(tmp_path / "gone.toml")})
    assert "does not exist" in info.value.message
    assert "KATA_CONF_FILE" in (info.value.hint or "")


def test_relative_option_is_made_absolute(fake_host, tmp_path, monkeypatch):
    (tmp_path / "rel.toml").write_text(_cfg(memory=4444))
    monkeypatch.chdir(tmp_path)
    config = load(fake_host.host, explicit="rel.toml", environ={})
    assert config.path == str(tmp_path / "rel.toml")


def test_embedded_default_when_nothing_found(fake_host):
    config = load(fake_host.host, environ={})
    assert config.source == "embedded"
    assert config.hypervisor_type == "qemu"
    assert config.notices and "embedded default" in config.notices[0]


def test_embedded_default_is_announced_on_stderr(fake_host, capsys):
    from kata_cli.render.terminal import note  # what the CLI hands in

    env = Environment.fake(environ={})  # no KATA_CONF_FILE
    app = AppContext.create(host_root=str(fake_host.root), notify=note, env=env)
    config = app.load_config()
    assert config.embedded
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "using the embedded default" in err


def test_no_embedded_fallback_when_disallowed(fake_host):
    with pytest.raises(ConfigError) as info:
        load(fake_host.host, environ={}, allow_embedded=False)
    assert "Cannot find usable config file" in info.value.message
    # one short line: how many paths were searched and how to list them, not the list
    assert "none of the 6 default paths" in info.value.message
    assert "--show-default-config-paths" in info.value.one_line()
    assert len(info.value.one_line()) < 250


def test_a_directory_at_a_default_path_is_an_error_not_skipped(fake_host):
    from kata_cli.config import discovery
    from kata_cli.errors import ConfigError

    fake_host.dir("/etc/kata-containers/configuration.toml")
    with pytest.raises(ConfigError, match="it is a directory"):
        discovery.locate(fake_host.host, environ={})


def test_a_symlink_loop_at_a_default_path_is_an_error(fake_host):
    from kata_cli.config import discovery
    from kata_cli.errors import ConfigError

    fake_host.symlink("/etc/kata-containers/configuration.toml", "configuration.toml")
    with pytest.raises(ConfigError, match="Cannot use config file"):
        discovery.locate(fake_host.host, environ={})


@pytest.mark.parametrize("named_by", ["env", "option"])
def test_a_named_file_is_read_through_the_hosts_type_and_environment(fake_host, tmp_path, named_by):
    """KATA_CONF_FILE comes from the host's environment (not the process's); the file it
    or --config names is read on this machine through the run's Host type
    (`host.this_machine()`), so a fault injected there reaches it."""
    path = tmp_path / "named.toml"
    path.write_text(MINIMAL_QEMU_CONFIG)
    environ = {"KATA_CONF_FILE": str(path)} if named_by == "env" else {}
    explicit = str(path) if named_by == "option" else None
    env = Environment.fake(environ=environ)
    located = locate(Host(fake_host.root, env), explicit)
    assert located is not None and (located.source, located.path) == (named_by, str(path))
    assert located.fs.is_native and located.fs.env is env
    denied = host_denying_reads(str(path))
    with pytest.raises(ConfigError, match=r"error reading file .*named\.toml.*: permission denied"):
        load(denied(fake_host.root, env), explicit=explicit)
