"""The one place that touches the host.

Every read of /proc, /sys, /dev, /etc, /run, /var, /opt, /usr goes through a `Host`,
relative to its root (`--host-root`, `KATA_HOST_ROOT`, default `/`). Paths handed to
and returned by `Host` are *host paths* (as seen on the host: `/proc/cpuinfo`);
`Host.path()` maps one to the file system of the machine we run on. Absolute symlinks
are followed inside the root, like a chroot would, so a host mounted at `/host` in a pod
resolves `/etc/kata-containers/configuration.toml -> /opt/kata/...` correctly.

Subprocesses also start here (`Host.run`), always with a timeout.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: it costs start-up time of commands that run nothing
    import subprocess

    from kata_cli.environment import Environment

_MAX_SYMLINKS = 40

# process groups started by run_command and still running, so an interrupt can end them
_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.Lock()

FileKind = str  # "file" | "dir" | "char" | "block" | "socket" | "fifo" | "missing" | "other"


@dataclass
class ProcessResult:
    """The outcome of one subprocess: never raises, always says what happened."""

    argv: list[str]
    returncode: int | None
    stdout: bytes = b""
    stderr: bytes = b""
    elapsed: float = 0.0
    timed_out: bool = False
    error: str | None = None  # the program could not be started (e.g. "not found")

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.error is None

    @property
    def stdout_text(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    @property
    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    def describe(self) -> str:
        """A short status for reports: `exit 0`, `timed out after 10.0s`, `not found`."""
        if self.error:
            return self.error
        if self.timed_out:
            return f"timed out after {self.elapsed:.1f}s"
        return f"exit {self.returncode}"


class Host:
    """A host file system seen through a root directory."""

    def __init__(self, root: str | os.PathLike[str] = "/", env: Environment | None = None) -> None:
        self.root = Path(os.path.abspath(os.fspath(root)))
        self._env = env

    @property
    def env(self) -> Environment:
        """Who runs us, with which variables and terminals (the process's, unless given)."""
        if self._env is None:
            from kata_cli.environment import Environment

            self._env = Environment.from_process()
        return self._env

    def __repr__(self) -> str:
        return f"Host({str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Host) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    # -- paths -------------------------------------------------------------------------
    @property
    def is_native(self) -> bool:
        """True when the host root is `/`: host paths are local paths."""
        return self.root == Path("/")

    def path(self, host_path: str | os.PathLike[str]) -> Path:
        """The local path of a host path (`/proc/cpuinfo` -> `<root>/proc/cpuinfo`)."""
        text = os.fspath(host_path)
        rel = PurePosixPath("/", text).relative_to("/")
        return self.root / rel

    def to_host_path(self, local: str | os.PathLike[str]) -> str:
        """Inverse of `path()`: a local path under the root back to its host path."""
        local_path = Path(os.path.abspath(os.fspath(local)))
        try:
            rel = local_path.relative_to(self.root)
        except ValueError:
            return str(local_path)
        return "/" + str(rel) if str(rel) != "." else "/"

    def resolve(self, host_path: str) -> str:
        """Follow symlinks inside the root; return the host path of the target.

        Raises FileNotFoundError when any component is missing (upstream's "resolved").
        """
        parts = [p for p in PurePosixPath("/", host_path).parts[1:]]
        resolved: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = "/" + "/".join([*resolved, part])
            local = self.path(candidate)
            try:
                st = os.lstat(local)
            except FileNotFoundError:
                raise FileNotFoundError(
                    errno.ENOENT, f"file {host_path} does not exist", host_path
                ) from None
            if stat.S_ISLNK(st.st_mode):
                hops += 1
                if hops > _MAX_SYMLINKS:
                    raise OSError(errno.ELOOP, f"too many levels of symbolic links: {host_path}")
                target = os.readlink(local)
                if target.startswith("/"):
                    resolved = []
                parts = [p for p in PurePosixPath(target).parts if p != "/"] + parts
                continue
            resolved.append(part)
        return "/" + "/".join(resolved)

    # -- reading -----------------------------------------------------------------------
    def read_bytes(self, host_path: str, limit: int | None = None) -> bytes:
        """A regular file's bytes. A FIFO, device or socket raises instead of blocking."""
        fd = os.open(self.path(host_path), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), host_path)
            if not stat.S_ISREG(mode):
                raise OSError(errno.EINVAL, "not a regular file", host_path)
            os.set_blocking(fd, True)
            with os.fdopen(fd, "rb", closefd=True) as handle:
                fd = -1
                return handle.read() if limit is None else handle.read(limit)
        finally:
            if fd >= 0:
                os.close(fd)

    def read_text(self, host_path: str, limit: int | None = None) -> str:
        return self.read_bytes(host_path, limit).decode("utf-8", "replace")

    def read_text_or(self, host_path: str, default: str | None = None) -> str | None:
        """The file's text, or `default` when it cannot be read for any reason."""
        try:
            return self.read_text(host_path)
        except OSError:
            return default

    def exists(self, host_path: str) -> bool:
        return os.path.exists(self.path(host_path))

    def lexists(self, host_path: str) -> bool:
        return os.path.lexists(self.path(host_path))

    def is_file(self, host_path: str) -> bool:
        return os.path.isfile(self.path(host_path))  # False, never OSError (ENAMETOOLONG)

    def is_dir(self, host_path: str) -> bool:
        return os.path.isdir(self.path(host_path))

    def is_symlink(self, host_path: str) -> bool:
        return os.path.islink(self.path(host_path))

    def readlink(self, host_path: str) -> str:
        return os.readlink(self.path(host_path))

    def stat(self, host_path: str, follow_symlinks: bool = True) -> os.stat_result:
        return os.stat(self.path(host_path), follow_symlinks=follow_symlinks)

    def kind(self, host_path: str) -> FileKind:
        """What a path is: file, dir, char, block, socket, fifo, missing, other."""
        try:
            mode = os.stat(self.path(host_path)).st_mode
        except FileNotFoundError:
            return "missing"
        except OSError:
            return "other"
        for test, name in (
            (stat.S_ISREG, "file"),
            (stat.S_ISDIR, "dir"),
            (stat.S_ISCHR, "char"),
            (stat.S_ISBLK, "block"),
            (stat.S_ISSOCK, "socket"),
            (stat.S_ISFIFO, "fifo"),
        ):
            if test(mode):
                return name
        return "other"

    def access(self, host_path: str, mode: int) -> bool:
        return os.access(self.path(host_path), mode)

    def is_executable(self, host_path: str) -> bool:
        local = self.path(host_path)
        return local.is_file() and os.access(local, os.X_OK)

    def listdir(self, host_path: str) -> list[str]:
        """Sorted entry names; raises OSError (FileNotFoundError, NotADirectoryError...)."""
        return sorted(os.listdir(self.path(host_path)))

    def listdir_or_empty(self, host_path: str) -> list[str]:
        try:
            return self.listdir(host_path)
        except OSError:
            return []

    def glob(self, pattern: str) -> list[str]:
        """Host paths matching a glob pattern (absolute host pattern), sorted."""
        rel = PurePosixPath("/", pattern).relative_to("/")
        return sorted(self.to_host_path(p) for p in self.root.glob(str(rel)))

    def open_fd(self, host_path: str, flags: int) -> int:
        """A raw file descriptor (device nodes such as /dev/kvm need ioctls)."""
        return os.open(self.path(host_path), flags)

    # -- writing -----------------------------------------------------------------------
    def makedirs(self, host_path: str, mode: int = 0o755) -> None:
        local = self.path(host_path)
        local.mkdir(mode=mode, parents=True, exist_ok=True)

    def write_atomic(self, host_path: str, data: bytes, mode: int = 0o600) -> None:
        atomic_write(self.path(host_path), data, mode)

    def remove(self, host_path: str) -> None:
        os.unlink(self.path(host_path))

    def remove_tree(self, host_path: str) -> None:
        """Remove a directory tree. Refuses the root and top-level directories."""
        host_path = "/" + str(PurePosixPath("/", host_path).relative_to("/"))
        if len(PurePosixPath(host_path).parts) < 3:
            raise ValueError(f"refusing to remove {host_path!r}: too close to the root")
        shutil.rmtree(self.path(host_path))

    # -- processes ---------------------------------------------------------------------
    def is_root(self) -> bool:
        return self.env.is_root

    @staticmethod
    def which(name: str, path: str | None = None) -> str | None:
        """Look a program up on PATH (of the machine we run on)."""
        return shutil.which(name, path=path)

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        max_output: int = 16 * 1024 * 1024,
    ) -> ProcessResult:
        """Run a program with a timeout; the whole process group is killed on timeout."""
        return run_command(
            argv, timeout=timeout, input=input, env=env, cwd=cwd, max_output=max_output
        )


def run_command(
    argv: Sequence[str],
    *,
    timeout: float,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    max_output: int = 16 * 1024 * 1024,
) -> ProcessResult:
    """Run `argv` (never through a shell) with a hard timeout. Never raises."""
    import subprocess

    args = [os.fspath(a) for a in argv]
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    except FileNotFoundError:
        return ProcessResult(args, None, error="not found", elapsed=time.monotonic() - start)
    except PermissionError:
        return ProcessResult(
            args, None, error="permission denied", elapsed=time.monotonic() - start
        )
    except OSError as exc:
        return ProcessResult(
            args, None, error=exc.strerror or str(exc), elapsed=time.monotonic() - start
        )
    with _RUNNING_LOCK:
        _RUNNING.add(proc)
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        try:
            out, err = proc.communicate(timeout=2)
        except subprocess.TimeoutExpired:
            out, err = b"", b""
        timed_out = True
    except BaseException:  # KeyboardInterrupt in the main thread: leave nothing running
        _kill_group(proc)
        raise
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(proc)
    return ProcessResult(
        args,
        None if timed_out else proc.returncode,
        stdout=(out or b"")[:max_output],
        stderr=(err or b"")[:max_output],
        elapsed=time.monotonic() - start,
        timed_out=timed_out,
    )


def running_count() -> int:
    """How many commands started by `run_command` are still running."""
    with _RUNNING_LOCK:
        return len(_RUNNING)


def kill_running() -> int:
    """Kill every process group still running from `run_command` (e.g. on Ctrl-C).

    Commands run from worker threads do not see a KeyboardInterrupt; the thread that
    does calls this. Returns how many were killed.
    """
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for proc in running:
        _kill_group(proc)
    return len(running)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()


def atomic_write(path: str | os.PathLike[str], data: bytes, mode: int = 0o644) -> None:
    """Write a file atomically: a temporary file in the same directory, fsync, rename."""
    import tempfile

    target = Path(os.fspath(path))
    directory = target.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
