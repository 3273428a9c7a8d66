"""`kata-cli check` (alias `kata-check`): can this host run Kata Containers?"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from kata_cli.appctx import AppContext
from kata_cli.commands.options import Seconds, flavour_option, pass_app
from kata_cli.errors import ConfigError, KataError, UsageError, VerdictFailure

if TYPE_CHECKING:
    from kata_cli.config.model import Config

SUPER_USER_WARNING = "Not running network checks as super user"


def _split_ids(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@click.command(
    "check",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit status: 0 capable, 1 not capable (or the KVM test failed), 2 usage error. "
    "No network request is made unless a release option asks for one.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show a table of every check.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (schema versioned).")
@click.option("--junit", "junit_path", metavar="FILE", help="Also write JUnit XML to FILE.")
@click.option("--list", "list_checks", is_flag=True, help="List every check and exit.")
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="ID[,ID...]",
    help="Skip these checks (shell patterns allowed, e.g. 'assets.*'); shown as SKIP.",
)
@click.option(
    "-s",
    "--strict",
    is_flag=True,
    help="Check module parameters and turn warnings into failures.",
)
@click.option(
    "--load-modules",
    is_flag=True,
    help="Load missing kernel modules with modprobe (root only) and report what was loaded.",
)
@click.option("--boot", is_flag=True, help="Also boot a VM with the configured assets.")
@click.option("--boot-guest", is_flag=True, help="Also boot a VM with the built-in test guest.")
@click.option(
    "--boot-timeout",
    type=Seconds(1),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Time limit of --boot / --boot-guest.",
)
@click.option(
    "--boot-marker",
    default="",
    metavar="LINE",
    help="Console text that means the --boot guest is ready (e.g. a line a Kata image prints).",
)
@click.option("--check-release", is_flag=True, help="Also ask GitHub for a newer Kata release.")
@click.option(
    "--check-version-only", is_flag=True, help="Only compare with the latest release (network)."
)
@click.option(
    "--only-list-releases", is_flag=True, help="Only list releases: version;date;url (network)."
)
@click.option("--include-all-releases", is_flag=True, help="Do not drop pre-releases.")
@click.option(
    "-n",
    "--no-network-checks",
    is_flag=True,
    help="Never use the network (also KATA_CHECK_NO_NETWORK=<non-empty>); wins over the above.",
)
@click.option(
    "--nfd", "nfd_path", metavar="FILE", help="Also write the verdict as an NFD feature file."
)
@click.option(
    "--prometheus", "prometheus_path", metavar="FILE", help="Also write a node_exporter textfile."
)
@click.option("--json-out", "json_out", metavar="FILE", help="Also write the node's JSON document.")
@click.option(
    "--every",
    metavar="DURATION",
    help="Run until stopped, every DURATION +-10% (e.g. 10m): for a DaemonSet.",
)
@click.option(
    "--state-file",
    metavar="FILE",
    help="With --every: record each run here, for `fleet probe` "
    "(default /run/kata-cli/check-state.json as root).",
)
@click.option(
    "--node-name", metavar="NAME", envvar="NODE_NAME", help="Node name in outputs. Env: NODE_NAME."
)
@click.option(
    "--count", type=click.IntRange(1), hidden=True, help="With --every: stop after N runs."
)
@flavour_option
@pass_app
def check(
    app: AppContext,
    verbose: bool,
    as_json: bool,
    junit_path: str | None,
    list_checks: bool,
    ignore: tuple[str, ...],
    strict: bool,
    load_modules: bool,
    boot: bool,
    boot_guest: bool,
    boot_timeout: float,
    boot_marker: str,
    check_release: bool,
    check_version_only: bool,
    only_list_releases: bool,
    include_all_releases: bool,
    no_network_checks: bool,
    nfd_path: str | None,
    prometheus_path: str | None,
    json_out: str | None,
    every: str | None,
    state_file: str | None,
    node_name: str | None,
    count: int | None,
    flavour: str | None,
) -> None:
    """Test whether this host can run Kata Containers, and say what to fix.

    Checks the CPU, kernel modules, KVM, vsock, storage path, installed assets and
    confidential-guest support against the loaded configuration. Nothing on the host is
    changed (modules are loaded only with --load-modules).
    """
    from kata_cli.checks import output

    if list_checks:
        from kata_cli.checks.runner import catalogue

        output.render_list(catalogue(), as_json)
        return
    if junit_path == "-":
        raise UsageError(
            "--junit -: the JUnit XML goes to a file, stdout carries the report",
            hint="name a file (./- for a file called '-')",
        )
    from kata_cli.commands import fleet

    outputs = fleet.check_outputs(nfd_path, prometheus_path, json_out)
    if every is not None or count is not None:
        fleet.periodic_check(
            app,
            every,
            outputs,
            state_file,
            node_name,
            count,
            flavour,
            strict,
            _split_ids(ignore),
            as_json,
            bool(boot or boot_guest or load_modules or check_release or junit_path),
        )
        return
    started = fleet.clock()
    no_network = no_network_checks or bool(os.environ.get("KATA_CHECK_NO_NETWORK"))
    is_root = app.host.is_root()
    if check_version_only or only_list_releases:
        _releases_only(no_network, is_root, only_list_releases, include_all_releases)
        return
    ignored = _split_ids(ignore)
    _validate_ignore(ignored)
    if load_modules and not is_root:
        raise KataError("--load-modules needs root", "run it with sudo, or load modules yourself")
    if is_root and not no_network:
        from kata_cli.render.terminal import warn

        warn(SUPER_USER_WARNING)
    config, config_error = _load_config(app, flavour)
    # `--config PATH` naming nothing keeps upstream's byte-exact error (and nothing else)
    # for people; a machine reader (--json, --junit) still gets its report, with
    # config.load failing in it
    hard_error = None
    if config_error is not None and not as_json and _explicit_missing(config_error):
        hard_error = config_error
        if not junit_path:
            raise hard_error
    units = []
    if check_release and not no_network and not is_root:
        from kata_cli.checks.release import release_unit

        units.append(release_unit(dict(os.environ), include_all_releases))
    if boot or boot_guest:
        from kata_cli.checks.boot import boot_unit

        units.append(
            boot_unit(use_test_guest=boot_guest, timeout=boot_timeout, ready_marker=boot_marker)
        )
    from kata_cli.checks.runner import run

    report = run(
        app.host,
        config,
        strict=strict,
        ignore=ignored,
        load_modules=load_modules,
        extra_units=units,
        is_root=is_root,
        config_error=config_error.one_line() if config_error else "",
    )
    if junit_path:
        output.write_junit(junit_path, report)
    if outputs.any():
        fleet.write_check_outputs(app, outputs, report, config, node_name, started)
    if hard_error is not None:
        raise hard_error
    if as_json:
        if config_error is not None:
            from kata_cli.render.terminal import err

            err(output.printable(config_error.one_line()))
        output.render_json(report)
    elif verbose:
        output.render_verbose(report)
    else:
        output.render_default(report)
    if not report.capable or report.can_create is False:
        raise VerdictFailure("")


def _load_config(app: AppContext, flavour: str | None) -> tuple[Config | None, ConfigError | None]:
    """The configuration, or why it could not be loaded (a failing check, not a crash)."""
    try:
        return app.load_config(flavour=flavour), None
    except ConfigError as exc:
        return None, exc


def _explicit_missing(error: ConfigError) -> bool:
    """Did --config (or KATA_CONF_FILE) name a file that does not exist?"""
    from kata_cli.checks.configload import is_missing_file

    return is_missing_file(error.message)


def _validate_ignore(patterns: list[str]) -> None:
    """A typo in --ignore must not silently ignore nothing."""
    import fnmatch

    from kata_cli.checks.runner import catalogue

    known = [spec.id for spec in catalogue()]
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(check_id, pattern) for check_id in known):
            raise UsageError(
                f"--ignore {pattern}: no check has that id", "see `kata-cli check --list`"
            )


def _releases_only(no_network: bool, is_root: bool, list_mode: bool, include_all: bool) -> None:
    """--check-version-only / --only-list-releases: only the release step (spec 4.2 step 3)."""
    from kata_cli.render.terminal import out, warn

    if no_network:
        return
    if is_root:
        warn(SUPER_USER_WARNING)
        return
    from kata_cli.checks import release

    url = release.api_url(release.KATA_VERSION, dict(os.environ))
    releases = release.parse_releases(release.fetch(url), include_all)
    if list_mode:
        for item in releases:
            out(item.list_line())
        return
    message, _ = release.newer_message(release.current_version(release.KATA_VERSION), releases)
    out(message)
