"""Generated reference docs (`docs/`), `kata-cli help`, and the man page."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def assert_generated_files_current(script: str) -> None:
    """`scripts/SCRIPT --check` passes: what it generates matches the tree."""
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / script), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_generated_docs_are_up_to_date():
    assert_generated_files_current("gen_docs.py")


def test_command_reference_covers_every_command_and_option():
    import click

    from kata_cli.cli import cli
    from kata_cli.commands.help import reference

    text = (REPO / "docs" / "commands.md").read_text()
    root = reference()
    names = [doc.name for doc in root.walk()]
    assert "kata-cli vm run" in names and "kata-cli config lint" in names
    for doc in root.walk():
        assert f"## `{doc.name}`" in text
        for option in doc.options:
            assert f"`{option.names[-1]}`" in text
    # the top-level list is the lazy command table, nothing more or less
    ctx = click.Context(cli)
    assert [d.path[-1] for d in root.subcommands] == cli.list_commands(ctx)


def test_rules_reference_lists_every_rule():
    from kata_cli.lint.registry import RULES

    text = (REPO / "docs" / "rules.md").read_text()
    for rule in RULES:
        assert f"### {rule.code} `{rule.name}`" in text


def test_help_command_shows_a_subcommands_help(cli):
    result = cli("help", "vm", "run")
    assert result.exit_code == 0
    assert "Usage: kata-cli vm run" in result.output
    assert cli("help", "nope").exit_code == 2
    assert cli("help", "version", "extra").exit_code == 2


@pytest.mark.parametrize(
    ("words", "stderr"),
    [
        (["bogus"], "No such command 'bogus'. (see kata-cli --help)\n"),
        (["check", "bogus"], "No such command 'check bogus'. (see kata-cli check --help)\n"),
        (["config", "bogus"], "No such command 'bogus'. (see kata-cli config --help)\n"),
        (["vm", "run", "x"], "No such command 'vm run x'. (see kata-cli vm run --help)\n"),
    ],
)
def test_help_of_an_unknown_command_words_it_as_click_does(cli, words, stderr):
    """`help bogus` said "no command 'bogus'", `help check bogus` "'check bogus' is not a
    command"; click's own is "No such command 'bogus'."."""
    result = cli("help", *words)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", stderr)
    assert "Error: No such command 'bogus'.\n" in cli("config", "bogus").stderr  # click's


def test_help_man_prints_the_shipped_man_page(cli):
    result = cli("help", "--man")
    assert result.exit_code == 0
    assert result.output == (REPO / "docs" / "kata-cli.1").read_text()


@pytest.mark.skipif(shutil.which("man") is None, reason="man is not installed")
def test_man_page_renders_with_man(tmp_path):
    proc = subprocess.run(
        ["man", "-l", str(REPO / "docs" / "kata-cli.1")],
        capture_output=True,
        text=True,
        timeout=60,
        env={"MANWIDTH": "100", "PATH": "/usr/bin:/bin", "MANPAGER": "cat", "PAGER": "cat"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "kata-cli vm run" in proc.stdout
    assert "EXIT STATUS" in proc.stdout
    # nothing roff would swallow: every option of check appears
    assert "--boot-timeout" in proc.stdout.replace("‐", "-")


def test_roff_escapes_lines_that_look_like_requests():
    from kata_cli.render.reference import CommandDoc, manpage

    root = CommandDoc(["x"], "x", "Summary.", [".TH evil", "back\\slash"], [], [], [])
    page = manpage(root, "1", [], {})
    assert "\n\\&.TH evil" in page
    assert "back\\eslash" in page


def test_details_after_form_feed_are_in_the_reference_not_in_help():
    import click
    from click.testing import CliRunner

    from kata_cli.commands.help import command_doc
    from kata_cli.render.reference import manpage, markdown

    @click.command()
    def demo() -> None:
        """Do a thing.

        Short description.
        \f
        ## How it works

        - one `step`
        - two

        | a | b |
        | --- | --- |
        | 1 | 2 |
        """

    help_text = CliRunner().invoke(demo, ["--help"]).output
    assert "Short description." in help_text and "How it works" not in help_text
    doc = command_doc(demo, ["demo"])
    assert doc.paragraphs == ["Short description."]
    page = markdown(doc)
    assert "### How it works" in page and "| 1 | 2 |" in page
    roff = manpage(doc, "1", [], {})
    assert ".IP \\(bu 2\none \\fBstep\\fR" in roff
    assert "1  2" in roff
