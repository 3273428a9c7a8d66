"""collect/ returns data: it never imports the renderers, and its sections are declarations."""

from __future__ import annotations

import ast
from pathlib import Path

import kata_cli.collect
from kata_cli.collect.section import Command, Section
from kata_cli.collect.sections import SECTIONS

COLLECT = Path(kata_cli.collect.__file__).parent


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_collect_never_imports_render_or_click():
    for path in sorted(COLLECT.rglob("*.py")):
        for module in imported_modules(path):
            assert not module.startswith("kata_cli.render"), f"{path.name} imports {module}"
            assert module.split(".")[0] != "click", f"{path.name} imports click"


def test_sections_do_not_import_the_runner():
    # the runner imports the sections' registry, sections see only context.Context
    for path in sorted((COLLECT / "sections").glob("*.py")):
        assert "kata_cli.collect.runner" not in imported_modules(path), path.name


def test_every_section_is_a_declaration_with_a_unique_id():
    ids = [section.id for section in SECTIONS]
    assert len(ids) == len(set(ids))
    for section in SECTIONS:
        assert isinstance(section, Section)
        assert section.title and section.description, section.id
        assert section.files or section.commands or section.probe, section.id
        for command in section.commands:
            assert isinstance(command, Command) and command.argv, section.id


def test_section_modules_are_named_after_what_they_gather():
    modules = {path.stem for path in (COLLECT / "sections").glob("*.py")} - {"__init__"}
    assert {"check", "env", "devices", "modules", "security", "kernel_log"} <= modules
    assert not modules & {"core", "host_state"}
