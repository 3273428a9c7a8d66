"""One `kata-cli check` run as the command asks for it: validate the request, load the
configuration with check's error policy, run the registry, and hand back the outcome.

The command parses options and renders; everything it decides lives here.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from kata_cli.checks.configload import fatal_error
from kata_cli.checks.model import HARDWARE, CheckOptions, CheckReport, CheckSpec
from kata_cli.errors import ConfigError, KataError, UsageError
from kata_cli.record import record

if TYPE_CHECKING:
    from kata_cli.config.model import Config
    from kata_cli.host import Host


@record
class CheckOutcome:
    """The report, the configuration error that became `config.load` (if any), and the
    one to raise once the machine-readable reports are written (if any)."""

    report: CheckReport
    config: Config | None = None  # the configuration judged (None: it did not load)
    config_error: ConfigError | None = None
    fatal: ConfigError | None = None

    @property
    def exit_status(self) -> int:
        """0 exactly when the host is capable (every required check passed)."""
        return 0 if self.report.capable else 1


def split_ids(values: Iterable[str]) -> tuple[str, ...]:
    """`--ignore a,b --ignore c` as one tuple of patterns."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def validate(options: CheckOptions, is_root: bool, native: bool = True) -> None:
    """Refuse what cannot be done before anything runs (usage errors, exit 2; root).
    `native`: the host root is `/` (this machine's own kernel is the one judged)."""
    validate_ignore(options.ignore)
    if options.load_modules and not is_root:
        raise KataError("--load-modules needs root", "run it with sudo, or load modules yourself")
    if options.load_modules and not native:
        # modprobe loads into the kernel kata-cli runs on, from this machine's
        # /lib/modules, whatever --host-root names: not the host being judged
        raise UsageError(
            "--load-modules loads modules into this machine's kernel: it needs the host root /",
            "load the modules on that host itself (modprobe), then check again",
        )


def validate_ignore(patterns: Iterable[str]) -> None:
    """Every --ignore pattern names a check, and they leave a verdict to give (usage
    errors, exit 2)."""
    from kata_cli.checks.registry import catalogue

    specs = catalogue()
    known = [spec.id for spec in specs]
    given = tuple(patterns)
    for pattern in given:
        # a typo in --ignore must not silently ignore nothing
        if not any(fnmatch.fnmatchcase(check_id, pattern) for check_id in known) and not any(
            spec.owns(pattern) for spec in specs
        ):
            raise UsageError(
                f"--ignore {pattern}: no check has that id", "see `kata-cli check --list`"
            )
    _refuse_verdict_over_nothing(given, specs)


def _refuse_verdict_over_nothing(patterns: tuple[str, ...], specs: list[CheckSpec]) -> None:
    """A verdict needs the hardware and kernel level: patterns that ignore every required
    check of it (`--ignore '*'`) would have `check` say "capable" about nothing."""
    required = [s.id for s in specs if s.level == HARDWARE and s.required]
    if not patterns or not required:
        return
    if all(any(fnmatch.fnmatchcase(i, p) for p in patterns) for i in required):
        raise UsageError(
            f"--ignore {','.join(patterns)}: every required hardware and kernel check is "
            "ignored, so there would be no verdict",
            "ignore single checks: `kata-cli check --list` shows them",
        )


def check_host(
    host: Host,
    load_config: Callable[[], Config],
    options: CheckOptions,
    *,
    is_root: bool,
    machine_readable: bool,
    report_file: bool = False,
) -> CheckOutcome:
    """Run every check against the configuration `load_config` finds.

    A configuration that does not load becomes a failing `config.load`; a `--config`
    naming nothing is raised at once for people, after the report for machines
    (`machine_readable`: --json) or once a report file (--junit) is written."""
    validate(options, is_root, host.is_native)
    try:
        config: Config | None = load_config()
        error = None
    except ConfigError as exc:
        config, error = None, exc
    fatal = fatal_error(error, machine_readable)
    if fatal is not None and not report_file:
        raise fatal
    from kata_cli.checks.runner import run

    report = run(host, config, options, is_root=is_root, config_error=error)
    return CheckOutcome(report, config, error, fatal)


def releases_only(environ: Mapping[str, str], list_mode: bool, include_all: bool) -> list[str]:
    """--check-version-only / --only-list-releases: the release step alone, root or not
    (spec 4.2 step 3; upstream skips it as root, an explicit request is honoured here)."""
    from kata_cli.checks.release import release_lines

    return release_lines(dict(environ), list_mode, include_all)
