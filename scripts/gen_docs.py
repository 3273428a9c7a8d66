#!/usr/bin/env python3
"""Generate the reference documentation from the code.

  docs/commands.md   the command reference (from the click tree: every command's help)
  docs/kata-cli.1    the same as a man page (installed with the wheel; `kata-cli help --man`)
  docs/rules.md      the `config lint` rules (from the rule registry)

Usage: python3 scripts/gen_docs.py [--check]
With --check nothing is written; the exit status is 1 when a file is stale.
The JSON Schemas in docs/schemas/ are written by hand and tested against real outputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kata_cli.commands.help import manpage_text, reference  # noqa: E402
from kata_cli.lint.registry import FAMILIES, RULES  # noqa: E402
from kata_cli.render import reference as reference_render  # noqa: E402
from kata_cli.render import rules_reference  # noqa: E402

DOCS = REPO / "docs"


def render() -> dict[str, str]:
    return {
        "commands.md": reference_render.markdown(reference()),
        "kata-cli.1": manpage_text(),
        "rules.md": rules_reference.markdown(RULES, FAMILIES),
    }


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for name, text in render().items():
        target = DOCS / name
        if target.exists() and target.read_text() == text:
            continue
        stale.append(name)
        if not check:
            DOCS.mkdir(exist_ok=True)
            target.write_text(text)
    if check and stale:
        print("stale docs: " + ", ".join(stale) + " (run python3 scripts/gen_docs.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
