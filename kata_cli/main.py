"""The process entry point of `kata-cli` and `python -m kata_cli`.

`--version` (or `-v`) alone is answered here, before click, `typing` and the command
table are imported: scripts and installers call it to probe for the tool, so it should
cost little more than starting Python. Everything else goes to `kata_cli.cli.main`, the
one place where errors become exit statuses.
"""

import sys

VERSION_ARGS = (["--version"], ["-v"])


def main() -> None:
    args = sys.argv[1:]
    if args in VERSION_ARGS and _print_version():
        sys.exit(0)
    from kata_cli.cli import main as cli_main

    cli_main()


def _print_version() -> bool:
    """Print the version block; False when that failed (the full CLI then reports it)."""
    from kata_cli.version import version_text

    try:
        sys.stdout.write(version_text())
        sys.stdout.flush()
    except Exception:
        return False
    return True
