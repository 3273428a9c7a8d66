"""The CLI frame: version, default paths, usage errors, error funnel."""

from __future__ import annotations

import re

from tests.conftest import run_subprocess

VERSION_RE = re.compile(
    r"\Akata-cli  : \d+\.\d+\.\d+\n   commit   : ([0-9a-f]{40}|<<unknown>>)\n   OCI specs: 1\.2\.1\n\Z"
)

DEFAULT_PATHS = (
    "/etc/kata-containers/configuration.toml\n"
    "/usr/share/defaults/kata-containers/configuration.toml\n"
    "/opt/kata/share/defaults/kata-containers/configuration.toml\n"
    "/etc/kata-containers/runtime-rs/configuration.toml\n"
    "/usr/share/defaults/kata-containers/runtime-rs/configuration.toml\n"
    "/opt/kata/share/defaults/kata-containers/runtime-rs/configuration.toml\n"
)


def test_version_three_line_layout(cli, tmp_path):
    for args in (["--version"], ["-v"], ["version"]):
        # no configuration anywhere: version never needs one
        result = cli("--host-root", str(tmp_path), *args)
        assert result.exit_code == 0, result.stderr
        assert VERSION_RE.match(result.stdout), result.stdout
        assert result.stderr == ""


def test_show_default_config_paths_exact(cli, tmp_path):
    for flag in ("--show-default-config-paths", "--kata-show-default-config-paths"):
        result = cli("--host-root", str(tmp_path), flag)
        assert result.exit_code == 0
        assert result.stdout == DEFAULT_PATHS


def test_unknown_command_is_usage_error(cli):
    result = cli("bogus")
    assert result.exit_code == 2
    assert "No such command 'bogus'" in result.stderr


def test_unknown_global_option_is_usage_error(cli):
    result = cli("--no-such-option")
    assert result.exit_code == 2
    assert "No such option" in result.stderr


def test_host_root_must_be_a_directory(cli, tmp_path):
    result = cli("--host-root", str(tmp_path / "missing"), "version")
    assert result.exit_code == 2
    assert "not a directory" in result.stderr


def test_help_lists_commands_and_aliases(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for name in (
        "check",
        "env",
        "exec",
        "direct-volume",
        "collect-data",
        "config",
        "kata-check",
        "kata-env",
    ):
        assert name in result.stdout


def test_version_subprocess_has_no_traceback_on_bad_option():
    proc = run_subprocess("--config")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "requires an argument" in proc.stderr


def test_internal_errors_are_one_line(cli, monkeypatch):
    import kata_cli.commands.version as version_module

    def boom() -> str:
        raise RuntimeError("kaput")

    monkeypatch.setattr("kata_cli.version.version_text", lambda: boom())
    result = cli("version")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "internal error: RuntimeError: kaput" in result.stderr
    assert version_module  # imported for the patch target


def test_kata_error_is_one_line_exit_1(cli, tmp_path):
    result = cli("--config", str(tmp_path / "nope.toml"), "config", "show")
    if "No such command" in result.stderr:  # config command not present yet
        return
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Cannot find usable config file (file {tmp_path / 'nope.toml'} does not exist)\n"
    )


def test_interrupt_exits_130_with_one_line(cli, monkeypatch):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("kata_cli.version.version_text", interrupted)
    result = cli("version")
    assert result.exit_code == 130
    assert result.stderr.strip() == "interrupted"
    assert "Traceback" not in result.output


def test_error_lines_escape_control_characters(cli, tmp_path):
    missing = tmp_path / "a\x1b[31mb\x07.toml"
    result = cli("--config", str(missing), "env")
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "a\\x1b[31mb\\x07.toml" in result.stderr
    assert result.stderr.count("\n") == 1
