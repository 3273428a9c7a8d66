"""Unix socket paths longer than `sun_path` allows (deep `--host-root`s, test dirs)."""

from __future__ import annotations

import os
import socket

# sun_path is 108 bytes on Linux, including the terminating NUL.
MAX_SUN_PATH = 107


def connect_unix(sock: socket.socket, path: str) -> None:
    """`sock.connect(path)`, going through the directory's fd when the path is too long."""
    if len(os.fsencode(path)) <= MAX_SUN_PATH:
        sock.connect(path)
        return
    directory, name = os.path.split(path)
    try:
        dir_fd = os.open(directory or ".", os.O_PATH | os.O_DIRECTORY)
    except FileNotFoundError:
        raise FileNotFoundError(2, "No such file or directory", path) from None
    try:
        sock.connect(f"/proc/self/fd/{dir_fd}/{name}")
    finally:
        os.close(dir_fd)
