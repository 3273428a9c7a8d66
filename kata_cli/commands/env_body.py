"""What `kata-cli env` does once its options are parsed, free of click.

`commands/env.py` declares the options; the fast path (`kata_cli/fastpath.py`) calls
`run_env` directly for the everyday invocations, so `kata-cli env` never imports click.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kata_cli.appctx import AppContext


def run_env(
    app: AppContext,
    *,
    as_json: bool = False,
    file_path: str | None = None,
    flavour: str | None = None,
) -> None:
    """Build the report and print it (or write it atomically to `file_path`)."""
    if file_path == "":  # an unset shell variable: refuse before reading anything
        from kata_cli.errors import UsageError

        raise UsageError("--file '': name a file", "or - for standard output")
    from kata_cli.envinfo import build_env_info, to_json, to_toml
    from kata_cli.errors import KataError
    from kata_cli.render.terminal import out, warn

    config = app.load_config(flavour=flavour, allow_embedded=False)
    info = build_env_info(app.host, config)
    from kata_cli.render.text import printable

    for text in info.warnings:
        warn(printable(text))  # warnings quote configured paths: no terminal escapes
    text = to_json(info) if as_json else to_toml(info)
    if file_path is None or file_path == "-":  # `-f -` is stdout, not a file called '-'
        out(text, end="")
        return
    from kata_cli.host import atomic_write

    try:
        atomic_write(file_path, text.encode(), mode=0o644)
    except OSError as exc:
        raise KataError(
            f"cannot write {file_path}: {exc.strerror or exc}",
            "check the directory exists and is writable",
        ) from None
