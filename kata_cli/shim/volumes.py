"""Directly assigned volumes: `/run/kata-containers/shared/direct-volumes/<b64>/mountInfo.json`.

The per-volume directory is the URL-safe base64 (with padding) of the volume path's
bytes, exactly as given. Unlike upstream, an empty or blank path is refused (it would
name the root itself), mount info is validated before anything is written, and files
are written atomically (0600 in 0700 directories).
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from typing import Any

from kata_cli import jsonread
from kata_cli.errors import KataError, UsageError
from kata_cli.host import Host, normalize
from kata_cli.record import field, record

VOLUMES_ROOT = "/run/kata-containers/shared/direct-volumes"
MOUNT_INFO = "mountInfo.json"
REQUIRED_KEYS = ("volume-type", "device", "fstype")
NAME_MAX = 255
MAX_MOUNT_INFO = 1024 * 1024  # read at most this much of a mountInfo.json
log = logging.getLogger(__name__)


@record
class MountInfo:
    volume_type: str
    device: str
    fstype: str
    metadata: dict[str, str] = field(default_factory=dict)
    options: list[str] = field(default_factory=list)


@record
class VolumeEntry:
    """One directory under the volumes root, as `direct-volume list` shows it."""

    directory: str
    volume_path: str | None  # None: the name is not base64
    mount_info: dict[str, Any] | None
    error: str | None
    sandboxes: list[str]


def encode_volume_path(volume_path: str) -> str:
    # os.fsencode: the raw bytes of the argument, even when they are not UTF-8.
    return base64.urlsafe_b64encode(os.fsencode(volume_path)).decode()


def decode_volume_dir(name: str) -> str | None:
    """The volume path a directory name encodes (None: not base64); bad UTF-8 escaped."""
    try:
        raw = base64.urlsafe_b64decode(name.encode())
    except (binascii.Error, ValueError):
        return None
    return raw.decode("utf-8", "backslashreplace")


def volume_dir(volume_path: str) -> str:
    if not volume_path or not volume_path.strip():
        raise UsageError(
            "the volume path must not be empty",
            hint="an empty path would name the direct-volumes root itself",
        )
    name = encode_volume_path(volume_path)
    if len(name) > NAME_MAX:
        raise UsageError(
            f"the volume path is too long ({len(os.fsencode(volume_path))} bytes)",
            hint=f"its encoded directory name would exceed {NAME_MAX} bytes",
        )
    return f"{VOLUMES_ROOT}/{name}"


def parse_mount_info(text: str) -> MountInfo:
    """Validate mount info JSON.

    Syntax and type errors carry Go's `encoding/json` messages (what `kata-runtime`
    prints); the stricter checks that follow name the field.
    """
    from kata_cli.shim.go_json_errors import syntax_error, type_error

    problem = syntax_error(text)
    if problem is not None:
        raise KataError(problem)
    try:
        data = jsonread.loads(text)
    except (ValueError, RecursionError) as exc:
        raise KataError(f"invalid mount info: not valid JSON: {exc}") from None
    problem = type_error(data)
    if problem is not None:
        raise KataError(problem)
    if not isinstance(data, dict):
        raise KataError("invalid mount info: expected a JSON object")
    for key in REQUIRED_KEYS:
        if key not in data:
            raise KataError(f'invalid mount info: missing required field "{key}"')
        if not isinstance(data[key], str) or not data[key].strip():
            raise KataError(f'invalid mount info: field "{key}" must be a non-empty string')
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise KataError('invalid mount info: field "metadata" must be an object of strings')
    options = data.get("options") or []
    if not isinstance(options, list) or not all(isinstance(v, str) for v in options):
        raise KataError('invalid mount info: field "options" must be an array of strings')
    return MountInfo(data["volume-type"], data["device"], data["fstype"], metadata, options)


def add_volume(host: Host, volume_path: str, mount_info_text: str) -> str:
    """Validate, then write `mountInfo.json` (the text verbatim); returns the host dir."""
    directory = volume_dir(volume_path)
    stripped = volume_path.strip()
    if stripped.startswith("/") and normalize(stripped) == "/":  # also //, /., /./, /..
        raise UsageError(
            "the volume path must not be /",
            hint="name the volume's mount point, e.g. /var/lib/kubelet/pods/<pod>/volumes/...",
        )
    parse_mount_info(mount_info_text)
    if host.is_symlink(directory):
        # Writing through it would put mountInfo.json wherever the link points.
        raise KataError(f"{directory} should be a directory", hint="it is a symbolic link")
    kind = host.kind(directory)
    if kind not in ("dir", "missing"):
        raise KataError(f"{directory} should be a directory")
    created = kind == "missing"
    try:  # every step refuses a symbolic link anywhere in the path (SymlinkRefused)
        host.makedirs(VOLUMES_ROOT, mode=0o700)
        if created:
            host.makedirs(directory, mode=0o700)
        host.chmod(directory, 0o700)
        host.write_atomic(f"{directory}/{MOUNT_INFO}", mount_info_text.encode(), mode=0o600)
    except OSError as exc:
        if created:
            remove_dir_quietly(host, directory)
        raise KataError(f"cannot write {directory}/{MOUNT_INFO}: {exc.strerror or exc}") from None
    log.info("direct volume %s added in %s", volume_path, directory)
    return directory


def remove_volume(host: Host, volume_path: str) -> bool:
    """Remove the volume's directory; False (not an error) when it does not exist."""
    directory = volume_dir(volume_path)
    if not host.lexists(directory):
        return False
    try:  # no symlink is followed; a concurrent remover is not an error
        host.remove_tree(directory)
    except OSError as exc:
        raise KataError(f"cannot remove {directory}: {exc.strerror or exc}") from None
    log.info("direct volume %s removed (%s)", volume_path, directory)
    return True


def sandbox_entries(names: list[str]) -> list[str]:
    """The sandbox ids among a volume directory's entries: not mountInfo.json, and not
    hidden or temporary files (an interrupted atomic write leaves `.name.XXXX.tmp`)."""
    return [
        name
        for name in names
        if name != MOUNT_INFO and not name.startswith(".") and not name.endswith((".tmp", "~"))
    ]


def remove_dir_quietly(host: Host, directory: str) -> None:
    try:
        host.remove_tree(directory)
    except (OSError, ValueError):
        pass


def volume_sandbox(host: Host, volume_path: str) -> tuple[str, MountInfo]:
    """The sandbox using a volume (first entry by name) and its mount info."""
    directory = volume_dir(volume_path)
    try:
        entries = host.listdir(directory)
    except FileNotFoundError:
        raise KataError(
            f"open {directory}: no such file or directory",
            hint=f"{volume_path} is not a directly assigned volume",
        ) from None
    except OSError as exc:
        raise KataError(f"open {directory}: {exc.strerror or exc}") from None
    sandboxes = sandbox_entries(entries)
    if not sandboxes:
        raise KataError(f"no sandbox found for {volume_path}")
    info_path = f"{directory}/{MOUNT_INFO}"
    text = host.read_text_or(info_path, limit=MAX_MOUNT_INFO)
    if text is None:
        raise KataError(f"stat {info_path}: no such file or directory")
    return sandboxes[0], parse_mount_info(text)


def list_volumes(host: Host) -> list[VolumeEntry]:
    entries = []
    for name in host.listdir_or_empty(VOLUMES_ROOT):
        directory = f"{VOLUMES_ROOT}/{name}"
        if not host.is_dir(directory):
            continue
        names = host.listdir_or_empty(directory)
        info: dict[str, Any] | None = None
        error = None
        text = host.read_text_or(f"{directory}/{MOUNT_INFO}", limit=MAX_MOUNT_INFO)
        if text is None:
            error = f"no {MOUNT_INFO}"
        else:
            try:
                parsed = jsonread.loads(text)
                info = parsed if isinstance(parsed, dict) else None
                if info is None:
                    error = f"{MOUNT_INFO} is not a JSON object"
            except ValueError as exc:
                error = f"{MOUNT_INFO} is not valid JSON: {exc}"
            except RecursionError:
                error = f"{MOUNT_INFO} is not valid JSON: nested too deeply"
        entries.append(
            VolumeEntry(
                directory=directory,
                volume_path=decode_volume_dir(name),
                mount_info=info,
                error=error,
                sandboxes=sandbox_entries(names),
            )
        )
    return entries
