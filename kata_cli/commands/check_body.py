"""What `kata-cli check` does once its options are parsed, free of click.

`commands/check.py` declares the options and hands them here; the fast path
(`kata_cli/fastpath.py`) parses the everyday invocations itself and calls `run_check`
directly, so a plain `kata-cli check` never imports click. The keyword defaults below
are the options' defaults (a test compares them with the click declaration).
Also the glue `--nfd/--prometheus/--json-out/--every` use, between the check and fleet.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from kata_cli.errors import UsageError, VerdictFailure

if TYPE_CHECKING:
    from kata_cli.appctx import AppContext
    from kata_cli.checks.model import CheckReport
    from kata_cli.fleet.outputs import Outputs


def run_check(
    app: AppContext,
    *,
    verbose: bool = False,
    as_json: bool = False,
    junit_path: str | None = None,
    list_checks: bool = False,
    ignore: tuple[str, ...] = (),
    strict: bool = False,
    load_modules: bool = False,
    boot: bool = False,
    boot_guest: bool = False,
    boot_timeout: float = 60.0,
    boot_marker: str = "",
    check_release: bool = False,
    check_version_only: bool = False,
    only_list_releases: bool = False,
    include_all_releases: bool = False,
    no_network_checks: bool = False,
    nfd_path: str | None = None,
    prometheus_path: str | None = None,
    json_out: str | None = None,
    every: str | None = None,
    state_file: str | None = None,
    node_name: str | None = None,
    count: int | None = None,
    flavour: str | None = None,
) -> None:
    """Run the checks and render the verdict; a failing verdict raises `VerdictFailure`."""
    from kata_cli.checks.model import BOOT_CONFIGURED, BOOT_TEST_GUEST, CheckOptions
    from kata_cli.render import check_text

    if list_checks:
        from kata_cli.checks.registry import catalogue

        check_text.render_list(catalogue(), as_json)
        return
    for option, value in (("--junit", junit_path), ("--state-file", state_file)):
        if value == "":  # an unset shell variable: refuse rather than ignore it
            raise UsageError(f"{option} '': name a file")
    if junit_path == "-":
        raise UsageError(
            "--junit -: the JUnit XML goes to a file, stdout carries the report",
            hint="name a file (./- for a file called '-')",
        )
    from kata_cli.checks import request

    ignored = request.split_ids(ignore)
    outputs = check_outputs(nfd_path, prometheus_path, json_out)
    if every is not None or count is not None:
        periodic_check(
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
    started = clock()
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
        write_check_outputs(app, outputs, outcome.report, outcome.config, node_name, started)
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


def clock() -> float:
    return time.time()


def check_outputs(nfd: str | None, prometheus: str | None, json_out: str | None) -> Outputs:
    from kata_cli.fleet.outputs import Outputs

    for option, path in (("--nfd", nfd), ("--prometheus", prometheus), ("--json-out", json_out)):
        if path is not None and (path in ("", "-") or path.endswith("/")):
            raise UsageError(f"{option} {path!r}: name a file", "e.g. /var/lib/kata-cli/out")
    return Outputs(nfd=nfd, prometheus=prometheus, json_out=json_out)


def write_check_outputs(
    app: AppContext,
    outputs: Outputs,
    report: CheckReport,
    config: Any,
    node: str | None,
    started: float,
) -> None:
    """One `check` run's files, from the report already rendered."""
    from kata_cli import __version__
    from kata_cli.fleet.node import NodeRun, attach, node_name
    from kata_cli.fleet.outputs import write_outputs

    run = NodeRun(
        node=node_name(app.host, node, dict(app.env.environ)),
        started=started,
        duration=max(0.0, clock() - started),
        version=__version__ or "unknown",
    )
    attach(run, report, config)
    write_outputs(outputs, run)


def periodic_check(
    app: AppContext,
    every: str | None,
    outputs: Outputs,
    state_file: str | None,
    node: str | None,
    count: int | None,
    flavour: str | None,
    strict: bool,
    ignore: list[str],
    json_lines: bool,
    one_shot_options: bool,
) -> None:
    """`check --every`: loop until SIGTERM (exit 143) or SIGINT (130)."""
    from kata_cli.fleet import periodic
    from kata_cli.fleet.node import node_name, run_node
    from kata_cli.render.terminal import err, out

    if every is None:
        raise UsageError("--count needs --every")
    if one_shot_options:
        raise UsageError(
            "--every cannot be combined with --boot, --boot-guest, --load-modules, "
            "--check-release or --junit",
            "run those once, without --every",
        )
    try:
        interval = periodic.parse_duration(every)
    except ValueError as exc:
        raise UsageError(f"--every: {exc}") from None
    from kata_cli.checks.request import validate_ignore

    validate_ignore(ignore)  # before the loop: each run would refuse it alike
    host = app.host
    name = node_name(host, node, dict(app.env.environ))
    state = state_file or periodic.default_state_path(dict(app.env.environ), app.env.euid)
    loop = periodic.Loop(
        run_once=lambda: run_node(
            host, name, config_path=app.config_path, flavour=flavour, strict=strict, ignore=ignore
        ),
        outputs=outputs,
        interval=interval,
        state_path=state,
        json_lines=json_lines,
        count=count,
        log=lambda line: err(f"kata-cli: {_printable(line)}"),
        emit=out,
    )
    code = loop.run()
    if code:
        raise VerdictFailure("", exit_code=code)


def _printable(text: str) -> str:
    from kata_cli.render.text import printable

    return printable(text)
