"""The tiny test guest built by `kata-cli vm guest build` (kernel + busybox initrd): where
the cache is and which entry of it is complete.

The cache is found through the run's `Environment` (`KATA_CLI_GUEST_CACHE`,
`XDG_CACHE_HOME`, `HOME`, `KATA_CLI_TEST_GUEST`): commands hand in `host.env`, library
callers that hand in none get the process's."""

from __future__ import annotations

import json
from pathlib import Path

from kata_cli.environment import Environment
from kata_cli.host import local_host
from kata_cli.record import record

GUEST_FORMAT = 7
META_LIMIT = 64 * 1024
DEFAULT_MARKER = "KATA-CLI-GUEST-READY"
DEBUG_PORT_NAME = "kata.debug"


@record(frozen=True)
class TestGuest:
    __test__ = False  # not a pytest test class, whatever its name says

    directory: str
    kernel: str
    initrd: str
    ready_marker: str
    debug_port_name: str
    kernel_version: str


def _home(env: Environment) -> Path:
    """`HOME` as `Path.home()` reads it (set, even empty, it wins), else the account's."""
    home = env.get("HOME")
    if home is not None:
        return Path(home)
    import pwd

    try:
        return Path(pwd.getpwuid(env.euid).pw_dir)
    except KeyError:
        raise RuntimeError("Could not determine home directory.") from None


def cache_root(env: Environment | None = None) -> Path:
    """The test-guest cache for the environment `env` (the process's when None)."""
    if env is None:
        env = Environment.from_process()
    explicit = env.get("KATA_CLI_GUEST_CACHE")
    if explicit:
        return Path(explicit)
    base = env.get("XDG_CACHE_HOME") or str(_home(env) / ".cache")
    return Path(base) / "kata-cli" / "test-guest"


def load_guest(directory: Path) -> TestGuest | None:
    """The guest in `directory` when it is complete and of our format, else None."""
    try:
        meta = json.loads(local_host().read_text(str(directory / "guest.json"), limit=META_LIMIT))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != GUEST_FORMAT:
        return None
    kernel = directory / str(meta.get("kernel", "vmlinux"))
    initrd = directory / str(meta.get("initrd", "initrd.img"))
    if not (local_host().is_file(str(kernel)) and local_host().is_file(str(initrd))):
        return None
    return TestGuest(
        str(directory),
        str(kernel),
        str(initrd),
        str(meta.get("ready_marker", DEFAULT_MARKER)),
        str(meta.get("debug_port_name", DEBUG_PORT_NAME)),
        str(meta.get("kernel_version", "")),
    )


def find_test_guest(env: Environment | None = None) -> TestGuest | None:
    """The newest complete test guest in the cache (`KATA_CLI_TEST_GUEST` names one)."""
    if env is None:
        env = Environment.from_process()
    explicit = env.get("KATA_CLI_TEST_GUEST")
    if explicit:
        return load_guest(Path(explicit))
    root = cache_root(env)
    ages: list[tuple[float, str]] = []
    for name in local_host().listdir_or_empty(str(root)):
        try:
            ages.append((local_host().stat(str(root / name)).st_mtime, name))
        except OSError:
            continue
    for _mtime, name in sorted(ages, reverse=True):
        guest = load_guest(root / name)
        if guest is not None:
            return guest
    return None
