"""The injectable process environment: the core sees what it is handed, not the process."""

from __future__ import annotations

import os

from kata_cli.appctx import AppContext
from kata_cli.environment import Environment
from kata_cli.host import Host
from tests.conftest import MINIMAL_QEMU_CONFIG


def test_the_default_is_the_running_process():
    env = Environment.from_process()
    assert env.euid == os.geteuid()
    assert env.is_root == (os.geteuid() == 0)
    assert env.environ == dict(os.environ)
    assert Host("/").env.euid == os.geteuid()


def test_a_host_reports_the_root_of_the_environment_it_was_given(tmp_path):
    assert Host(tmp_path, Environment.fake(euid=0)).is_root() is True
    assert Host(tmp_path, Environment.fake(euid=1000)).is_root() is False


def test_fake_replaces_only_what_it_is_told():
    env = Environment.fake(euid=4242, stdout_isatty=True)
    assert (env.euid, env.stdout_isatty) == (4242, True)
    assert env.environ == dict(os.environ)


def test_the_configuration_search_reads_the_given_variables(fake_host, tmp_path):
    chosen = tmp_path / "chosen.toml"
    chosen.write_text(MINIMAL_QEMU_CONFIG)
    env = Environment.fake(environ={"KATA_CONF_FILE": str(chosen)})
    app = AppContext.create(host_root=str(fake_host.root), env=env)
    assert app.env is env and app.host.env is env
    assert app.load_config().path.endswith("chosen.toml")


def test_the_cli_hands_its_environment_to_the_core(cli, fake_host):
    """The test process runs as root here; the CLI must see the user it is handed."""
    fake_host.intel()
    fake_host.config()
    cli.environment["euid"] = 1000
    refused = cli("--host-root", str(fake_host.root), "check", "-n", "--load-modules")
    assert refused.exit_code == 1
    assert "--load-modules needs root" in refused.stderr


def test_collect_data_reads_the_clocks_it_is_handed(fake_host):
    from kata_cli.collect import collect
    from kata_cli.collect.model import Options

    env = Environment.fake(clock=lambda: 86400.0, monotonic=lambda: 7.0)
    report = collect(Host(fake_host.root, env), Options(deadline=60), sections=())
    assert report.started == "1970-01-02T00:00:00Z"
    assert report.duration == 0.0  # a stopped monotonic clock: no time passed


def test_streams_that_are_no_files_are_no_terminals(monkeypatch):
    class Writer:  # what an embedding caller may install as sys.stdout: no isatty()
        def write(self, text: str) -> int:
            return len(text)

    monkeypatch.setattr("sys.stdout", Writer())
    monkeypatch.setattr("sys.stdin", None)
    env = Environment.from_process()
    assert (env.stdin_isatty, env.stdout_isatty) == (False, False)
