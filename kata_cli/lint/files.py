"""Which files one `config lint` run reads, and how fixes are written back.

The only I/O of the linter, all through `Host`: a configuration found by discovery is read
(with its `config.d` drop-ins) under the host root; paths on the command line name local
files (a directory stands for the `*.toml` files in it).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from kata_cli.config import discovery, loader
from kata_cli.errors import ConfigError, KataError, UsageError
from kata_cli.host import Host
from kata_cli.lint.source import MAX_BYTES, ParseProblem, SourceFile, load_source
from kata_cli.record import record


@record(eq=False)
class Located:
    """A file to lint: its display name, and where it really lives."""

    display: str
    fs: Host
    path: str  # path for `fs`
    role: str
    data: bytes | None = None  # standard input, read once
    # a missing path that exists under a --host-root: said in the message (a newcomer
    # types the node's path; PATH names a file on this machine, as --config does)
    under_root: str = ""


def discovered(host: Host, explicit: str | None) -> tuple[list[Located], dict[str, Any]]:
    """The configuration the runtime would use, its drop-ins, and facts about them."""
    found = discovery.locate(host, explicit, allow_embedded=False)
    if found is None:
        raise ConfigError(
            discovery.not_found_message(host),
            f"pass a PATH or --config; {discovery.LIST_PATHS_HINT}",
        )
    files = [Located(found.path, found.fs, found.path, "main")]
    try:
        dropins = loader.dropin_paths(found.fs, found.path)
    except ConfigError:
        directory = os.path.join(os.path.dirname(found.path), "config.d")
        dropins = [directory]
    files += [Located(p, found.fs, p, "drop-in") for p in dropins]
    return files, _facts(found.fs, found.requested, found.path, dropins)


def _facts(fs: Host, requested: str, resolved: str, dropins: list[str]) -> dict[str, Any]:
    """What the drop-in rules need to know about the file system around the configuration."""
    facts: dict[str, Any] = {"requested": requested, "resolved": resolved}
    beside_link = os.path.join(os.path.dirname(os.path.abspath(requested)), "config.d")
    read_dir = os.path.join(os.path.dirname(resolved), "config.d")
    try:
        if beside_link != read_dir and fs.is_dir(beside_link):
            facts["unread_dropin_dir"] = beside_link
            facts["dropin_dir"] = read_dir
        facts["symlinked_dropins"] = [p for p in dropins if fs.is_symlink(p)]
    except (OSError, ValueError):
        pass
    return facts


STDIN = "<stdin>"


def named(this_host: Host, paths: tuple[str, ...], host: Host | None = None) -> list[list[Located]]:
    """One unit per file named on the command line (read through `this_host`, the
    machine we run on); directories expand to their *.toml; `-` is standard input.
    `host` (the --host-root) is only looked at to explain a path missing here."""
    units: list[list[Located]] = []
    for name in paths:
        if name == "-":
            units.append(
                [Located(STDIN, this_host, "-", "main", _stdin(this_host.env.stdin_isatty))]
            )
            continue
        if not name:  # abspath("") is the working directory: never lint that by accident
            raise UsageError("an empty path names no configuration file", "name a file")
        absolute = os.path.abspath(name)
        if this_host.is_dir(absolute):
            entries = [e for e in this_host.listdir_or_empty(absolute) if e.endswith(".toml")]
            if not entries:
                raise KataError(f"{name}: no *.toml files in this directory")
            for entry in entries:
                display = os.path.join(name, entry)
                units.append([Located(display, this_host, os.path.join(absolute, entry), "main")])
        else:
            missing_here = host is not None and not this_host.lexists(absolute)
            under = ""
            if missing_here and host is not None and not host.is_native and host.lexists(absolute):
                under = str(host.path(absolute))
            units.append([Located(name, this_host, absolute, "main", under_root=under)])
    return units


def _stdin(on_a_terminal: bool) -> bytes:
    """Standard input, once; never waits on a terminal (nobody is about to type a config)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise KataError("`-`: standard input is closed", "pipe the configuration in")
    try:
        if on_a_terminal:
            raise UsageError(
                "`-` reads the configuration from standard input, which is a terminal",
                "pipe or redirect a file in: kata-cli config lint - < configuration.toml",
            )
        data: bytes = stream.read(MAX_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise KataError(f"`-`: cannot read standard input: {exc}") from None
    return data


def read(item: Located) -> SourceFile:
    """Parse one file; unreadable files become a KATA003 problem, never an exception."""
    if item.data is not None:
        return load_source(item.display, item.data, item.role)
    try:
        # refuses directories, FIFOs, devices and sockets without blocking on them
        data = item.fs.read_bytes(item.path, limit=MAX_BYTES + 1)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        if isinstance(exc, IsADirectoryError):
            reason = "it is a directory"
        elif item.under_root:
            reason += (
                f" on this machine (a PATH is not taken under --host-root: "
                f"lint {item.under_root} instead)"
            )
        source = SourceFile(item.display, item.role)
        source.problem = ParseProblem("KATA003", 1, 1, f"cannot read file: {reason}")
        return source
    return load_source(item.display, data, item.role)


def write_fixed(item: Located, text: str, bom: bool = False) -> None:
    """Write a fixed file atomically, keeping its mode, owner and byte-order mark (line
    endings are in `text` as read; symlinks: the target is written, never through the link)."""
    if item.data is not None:
        raise KataError("cannot --fix standard input", "use --diff to see the fixes")
    data = ("\ufeff" + text if bom else text).encode("utf-8")
    try:
        target = item.fs.resolve(item.path)
        before = item.fs.stat(target)
        owner = (before.st_uid, before.st_gid)
        item.fs.write_atomic(target, data, mode=before.st_mode & 0o7777, owner=owner)
    except OSError as exc:
        raise KataError(
            f"cannot write the fixes to {item.display}: {exc.strerror or exc}",
            "check the file's permissions, or use --diff",
        ) from None
