"""`kata-cli check` (alias `kata-check`): can this host run Kata Containers?"""

from __future__ import annotations

import click

from kata_cli.appctx import AppContext
from kata_cli.commands.options import Seconds, flavour_option, pass_app
from kata_cli.errors import UsageError, VerdictFailure


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
    help="Run until stopped (SIGTERM: exit 143), every DURATION +-10% (e.g. 10m): for a DaemonSet.",
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
    from kata_cli.checks.model import BOOT_CONFIGURED, BOOT_TEST_GUEST, CheckOptions
    from kata_cli.render import check_text

    if list_checks:
        from kata_cli.checks.registry import catalogue

        check_text.render_list(catalogue(), as_json)
        return
    if junit_path == "-":
        raise UsageError(
            "--junit -: the JUnit XML goes to a file, stdout carries the report",
            hint="name a file (./- for a file called '-')",
        )
    from kata_cli.checks import request
    from kata_cli.commands import fleet

    ignored = request.split_ids(ignore)
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
            list(ignored),
            as_json,
            bool(boot or boot_guest or load_modules or check_release or junit_path),
        )
        return
    started = fleet.clock()
    no_network = no_network_checks or bool(app.env.get("KATA_CHECK_NO_NETWORK"))
    if check_version_only or only_list_releases:
        if not no_network:
            lines = request.releases_only(app.env.environ, only_list_releases, include_all_releases)
            check_text.render_release_lines(lines)
        return
    boot_mode = BOOT_TEST_GUEST if boot_guest else BOOT_CONFIGURED if boot else None
    options = CheckOptions(
        strict=strict,
        ignore=ignored,
        load_modules=load_modules,
        boot=boot_mode,
        boot_timeout=boot_timeout,
        boot_marker=boot_marker,
        check_release=check_release and not no_network,
        include_all_releases=include_all_releases,
        environ=dict(app.env.environ),
    )
    outcome = request.check_host(
        app.host,
        lambda: app.load_config(flavour=flavour),
        options,
        is_root=app.host.is_root(),
        machine_readable=as_json,
        report_file=bool(junit_path),
    )
    if junit_path:
        from kata_cli.render.check_junit import write_junit

        write_junit(junit_path, outcome.report)
    if outputs.any():
        fleet.write_check_outputs(app, outputs, outcome.report, outcome.config, node_name, started)
    if outcome.fatal is not None:
        raise outcome.fatal
    if as_json:
        error = outcome.config_error
        check_text.render_json(outcome.report, error.one_line() if error else "")
    elif verbose:
        check_text.render_verbose(outcome.report)
    else:
        check_text.render_default(outcome.report)
    if outcome.exit_status:
        raise VerdictFailure("", outcome.exit_status)
