"""Bounded reading and merging of container-manager TOML files.

Every file under the host root is attacker-controlled: sizes, counts and nesting are
capped, a file that cannot be read becomes a message, never an exception or a hang.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Callable, Mapping
from typing import Any

from kata_cli.config.loader import decode_bytes, parse_text
from kata_cli.errors import ConfigError
from kata_cli.host import Host

MAX_FILE_BYTES = 1024 * 1024  # a containerd or CRI-O file is a few KiB
MAX_FILES = 64  # main file plus imports / drop-ins
MAX_MERGE_DEPTH = 32  # deeper tables are replaced, not merged
MAX_GLOB_MATCHES = 256
MAX_GLOB_LISTINGS = 512  # directory listings for all the globs of one configuration


class TomlFileError(Exception):
    """A file that could not be read or parsed; the message names the file."""


def read_toml(host: Host, path: str) -> dict[str, Any]:
    """Read and parse one TOML file under the host root (at most MAX_FILE_BYTES)."""
    try:
        data = host.read_bytes(path, limit=MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise TomlFileError(f"{path}: is a directory") from None
    except FileNotFoundError:
        raise TomlFileError(f"{path}: does not exist") from None
    except OSError as exc:
        raise TomlFileError(f"{path}: {(exc.strerror or str(exc)).lower()}") from None
    if len(data) > MAX_FILE_BYTES:
        raise TomlFileError(f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        return parse_text(decode_bytes(data, path), path)
    except ConfigError as exc:
        raise TomlFileError(exc.message) from None


def read_recorded(
    host: Host, path: str, files: list[str], errors: list[str]
) -> dict[str, Any] | None:
    """`read_toml`, recorded as a configuration's files are: the path appended to `files`
    when it parsed, the reason to `errors` (and None) when not."""
    try:
        data = read_toml(host, path)
    except TomlFileError as exc:
        errors.append(str(exc))
        return None
    files.append(path)
    return data


def handler_type_errors(
    handlers: Mapping[str, Any], where: Callable[[str], str], strings: tuple[str, ...]
) -> list[str]:
    """What a container manager refuses to decode in its runtime handler tables: a handler
    that is not a table, or one of its `strings` keys that is not a string."""
    errors = []
    for name, entry in handlers.items():
        if not isinstance(entry, dict):
            errors.append(f"{where(name)} must be a table")
            continue
        for key in strings:
            if key in entry and not isinstance(entry[key], str):
                errors.append(f"{where(name)} {key} must be a string")
    return errors


def merge(into: dict[str, Any], new: Mapping[str, Any], depth: int = 0) -> None:
    """Merge `new` over `into`: tables key by key, every other value replaced."""
    for key, value in new.items():
        old = into.get(key)
        if isinstance(old, dict) and isinstance(value, dict) and depth < MAX_MERGE_DEPTH:
            merge(old, value, depth + 1)
        else:
            into[key] = _copy(value, depth)


def _copy(value: Any, depth: int) -> Any:
    if isinstance(value, dict) and depth < MAX_MERGE_DEPTH:
        return {k: _copy(v, depth + 1) for k, v in value.items()}
    return value


def table(data: Any, *keys: str) -> dict[str, Any]:
    """The table at `keys`, or {} when a part is missing or is not a table."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def string(data: Mapping[str, Any], key: str) -> str:
    """A string value, or "" when absent or of another type."""
    value = data.get(key)
    return value if isinstance(value, str) else ""


class GlobBudget:
    """How many directory listings the globs of one read may still make (hostile
    patterns like `/*/*/*/*` over thousands of imports must not take minutes)."""

    def __init__(self, listings: int = MAX_GLOB_LISTINGS) -> None:
        self.listings = listings

    @property
    def exhausted(self) -> bool:
        return self.listings <= 0

    def listdir(self, host: Host, path: str) -> list[str]:
        if self.listings <= 0:
            return []
        self.listings -= 1
        return host.listdir_or_empty(path)


def glob(host: Host, pattern: str, budget: GlobBudget | None = None) -> list[str]:
    """Host paths matching `pattern` (absolute), one directory level per component.

    Go's filepath.Glob semantics (no `**` recursion); at most MAX_GLOB_MATCHES results.
    """
    budget = budget or GlobBudget()
    parts = [p for p in pattern.split("/") if p and p != "."]
    found = ["/"]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        step: list[str] = []
        for base in found:
            if len(step) >= MAX_GLOB_MATCHES:
                break
            if not _has_magic(part):
                candidate = posixpath.join(base, part)
                if last or host.is_dir(candidate):
                    step.append(candidate)
                continue
            for name in budget.listdir(host, base):
                if fnmatch.fnmatchcase(name, part):
                    step.append(posixpath.join(base, name))
                    if len(step) >= MAX_GLOB_MATCHES:
                        break
        found = step
        if not found:
            return []
    return sorted(p for p in found if host.lexists(p))


def _has_magic(part: str) -> bool:
    return any(c in part for c in "*?[")
