"""The one place that touches the host.

Every read of /proc, /sys, /dev, /etc, /run, /var, /opt, /usr goes through a `Host`,
relative to its root (`--host-root`, `KATA_HOST_ROOT`, default `/`). Paths handed to
and returned by `Host` are *host paths* (as seen on the host: `/proc/cpuinfo`).

Confinement (the semantics of Linux `openat2(RESOLVE_IN_ROOT)`, as runc resolves a
container's paths): a host path is walked component by component from a descriptor of
the root, never letting the kernel follow a symbolic link. An absolute link target
restarts at the host root, `..` never climbs above it, more than 40 links (or a loop)
is an error. The result is an `O_PATH` descriptor that reads, tests, listings and socket
connections act on, through `/proc/self/fd/N`, so nothing is resolved twice. With the
root `/` the kernel's own resolution is the same thing and is used directly.

Writes and removes go further: no component may be a symbolic link at all
(`SymlinkRefused` names it). Programs named by host data run only when the root is
`/` (`run_host_program`); sockets are connected through their confined descriptor
(`connect_unix`), which also lifts the 108-byte `sun_path` limit.

Subprocesses also start here (`Host.run`), always with a timeout.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from kata_cli.record import record

if TYPE_CHECKING:  # imported where used: it costs start-up time of commands that run nothing
    import socket
    import subprocess

    from kata_cli.environment import Environment

_MAX_SYMLINKS = 40
_MAX_TREE_DEPTH = 256  # remove_tree refuses deeper trees instead of exhausting descriptors
_O_PATH = os.O_PATH | os.O_CLOEXEC
MAX_READ = 32 * 1024 * 1024  # what a read without an explicit limit takes at most
NOT_RUN_OUTSIDE_ROOT = "not run: host root is not /"

# process groups started by run_command and still running, so an interrupt can end them
_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.Lock()

FileKind = str  # "file" | "dir" | "char" | "block" | "socket" | "fifo" | "missing" | "other"


@record
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


class SymlinkRefused(OSError):
    """A write or remove met a symbolic link in its path: it is never written through."""

    def __init__(self, host_path: str) -> None:
        super().__init__(
            errno.ELOOP, f"{host_path} is a symbolic link (refusing to write through it)"
        )
        self.filename = host_path
        self.link = host_path


class OutsideRoot(OSError):
    """A path (e.g. from a URL) climbs above the host root with `..`."""

    def __init__(self, host_path: str) -> None:
        super().__init__(errno.EACCES, f"{host_path} climbs out of the host root")
        self.filename = host_path


def _components(host_path: str | os.PathLike[str]) -> list[str]:
    """The names of a host path, `.` and empty names dropped (`..` kept)."""
    text = os.fspath(host_path)
    if "\0" in text:
        raise OSError(errno.EINVAL, "the path contains a NUL byte", text.replace("\0", "\\0"))
    return [part for part in text.split("/") if part not in ("", ".")]


def normalize(host_path: str | os.PathLike[str]) -> str:
    """A host path made absolute and lexical: `.`, `//` dropped, `..` clamped at `/`."""
    names: list[str] = []
    for part in _components(host_path):
        if part == "..":
            if names:
                names.pop()
        else:
            names.append(part)
    return "/" + "/".join(names)


def climbs_out(host_path: str) -> bool:
    """True when `..` in the path would climb above `/` (a URL naming something outside)."""
    depth = 0
    for part in _components(host_path):
        depth += -1 if part == ".." else 1
        if depth < 0:
            return True
    return False


def _fd_path(fd: int) -> str:
    return f"/proc/self/fd/{fd}"


def _mode_kind(mode: int) -> FileKind:
    for test, name in (
        (stat.S_ISREG, "file"),
        (stat.S_ISDIR, "dir"),
        (stat.S_ISCHR, "char"),
        (stat.S_ISBLK, "block"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISLNK, "symlink"),
    ):
        if test(mode):
            return name
    return "other"


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

    def this_machine(self) -> Host:
        """The machine we run on (root `/`) as the same kind of `Host` with the same
        environment: for files the user names on the command line."""
        return self if self.is_native else type(self)("/", self._env)

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
        """The local spelling of a host path, for messages only (`..` clamped, links not
        resolved). Act on a host path through the methods below, or `local_path()`."""
        return self.root / normalize(host_path).lstrip("/")

    def local_path(self, host_path: str) -> Path:
        """The local path of what `host_path` resolves to inside the root (no symlink in
        it at the time of the call), for programs that must be handed a path."""
        return self.root / self.resolve(host_path).lstrip("/")

    def to_host_path(self, local: str | os.PathLike[str]) -> str:
        """Inverse of `path()`: a local path under the root back to its host path."""
        local_path = Path(os.path.abspath(os.fspath(local)))
        try:
            rel = local_path.relative_to(self.root)
        except ValueError:
            return str(local_path)
        return "/" + str(rel) if str(rel) != "." else "/"

    def contains(self, local: str | os.PathLike[str]) -> bool:
        """True when a local path lies lexically under the root."""
        return Path(os.path.abspath(os.fspath(local))).is_relative_to(self.root)

    def _walk(self, host_path: str | os.PathLike[str], follow: bool = True) -> tuple[int, str]:
        """Resolve inside the root: an O_PATH descriptor and the resolved host path.

        Never lets the kernel follow a link: each name is opened O_NOFOLLOW relative to
        its directory's descriptor; link targets are spliced into the names still to walk.
        """
        shown = os.fspath(host_path)
        pending = _components(host_path)
        pending.reverse()
        fd = os.open(self.root, _O_PATH | os.O_DIRECTORY)
        names: list[str] = []
        links = 0
        try:
            while pending:
                part = pending.pop()
                if part == "..":
                    if names:
                        parent = os.open("..", _O_PATH | os.O_DIRECTORY, dir_fd=fd)
                        os.close(fd)
                        fd = parent
                        names.pop()
                    continue
                try:
                    child = os.open(part, _O_PATH | os.O_NOFOLLOW, dir_fd=fd)
                except OSError as exc:
                    raise OSError(exc.errno, exc.strerror, shown) from None
                mode = os.fstat(child).st_mode
                if stat.S_ISLNK(mode) and (pending or follow):
                    try:
                        target = os.readlink("", dir_fd=child)
                    finally:
                        os.close(child)
                    links += 1
                    if links > _MAX_SYMLINKS:
                        raise OSError(errno.ELOOP, "too many levels of symbolic links", shown)
                    if not target:
                        raise OSError(errno.ENOENT, "empty symbolic link", shown)
                    if target.startswith("/"):
                        restart = os.open(self.root, _O_PATH | os.O_DIRECTORY)
                        os.close(fd)
                        fd = restart
                        names = []
                    pending.extend(reversed(_components(target)))
                    continue
                if pending and not stat.S_ISDIR(mode):
                    os.close(child)
                    raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), shown)
                os.close(fd)
                fd = child
                names.append(part)
        except BaseException:
            os.close(fd)
            raise
        return fd, "/" + "/".join(names)

    def _open_path(self, host_path: str | os.PathLike[str], follow: bool = True) -> int:
        """An O_PATH descriptor of `host_path`, resolved inside the root."""
        if self.is_native:
            flags = _O_PATH | (0 if follow else os.O_NOFOLLOW)
            try:
                return os.open(normalize_native(host_path), flags)
            except ValueError as exc:  # NUL byte
                raise OSError(errno.EINVAL, str(exc), os.fspath(host_path)) from None
        return self._walk(host_path, follow)[0]

    @contextmanager
    def _opened(self, host_path: str | os.PathLike[str], follow: bool = True) -> Iterator[int]:
        fd = self._open_path(host_path, follow)
        try:
            yield fd
        finally:
            os.close(fd)

    def open_fd(self, host_path: str, flags: int) -> int:
        """A real descriptor of the confined target (device nodes such as /dev/kvm need
        ioctls). Never creates; O_CREAT and friends are stripped."""
        return self._reopen(host_path, flags)

    def _reopen(self, host_path: str, flags: int) -> int:
        flags &= ~(os.O_CREAT | os.O_EXCL | os.O_TRUNC)
        if self.is_native:  # the kernel's resolution is the confined one: no /proc needed
            try:
                return os.open(normalize_native(host_path), flags | os.O_CLOEXEC)
            except ValueError as exc:  # NUL byte
                raise OSError(errno.EINVAL, str(exc), os.fspath(host_path)) from None
        with self._opened(host_path, follow=not flags & os.O_NOFOLLOW) as fd:
            if stat.S_ISLNK(os.fstat(fd).st_mode):
                raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), host_path)
            return os.open(_fd_path(fd), (flags & ~os.O_NOFOLLOW) | os.O_CLOEXEC)

    def resolve(self, host_path: str) -> str:
        """Follow symlinks inside the root; return the host path of the target.

        Raises FileNotFoundError when any component is missing (upstream's "resolved"),
        OSError(ELOOP) for loops and chains of more than 40 links.
        """
        fd, resolved = self._walk(host_path)
        os.close(fd)
        return resolved

    # -- reading -----------------------------------------------------------------------
    def read_bytes(self, host_path: str, limit: int | None = None) -> bytes:
        """A regular file's bytes (its first `limit`). A FIFO, device or socket raises
        instead of blocking; without a limit, a file past MAX_READ raises EFBIG (a 20 GB
        /proc/cpuinfo under a hostile root must not take the memory of the machine)."""
        fd = self._reopen(host_path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), host_path)
            if not stat.S_ISREG(mode):
                raise OSError(errno.EINVAL, "not a regular file", host_path)
            os.set_blocking(fd, True)
            with os.fdopen(fd, "rb", closefd=True) as handle:
                fd = -1
                if limit is not None:
                    return handle.read(limit)
                data = handle.read(MAX_READ + 1)
                if len(data) > MAX_READ:
                    raise OSError(
                        errno.EFBIG, f"larger than {MAX_READ // (1024 * 1024)} MiB", host_path
                    )
                return data
        finally:
            if fd >= 0:
                os.close(fd)

    def read_tail(self, host_path: str, size: int) -> tuple[bytes, int]:
        """The last `size` bytes of a regular file and the offset they start at (a FIFO,
        device or socket raises instead of blocking)."""
        fd = self._reopen(host_path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise OSError(errno.EINVAL, "not a regular file", host_path)
            os.set_blocking(fd, True)
            offset = max(info.st_size - size, 0)
            os.lseek(fd, offset, os.SEEK_SET)
            chunks: list[bytes] = []
            got = 0
            while got < size and (chunk := os.read(fd, min(1024 * 1024, size - got))):
                chunks.append(chunk)
                got += len(chunk)
            return b"".join(chunks), offset
        finally:
            os.close(fd)

    def read_text(self, host_path: str, limit: int | None = None) -> str:
        return self.read_bytes(host_path, limit).decode("utf-8", "replace")

    def read_text_or(
        self, host_path: str, default: str | None = None, limit: int | None = None
    ) -> str | None:
        """The file's text (its first `limit` bytes), or `default` when it cannot be read
        for any reason."""
        try:
            return self.read_text(host_path, limit)
        except OSError:
            return default

    def _lstat_or_none(self, host_path: str, follow: bool) -> os.stat_result | None:
        try:
            with self._opened(host_path, follow) as fd:
                return os.fstat(fd)
        except OSError:
            return None

    def exists(self, host_path: str) -> bool:
        return self._lstat_or_none(host_path, True) is not None

    def lexists(self, host_path: str) -> bool:
        return self._lstat_or_none(host_path, False) is not None

    def is_file(self, host_path: str) -> bool:
        st = self._lstat_or_none(host_path, True)  # False, never OSError (ENAMETOOLONG)
        return st is not None and stat.S_ISREG(st.st_mode)

    def is_dir(self, host_path: str) -> bool:
        st = self._lstat_or_none(host_path, True)
        return st is not None and stat.S_ISDIR(st.st_mode)

    def is_symlink(self, host_path: str) -> bool:
        st = self._lstat_or_none(host_path, False)
        return st is not None and stat.S_ISLNK(st.st_mode)

    def readlink(self, host_path: str) -> str:
        """The target text of a symbolic link (the directories before it resolved inside)."""
        with self._opened(host_path, follow=False) as fd:
            return os.readlink("", dir_fd=fd)

    def stat(self, host_path: str, follow_symlinks: bool = True) -> os.stat_result:
        with self._opened(host_path, follow_symlinks) as fd:
            return os.fstat(fd)

    def kind(self, host_path: str, follow_symlinks: bool = True) -> FileKind:
        """What a path is: file, dir, char, block, socket, fifo, missing, other
        (and symlink, with follow_symlinks=False)."""
        try:
            mode = self.stat(host_path, follow_symlinks).st_mode
        except FileNotFoundError:
            return "missing"
        except OSError:
            return "other"
        return _mode_kind(mode)

    def _access_fd(self, host_path: str, fd: int, mode: int) -> bool:
        if self.is_native:  # the path itself, so directory permissions count as always
            return os.access(normalize_native(host_path), mode)
        return os.access(_fd_path(fd), mode)

    def access(self, host_path: str, mode: int) -> bool:
        try:
            with self._opened(host_path) as fd:
                return self._access_fd(host_path, fd, mode)
        except (OSError, ValueError):
            return False

    def is_executable(self, host_path: str) -> bool:
        try:
            with self._opened(host_path) as fd:
                regular = stat.S_ISREG(os.fstat(fd).st_mode)
                return regular and self._access_fd(host_path, fd, os.X_OK)
        except (OSError, ValueError):
            return False

    def listdir(self, host_path: str) -> list[str]:
        """Sorted entry names; raises OSError (FileNotFoundError, NotADirectoryError...)."""
        fd = self._reopen(host_path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            return sorted(os.listdir(fd))
        finally:
            os.close(fd)

    def listdir_or_empty(self, host_path: str) -> list[str]:
        try:
            return self.listdir(host_path)
        except OSError:
            return []

    def glob(self, pattern: str) -> list[str]:
        """Host paths matching a glob pattern (absolute host pattern), sorted.

        Each directory is listed inside the root; like glob(3), `*` does not match a
        leading dot, and matches are host paths as named, not resolved.
        """
        found = [""]
        for part in _components(normalize(pattern)):
            if not any(c in part for c in "*?["):
                found = [f"{base}/{part}" for base in found]
                continue
            matched = []
            for base in found:
                for name in self.listdir_or_empty(base or "/"):
                    if name.startswith(".") and not part.startswith("."):
                        continue
                    if fnmatch.fnmatchcase(name, part):
                        matched.append(f"{base}/{name}")
            found = matched
        return sorted(path for path in found if path and self.lexists(path))

    # -- sockets -----------------------------------------------------------------------
    def connect_unix(self, host_path: str, timeout: float) -> socket.socket:
        """A stream socket connected to the Unix socket at `host_path` inside the root.

        The path is resolved inside the root and the socket reached through its
        descriptor (`/proc/self/fd/N`), so no length limit applies and no link is
        followed out. A path that climbs out with `..` is refused (OutsideRoot).
        """
        import socket

        if climbs_out(host_path):
            raise OutsideRoot(host_path)
        with self._opened(host_path) as fd:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                raise ConnectionRefusedError(
                    errno.ECONNREFUSED, "Connection refused (not a socket)", host_path
                )
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(_fd_path(fd))
            except BaseException:
                sock.close()
                raise
            return sock

    # -- writing: no symbolic link in any component ------------------------------------
    def _dir_fd(self, host_path: str, create: bool = False, mode: int = 0o755) -> int:
        """An O_PATH descriptor of a directory reached without any symlink."""
        fd = os.open(self.root, _O_PATH | os.O_DIRECTORY)
        walked = ""
        try:
            for part in _components(normalize(host_path)):
                walked += "/" + part
                try:
                    child = os.open(part, _O_PATH | os.O_NOFOLLOW, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise FileNotFoundError(
                            errno.ENOENT, os.strerror(errno.ENOENT), walked
                        ) from None
                    try:
                        os.mkdir(part, mode, dir_fd=fd)
                    except FileExistsError:
                        pass
                    child = os.open(part, _O_PATH | os.O_NOFOLLOW, dir_fd=fd)
                child_mode = os.fstat(child).st_mode
                if not stat.S_ISDIR(child_mode):
                    os.close(child)
                    if stat.S_ISLNK(child_mode):
                        raise SymlinkRefused(walked)
                    raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), walked)
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    def first_symlink(self, host_path: str) -> str | None:
        """The first component of `host_path` (lexically normalised) that is a symbolic
        link, or None; stops at the first missing one. For code that must create a path
        later (a socket's directory) and refuses to do it through a link."""
        try:
            os.close(self._dir_fd(host_path))
        except SymlinkRefused as exc:
            return exc.link
        except OSError:
            pass
        return None

    def _parent_fd(self, host_path: str) -> tuple[int, str, str]:
        """Descriptor of the parent directory (no symlinks), the final name, the path."""
        path = normalize(host_path)
        if path == "/":
            raise IsADirectoryError(errno.EISDIR, "refusing to write the host root", path)
        parent, _, name = path.rpartition("/")
        return self._dir_fd(parent or "/"), name, path

    def makedirs(self, host_path: str, mode: int = 0o755) -> None:
        """Create a directory and its parents; refuses a symlink anywhere on the way."""
        os.close(self._dir_fd(host_path, create=True, mode=mode))

    def chmod(self, host_path: str, mode: int) -> None:
        """Change a file's mode; refuses a symlink anywhere, the last name included."""
        dir_fd, name, path = self._parent_fd(host_path)
        try:
            fd = os.open(name, _O_PATH | os.O_NOFOLLOW, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
        try:
            if stat.S_ISLNK(os.fstat(fd).st_mode):
                raise SymlinkRefused(path)
            os.chmod(_fd_path(fd), mode)
        finally:
            os.close(fd)

    def write_atomic(
        self, host_path: str, data: bytes, mode: int = 0o600, owner: tuple[int, int] | None = None
    ) -> None:
        """Write a file atomically (temporary file + rename in the same directory); `owner`
        (uid, gid): the file rewritten keeps its owner where we may chown (as `sed -i`:
        else the group alone, else ours)."""
        import secrets

        dir_fd, name, path = self._parent_fd(host_path)
        try:
            try:
                existing = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
            except FileNotFoundError:
                existing = None
            if existing is not None and stat.S_ISLNK(existing):
                raise SymlinkRefused(path)
            tmp = f".{name[:200]}.{secrets.token_hex(6)}.tmp"
            fd = os.open(
                tmp,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                mode,
                dir_fd=dir_fd,
            )
            try:
                try:
                    if owner is not None:
                        _keep_owner(fd, owner)  # before fchmod: a chown clears set-id bits
                    os.fchmod(fd, mode)
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except BaseException:
                try:
                    os.unlink(tmp, dir_fd=dir_fd)
                except OSError:
                    pass
                raise
        finally:
            os.close(dir_fd)

    def remove(self, host_path: str) -> None:
        """Remove a file (a symlink itself, never its target)."""
        dir_fd, name, _ = self._parent_fd(host_path)
        try:
            os.unlink(name, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)

    def remove_tree(self, host_path: str, missing_ok: bool = True) -> None:
        """Remove a directory tree without following any link, tolerating concurrent
        removers. Refuses the root and top-level directories."""
        path = normalize(host_path)
        if len(PurePosixPath(path).parts) < 3:
            raise ValueError(f"refusing to remove {path!r}: too close to the root")
        try:
            dir_fd, name, _ = self._parent_fd(path)
        except FileNotFoundError:
            if missing_ok:
                return
            raise
        try:
            _remove_entry(dir_fd, name, path, 0)
        finally:
            os.close(dir_fd)

    # -- processes ---------------------------------------------------------------------
    def is_root(self) -> bool:
        return self.env.is_root

    @staticmethod
    def which(name: str, path: str | None = None) -> str | None:
        """Look a program up on PATH (of the machine we run on)."""
        import shutil

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
        """Run a program of this machine with a timeout; the process group is killed on
        timeout. Programs named by host data go through `run_host_program`."""
        return run_command(
            argv, timeout=timeout, input=input, env=env, cwd=cwd, max_output=max_output
        )

    def run_host_program(
        self,
        host_path: str,
        args: Sequence[str] = (),
        *,
        timeout: float,
        env: Mapping[str, str] | None = None,
        max_output: int = 16 * 1024 * 1024,
    ) -> ProcessResult:
        """Run a program the host names (a hypervisor, virtiofsd) at its confined path.

        Only with the root `/`: a program from another root would run on this machine
        with this machine's libraries (and could be anything). Otherwise the result
        says NOT_RUN_OUTSIDE_ROOT and nothing runs.
        """
        argv = [host_path, *args]
        if not self.is_native:
            return ProcessResult(argv, None, error=NOT_RUN_OUTSIDE_ROOT)
        try:
            resolved = self.resolve(host_path)
        except FileNotFoundError:
            return ProcessResult(argv, None, error="not found")
        except OSError as exc:
            return ProcessResult(argv, None, error=exc.strerror or str(exc))
        return run_command([resolved, *args], timeout=timeout, env=env, max_output=max_output)


# -- this machine's own files: outputs and inputs the user names, our own executable -----
def is_local_dir(path: str | os.PathLike[str]) -> bool:
    """True when a local path (e.g. the --host-root itself) is a directory."""
    return os.path.isdir(path)


def local_realpath(path: str | os.PathLike[str]) -> str:
    """A local path with its links resolved by the kernel (our own executable)."""
    return os.path.realpath(path)


def make_local_dirs(path: str | os.PathLike[str], mode: int = 0o755) -> None:
    """Create a directory the user named for outputs (and its parents)."""
    os.makedirs(path, mode=mode, exist_ok=True)


def read_user_file(path: str | os.PathLike[str]) -> bytes:
    """A local file the user named as input (a pipe such as /dev/fd/3 or /dev/stdin too)."""
    with open(path, "rb") as handle:
        return handle.read()


def output_problem(path: str) -> str | None:
    """Why an output file the user named cannot be written, or None."""
    if os.path.isdir(path):
        return "Is a directory"
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        return "No such file or directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return "Permission denied"
    return None


def local_host() -> Host:
    """This machine's own file system (user-named local files, our own sockets)."""
    return Host("/")


def connect_local_unix(path: str | os.PathLike[str], timeout: float) -> socket.socket:
    """Connect to a Unix socket of this machine (one we started, e.g. a VM's), with no
    sun_path length limit."""
    return Host("/").connect_unix(os.path.abspath(os.fspath(path)), timeout)


def devnull_fd(flags: int = os.O_RDWR) -> int:
    """A descriptor of /dev/null (to stand in for a closed standard stream)."""
    return os.open(os.devnull, flags)


def normalize_native(host_path: str | os.PathLike[str]) -> str:
    """A host path as the kernel should see it with the root `/` (relative -> absolute)."""
    text = os.fspath(host_path)
    return text if text.startswith("/") else "/" + text


def _remove_entry(dir_fd: int, name: str, shown: str, depth: int) -> None:
    """Remove `name` in `dir_fd`: a file or link is unlinked, a directory emptied first."""
    if depth > _MAX_TREE_DEPTH:
        raise OSError(errno.ELOOP, "directory tree too deep to remove", shown)
    try:
        fd = os.open(
            name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd
        )
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno not in (errno.ENOTDIR, errno.ELOOP):
            raise
        try:
            os.unlink(name, dir_fd=dir_fd)
        except FileNotFoundError:
            pass
        return
    try:
        for entry in os.scandir(fd):
            _remove_entry(fd, entry.name, f"{shown}/{entry.name}", depth + 1)
    finally:
        os.close(fd)
    try:
        os.rmdir(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass


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
    launch, preexec = with_parent_death(args, env, cwd)
    try:
        proc = subprocess.Popen(
            launch,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=preexec,
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


_PR_SET_PDEATHSIG = 1


def with_parent_death(
    args: list[str], env: Mapping[str, str] | None, cwd: str | None
) -> tuple[list[str], Callable[[], None] | None]:
    """(argv, pre-exec step) that start `args` with a parent-death signal (SIGKILL).

    The kernel then kills the program when the thread that started it ends, so when
    kata-cli dies, even by SIGKILL. Preferred: util-linux `setpriv --pdeathsig KILL`, a
    tiny exec in front of the program (safe with threads, keeps the fast vfork spawn).
    Without it, a Python pre-exec step (`die_with_parent`). A program that is missing
    or not executable is started as is: it fails to start, as it would without setpriv
    ("not found", "permission denied"), instead of becoming setpriv's exit 126/127.
    """
    setpriv = _setpriv()
    if setpriv is None:
        return args, die_with_parent()
    program = args[0]
    if "/" in program:
        path = os.path.join(cwd or "", program)
        runnable = os.path.isfile(path) and os.access(path, os.X_OK)
    else:
        import shutil

        search = (env if env is not None else os.environ).get("PATH", os.defpath)
        runnable = shutil.which(program, path=search) is not None
    if not runnable:
        return args, None
    return [setpriv, "--pdeathsig", "KILL", "--", *args], None


_SETPRIV: list[str | None] = []
_SETPRIV_LOCK = threading.Lock()
# where util-linux installs it, whatever PATH the caller runs with
_SETPRIV_DIRS = "/usr/bin:/bin:/usr/sbin:/sbin"


def _setpriv() -> str | None:
    """This machine's setpriv, if it has --pdeathsig (util-linux 2.33+); looked up once."""
    with _SETPRIV_LOCK:
        if not _SETPRIV:
            _SETPRIV.append(_find_setpriv())
    return _SETPRIV[0]


def _find_setpriv() -> str | None:
    import shutil
    import subprocess

    found = shutil.which("setpriv", path=_SETPRIV_DIRS) or shutil.which("setpriv")
    if found is not None:
        try:
            usage = subprocess.run(
                [found, "--help"], capture_output=True, timeout=5, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError):
            usage = b""
        if b"--pdeathsig" not in usage:
            found = None
    return found


def die_with_parent() -> Callable[[], None] | None:
    """A pre-exec step that has the kernel SIGKILL the child when we die, even by SIGKILL.

    Thread safety: the step runs in the forked child before exec. It does no imports and
    takes no lock: it calls one libc function resolved here, in the parent, with small
    int arguments (CPython re-creates its own locks in a forked child). A parent that is
    already gone when the child gets there is caught by comparing the parent pid.
    None where prctl does not exist (not Linux): the process-group kill still applies.
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()
    kill, sigkill = os.kill, int(signal.SIGKILL)
    getppid = os.getppid

    def step() -> None:
        prctl(_PR_SET_PDEATHSIG, sigkill)
        if getppid() != parent:  # we died between fork and prctl: nobody will reap it
            kill(0, sigkill)

    return step


_PRCTL: list[Any] = []


def _prctl() -> Any:
    if not _PRCTL:
        try:
            import ctypes

            _PRCTL.append(ctypes.CDLL(None, use_errno=True).prctl)
        except (OSError, AttributeError):
            _PRCTL.append(None)
    return _PRCTL[0]


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
    """Write a local file (an output the user named, VM state) atomically: a temporary
    file in the same directory, fsync, rename. A symlink at `path` is replaced, never
    written through; the directory is the user's choice."""
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


def _keep_owner(fd: int, owner: tuple[int, int]) -> None:
    """Give a new file the owner of the file it replaces, as far as we are allowed."""
    current = os.fstat(fd)
    if (current.st_uid, current.st_gid) == owner:
        return
    try:
        os.fchown(fd, *owner)
    except PermissionError:
        try:
            os.fchown(fd, -1, owner[1])
        except PermissionError:
            pass
