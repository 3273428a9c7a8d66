"""The terminal renders for the environment it is handed: terminals and NO_COLOR come from
the run's `Environment`, the process's own only when nothing was handed in."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator

import pytest

from kata_cli.environment import Environment
from kata_cli.render import terminal


@pytest.fixture
def handed() -> Iterator[None]:
    previous = terminal.use_environment(None)
    yield
    terminal.use_environment(previous)


def _terminal(**environ: str) -> Environment:
    return Environment.fake(stdout_isatty=True, stderr_isatty=False, environ=environ)


@pytest.mark.parametrize(
    ("environ", "coloured"),
    [
        ({}, True),
        ({"NO_COLOR": "1"}, False),
        ({"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value counts
        ({"TERM": "dumb"}, False),
    ],
)
def test_colour_follows_the_handed_environment(handed, environ, coloured):
    terminal.use_environment(_terminal(**environ))
    assert terminal.color_enabled() is coloured
    assert terminal.color_enabled(stderr=True) is False  # stderr is not a terminal


def test_terminals_are_the_handed_ones(handed):
    terminal.use_environment(Environment.fake(stdin_isatty=True, stderr_isatty=True))
    assert (terminal.stdin_is_tty(), terminal.stdout_is_tty(), terminal.stderr_is_tty()) == (
        True,
        False,
        True,
    )


def test_without_a_handed_environment_the_process_counts(handed, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert terminal.stdout_is_tty() is False  # pytest captures stdout
    tty = io.StringIO()
    tty.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stdout", tty)
    assert terminal.stdout_is_tty() is True and terminal.color_enabled() is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert terminal.color_enabled() is False


def test_console_on_a_handed_terminal_colours_and_wraps(handed, capsys):
    terminal.use_environment(_terminal(TERM="xterm-256color", COLUMNS="30"))
    terminal.console().print("[bold]x[/bold] " + "word " * 10)
    out = capsys.readouterr().out
    assert "\x1b[1m" in out
    assert max(len(line) for line in out.splitlines()) <= 30 + len("\x1b[1m\x1b[0m")


def test_console_off_a_terminal_is_plain_and_unwrapped(handed, capsys):
    terminal.use_environment(Environment.fake(stdout_isatty=False, environ={"TERM": "xterm"}))
    terminal.console().print("[bold]x[/bold] " + "word " * 50)
    assert capsys.readouterr().out == "x " + "word " * 50 + "\n"  # one line, no escapes


def test_the_cli_hands_its_environment_for_the_run_only(cli, tmp_path, handed):
    cli.environment["stderr_isatty"] = True
    info = '{"device": "/dev/sda", "volume-type": "block", "fstype": "ext4"}'
    args = ("direct-volume", "add", "--volume-path", "/v", "--mount-info", info)
    added = cli("--host-root", str(tmp_path), *args)
    assert (added.exit_code, added.stderr) == (0, "added direct volume /v\n")  # a terminal
    assert terminal.use_environment(None) is None  # handed back when the run ended
