"""What a collect-data section sees: the host, the options, the clock, one shared configuration.

`Context` runs the commands and reads the files the sections declare (`command()`: the
runner hands it a section's `commands`, a probe the declared `uses` it decides to run).
It fills the declared placeholders (`{since}` from --since, `{journal_lines}` from
--max-lines, values a probe names such as `{target}`) and owns argv[0] lookup, --chroot,
the environment, output and file size bounds, and every timeout: `min(--timeout or the
command's own, time left before --deadline)`.

The runner hands each section a view of the context scoped to what the section declares
(`for_section`): its probe may read only the files of its `files` and `reads` (through
`read_file`, `read_tail`, `expand`, `read_text_or`, `read_head`) and run only its
`commands` and `uses`; anything else raises `UndeclaredAccess`, a programming error that
the runner reports as a failed item and the tests catch. Looking at host state
(`ctx.host.is_dir`, `listdir`, `kind`, ...) reads no content and stays free; the
libraries a probe hands `ctx.host` to (check, env, `probe.py`) read what they declare.
"""

from __future__ import annotations

import copy
import os
import posixpath
import re
import threading
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Protocol

from kata_cli.collect.model import DEADLINE, FAILED, NOT_FOUND, SKIPPED, TIMED_OUT, Item, Options
from kata_cli.host import NOT_RUN_OUTSIDE_ROOT, Host, ProcessResult, local_host
from kata_cli.record import record

if TYPE_CHECKING:
    from kata_cli.config.model import Config

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_COMMAND_OUTPUT = 4 * 1024 * 1024
# where programs are looked up inside a --chroot host root
CHROOT_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
# Kata installs (kata-deploy, default builds) that are often not on PATH
KATA_BIN_DIRS = ("/opt/kata/bin", "/usr/local/bin", "/usr/bin")

DEADLINE_GRACE = 0.25  # seconds kept before the deadline to reap a command and record it
RELATIVE = re.compile(r"^\d+(s|sec|m|min|h|d|w)$")


def journal_since(since: str) -> str:
    """journalctl's --since value: `24h` means 24 hours ago; anything else passes through."""
    return f"-{since}" if RELATIVE.match(since.strip()) else since


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with each `{name}` of `values` replaced once (other braces, such as dpkg's
    `${Package}`, stay as they are; a value is never expanded again)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


class Declared(Protocol):
    """What `Context.command` needs of a declared command (`section.Command`)."""

    @property
    def argv(self) -> tuple[str, ...]: ...
    @property
    def title(self) -> str | None: ...
    @property
    def lang(self) -> str: ...
    @property
    def timeout(self) -> float | None: ...
    @property
    def extra_dirs(self) -> tuple[str, ...]: ...
    @property
    def host_program(self) -> bool: ...


class UndeclaredAccess(Exception):
    """A section read a file or ran a command its `Section` does not declare."""


@record(frozen=True)
class Scope:
    """What one section declared: host paths or globs (matched component by component;
    `{sandbox}` is --sandbox, `{config_dir}` the directory of the configuration in
    effect, `{image}` and `{initrd}` its guest assets) and the commands it may run."""

    section: str
    reads: tuple[str, ...]
    uses: tuple[Declared, ...]


def path_matches(path: str, pattern: str) -> bool:
    """`pattern` (a path or a glob) names `path`; a `*` never crosses a `/`."""
    parts, wanted = path.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(map(fnmatchcase, parts, wanted))


class _Shared:
    """What every section's view of one context shares: the configuration, loaded once,
    and the Ctrl-C flag."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.config: Config | None = None
        self.config_error: str | None = None
        self.config_loaded = False
        self.interrupted = False


def yes_no(value: object) -> object:
    """The words the report uses for booleans (JSON keeps true/false)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def file_lang(path: str) -> str:
    for suffix, lang in ((".toml", "toml"), (".json", "json"), (".yaml", "yaml"), (".yml", "yaml")):
        if path.endswith(suffix):
            return lang
    return ""


class Context:
    """What a section sees: the host, the options, the clock, a shared configuration."""

    def __init__(self, host: Host, options: Options, start: float | None = None) -> None:
        self.host = host
        self.options = options
        self.start = host.env.monotonic() if start is None else start
        self.deadline_at = self.start + options.deadline
        self._shared = _Shared()
        self.scope: Scope | None = None  # None: everything (the runner, tests)

    def for_section(
        self, section: str, reads: tuple[str, ...], uses: tuple[Declared, ...]
    ) -> Context:
        """This context as one section sees it: it may gather only `reads` and run only
        `uses` (everything else is shared: configuration, clock, Ctrl-C)."""
        view = copy.copy(self)
        view.scope = Scope(section, reads, uses)
        return view

    def on_host(self, host: Host) -> Context:
        """The same view reading another file system (the configuration named by
        --config lives on this machine, not under the host root)."""
        view = copy.copy(self)
        view.host = host
        return view

    @property
    def interrupted(self) -> bool:
        """Set on Ctrl-C: no new command is started."""
        return self._shared.interrupted

    @interrupted.setter
    def interrupted(self, value: bool) -> None:
        self._shared.interrupted = value

    # -- declarations ------------------------------------------------------------------
    def declares(self, host_path: str) -> bool:
        """Whether this section declared `host_path` among the files it gathers."""
        if self.scope is None:
            return True
        return any(path_matches(host_path, pattern) for pattern in self._read_patterns())

    def _read_patterns(self) -> list[str]:
        assert self.scope is not None
        patterns = []
        for pattern in self.scope.reads:
            if "{" in pattern:
                value = self._read_placeholder(PLACEHOLDER.findall(pattern))
                if value is None:
                    continue
                pattern = fill(pattern, value)
            patterns.append(pattern)
        return patterns

    def _read_placeholder(self, names: list[str]) -> dict[str, str] | None:
        """The values of the placeholders `names` (see `Scope`), glob characters escaped;
        None when one of them has no value (no --sandbox, no configuration, no image)."""
        values: dict[str, str] = {}
        for name in names:
            value = self._placeholder(name)
            if not value:
                return None
            values[name] = re.sub(r"([*?\[])", r"[\1]", value)
        return values

    def _placeholder(self, name: str) -> str | None:
        if name == "sandbox":
            return self.options.sandbox
        config = self.config()
        if config is None:
            return None
        if name == "config_dir":
            return posixpath.dirname(config.path) if config.path.startswith("/") else None
        if name in ("image", "initrd"):
            return str(getattr(config.hypervisor, name))
        return None

    def _check_read(self, host_path: str) -> None:
        if not self.declares(host_path):
            assert self.scope is not None
            raise UndeclaredAccess(
                f"section {self.scope.section} reads {host_path}, which it does not declare"
            )

    def _check_use(self, command: Declared) -> None:
        if self.scope is not None and command not in self.scope.uses:
            raise UndeclaredAccess(
                f"section {self.scope.section} runs {' '.join(command.argv)}, "
                "which it does not declare"
            )

    # -- time --------------------------------------------------------------------------
    def remaining(self) -> float:
        return self.deadline_at - self.host.env.monotonic()

    # -- configuration (loaded once, shared by every section) ---------------------------
    def config(self) -> Config | None:
        shared = self._shared
        with shared.lock:
            if not shared.config_loaded:
                shared.config_loaded = True
                try:
                    from kata_cli.config import load

                    shared.config = load(self.host, explicit=self.options.explicit_config)
                except Exception as exc:  # any failure becomes a note, never an abort
                    shared.config_error = str(exc) or type(exc).__name__
            return shared.config

    @property
    def config_error(self) -> str | None:
        self.config()
        return self._shared.config_error

    def unconfigured(self, title: str, status: str = SKIPPED) -> Item:
        """The item of a part that needs the configuration when none could be loaded."""
        return Item(
            "text", title, status=status, detail=f"no usable configuration: {self.config_error}"
        )

    # -- declared commands -------------------------------------------------------------
    def placeholders(self) -> dict[str, str]:
        """The values every declared command may name, derived from the options."""
        return {
            "since": journal_since(self.options.since),
            "journal_lines": str(max(self.options.max_lines * 20, 1000)),
        }

    def command(self, command: Declared, **values: str) -> Item:
        """Run a declared command: placeholders filled, argv[0] looked up, bounded.

        The runner runs a section's `commands` here, and a probe the `uses` it picks.
        `values` add to `placeholders()` (e.g. `target=` for debugfs). With
        `host_program`, argv[0] is a host path (the configured hypervisor): it runs as
        `host_program()` says and the item shows the host path.
        """
        self._check_use(command)
        fields = {**self.placeholders(), **values}
        argv = [fill(part, fields) for part in command.argv]
        title = fill(command.title, fields) if command.title is not None else None
        shown = argv
        if command.host_program:
            program = self.host_program(argv[0])
            if program is None:
                detail = f"{argv[0]}: not found or not executable under the host root"
                return Item(
                    "command", title or " ".join(shown), argv=shown, status=NOT_FOUND, detail=detail
                )
            argv = [program, *argv[1:]]
        item = self.run(
            argv,
            title=title,
            lang=command.lang,
            extra_dirs=command.extra_dirs,
            timeout=command.timeout,
        )
        item.argv = list(shown)
        return item

    def pipe(self, command: Declared, data: bytes, max_output: int) -> ProcessResult | None:
        """Feed `data` to a declared filter command of this machine (e.g. `zstd -dc`) and
        return its raw result; None when the program is not found. The timeout is the
        command's own or --timeout, never past the deadline (at least 0.1 s)."""
        self._check_use(command)
        program = self.which(command.argv[0], command.extra_dirs)
        if program is None:
            return None
        limit = min(command.timeout or self.options.timeout, max(self.remaining(), 0.1))
        return self.host.run(
            [program, *command.argv[1:]], timeout=limit, input=data, max_output=max_output
        )

    # -- programs ----------------------------------------------------------------------
    def which(self, name: str, extra_dirs: Sequence[str] = ()) -> str | None:
        """Where a program is: on PATH (or, with --chroot, on the host root's PATH).

        `extra_dirs` are host directories also searched (e.g. /opt/kata/bin). The
        result is an argv[0] that `run()` can execute.
        """
        if "/" in name:
            return name if self._executable(name) else None
        if self.options.chroot:
            for directory in (*CHROOT_PATH, *extra_dirs):
                if self.host.is_executable(f"{directory}/{name}"):
                    return f"{directory}/{name}"
            return None
        found = self.host.which(name, path=self.options.search_path)
        if found:
            return found
        if not self.host.is_native:
            return None  # programs of another root run only with --chroot
        for directory in extra_dirs:
            if self.host.is_executable(f"{directory}/{name}"):
                return self.host.resolve(f"{directory}/{name}")
        return None

    def _host_only(self, name: str, extra_dirs: Sequence[str]) -> bool:
        """True when `name` exists only as a program of a host root that is not `/`."""
        if self.options.chroot or self.host.is_native or "/" in name:
            return False
        return any(self.host.is_executable(f"{d}/{name}") for d in extra_dirs)

    def _executable(self, path: str) -> bool:
        if self.options.chroot:
            return self.host.is_executable(path)
        return local_host().is_executable(os.path.abspath(path))

    def host_program(self, host_path: str) -> str | None:
        """argv[0] for a program named by a host path (e.g. the configured hypervisor):
        with --chroot its host path, with the root `/` its resolved path, otherwise
        NOT_RUN_OUTSIDE_ROOT (`run()` reports it as not run)."""
        if not host_path or not self.host.is_executable(host_path):
            return None
        if self.options.chroot:
            return host_path
        if not self.host.is_native:
            return NOT_RUN_OUTSIDE_ROOT
        return self.host.resolve(host_path)

    def run(
        self,
        argv: Sequence[str],
        *,
        title: str | None = None,
        lang: str = "",
        extra_dirs: Sequence[str] = (),
        timeout: float | None = None,
    ) -> Item:
        """Run a program (looked up unless argv[0] is already a path) and describe the outcome."""
        shown = " ".join(argv)
        item = Item("command", title or shown, argv=list(argv), lang=lang)
        if argv[0] == NOT_RUN_OUTSIDE_ROOT or (
            not argv[0].startswith("/") and self._host_only(argv[0], extra_dirs)
        ):
            item.status, item.detail = SKIPPED, NOT_RUN_OUTSIDE_ROOT
            return item
        program = argv[0] if argv[0].startswith("/") else self.which(argv[0], extra_dirs)
        if program is None:
            item.status, item.detail = NOT_FOUND, f"{argv[0]}: not found"
            return item
        if self.interrupted:
            item.status, item.detail = SKIPPED, "not run: interrupted"
            return item
        left = self.remaining()
        if left <= 0:
            item.status, item.detail = DEADLINE, "not run: the deadline had expired"
            return item
        # stop a little before the deadline so the outcome is recorded, not lost
        limit = min(timeout or self.options.timeout, max(left - DEADLINE_GRACE, 0.05))
        full = [program, *argv[1:]]
        if self.options.chroot:
            full = ["chroot", str(self.host.root), *full]
        env = {
            **self.host.env.environ,
            "LC_ALL": "C",
            "PAGER": "cat",
            "SYSTEMD_PAGER": "",
            "SYSTEMD_COLORS": "0",
        }
        result = self.host.run(full, timeout=limit, env=env, max_output=MAX_COMMAND_OUTPUT)
        item.duration = round(result.elapsed, 3)
        item.exit_code = result.returncode
        text = result.stdout_text
        if result.stderr:
            text += ("" if not text or text.endswith("\n") else "\n") + result.stderr_text
        item.text = text
        if result.error:
            item.status = NOT_FOUND if result.error == "not found" else FAILED
        elif result.timed_out:
            item.status = TIMED_OUT
        elif result.returncode != 0:
            item.status = FAILED
        item.detail = result.describe()
        return item

    # -- files -------------------------------------------------------------------------
    def read_file(
        self, host_path: str, *, title: str | None = None, lang: str | None = None
    ) -> Item:
        """A host file as an item (symlink target noted); unreadable -> a failed item."""
        self._check_read(host_path)
        item = Item("file", title or host_path, path=host_path)
        item.lang = file_lang(host_path) if lang is None else lang
        try:
            if self.host.is_symlink(host_path):
                item.detail = f"symlink to {self.host.resolve(host_path)}"
            data = self.host.read_bytes(host_path, limit=MAX_FILE_BYTES + 1)
        except OSError as exc:
            item.status = NOT_FOUND if isinstance(exc, FileNotFoundError) else FAILED
            item.detail = f"could not read: {exc.strerror or exc}"
            return item
        if len(data) > MAX_FILE_BYTES:
            data = data[:MAX_FILE_BYTES]
            item.detail = (item.detail + "; " if item.detail else "") + "first 2 MiB only"
        item.text = data.decode("utf-8", "replace")
        return item

    def read_text_or(self, host_path: str, default: str | None = None) -> str | None:
        """A declared host file's text, or `default` when it cannot be read."""
        self._check_read(host_path)
        return self.host.read_text_or(host_path, default)

    def read_head(self, host_path: str, limit: int) -> bytes:
        """The first `limit` bytes of a declared host file (OSError when unreadable)."""
        self._check_read(host_path)
        return self.host.read_bytes(host_path, limit=limit)

    def read_tail(self, host_path: str, size: int) -> tuple[bytes, bool]:
        """The last `size` bytes of a (log) file and whether the start was cut off."""
        self._check_read(host_path)
        data, offset = self.host.read_tail(host_path, size)
        if offset:
            data = data.split(b"\n", 1)[-1]  # drop the partial first line
        return data, offset > 0

    def expand(self, patterns: Iterable[str]) -> list[str]:
        """Host paths of existing files matching paths or globs, in order, without repeats."""
        found: list[str] = []
        for pattern in patterns:
            self._check_read(pattern)
            paths = self.host.glob(pattern) if any(c in pattern for c in "*?[") else [pattern]
            for path in paths:
                if path not in found and self.host.is_file(path):
                    found.append(path)
        return found
