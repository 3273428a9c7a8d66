"""`kata-cli fleet`: Kubernetes objects, the cluster report, the DaemonSet's probe.

The glue `check --nfd/--prometheus/--json-out/--every` calls is in `check_body.py`.
"""

from __future__ import annotations

import os

import click

from kata_cli.appctx import AppContext
from kata_cli.commands.check_body import clock
from kata_cli.commands.options import Percent, pass_app
from kata_cli.errors import KataError, UsageError, VerdictFailure


@click.group("fleet", context_settings={"help_option_names": ["-h", "--help"]})
def fleet() -> None:
    """Run kata-cli on every node of a Kubernetes cluster and read the results.

    `fleet manifest` prints the DaemonSet, `fleet report` merges the nodes' documents,
    `fleet probe` is the DaemonSet's liveness probe.
    """


@fleet.command("probe")
@click.option("--state-file", metavar="FILE", help="The state file `check --every` writes.")
@click.option(
    "--max-age",
    metavar="DURATION",
    help="Oldest acceptable last run (default: three intervals plus a minute).",
)
@pass_app
def probe(app: AppContext, state_file: str | None, max_age: str | None) -> None:
    """Exit 0 when `check --every` recorded a recent run, else 1 (a liveness probe)."""
    from kata_cli.fleet import periodic
    from kata_cli.render.terminal import out

    if state_file is not None and not state_file.strip():
        # an unset variable in the probe's command: it used to probe the default file
        raise UsageError(f"--state-file {state_file!r}: name a file")
    path = state_file or periodic.default_state_path(dict(app.env.environ), app.env.euid)
    limit = None
    if max_age is not None:
        try:
            limit = periodic.parse_duration(max_age)
        except ValueError as exc:
            raise UsageError(f"--max-age: {exc}") from None
    this_host = app.host.this_machine()  # the state file is this machine's
    try:
        data = this_host.read_bytes(os.path.abspath(path), periodic.STATE_LIMIT)
        text = data.decode("utf-8", "replace")
    except OSError as exc:
        raise KataError(
            f"state file {path}: {exc.strerror or exc}", "is `kata-cli check --every` running?"
        ) from None
    result = periodic.probe_state(text, clock(), limit)
    if not result.ok:
        raise KataError(f"state file {path}: {result.message}")
    out(result.message)


@fleet.command(
    "report",
    epilog="Exit status: 0, or 1 when --fail-under is given and fewer nodes are capable.",
)
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "--stale-after",
    default="30m",
    show_default=True,
    metavar="DURATION",
    help="A node whose newest document is older than this counts as stale.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (schema versioned).")
@click.option(
    "--junit", "junit_path", metavar="FILE", help="Also write JUnit XML, one case per node."
)
@click.option(
    "--fail-under",
    type=Percent(),
    metavar="PERCENT",
    help="Exit 1 when less than PERCENT of the nodes are capable.",
)
@click.option("--no-nodes", is_flag=True, help="Leave the per-node table out of the text view.")
def report(
    paths: tuple[str, ...],
    stale_after: str,
    as_json: bool,
    junit_path: str | None,
    fail_under: float | None,
    no_nodes: bool,
) -> None:
    """Merge the nodes' `check --json` documents into one cluster view.

    PATH is a file (one document, or JSON lines), a directory of such files, or `-` for
    standard input (the default), e.g. the output of
    `kubectl logs -n kata-cli -l app.kubernetes.io/name=kata-cli --prefix --tail=-1`.
    """
    import sys

    from kata_cli.fleet import inputs, periodic
    from kata_cli.fleet import report as fleet_report
    from kata_cli.render import fleet_report as render

    if junit_path == "-":
        raise UsageError("--junit -: the JUnit XML goes to a file, stdout carries the report")
    if junit_path is not None and not junit_path.strip():
        raise UsageError("--junit: the file name is empty", "name the JUnit XML file")
    if any(not path.strip() for path in paths):
        # "" would read the working directory as a directory of node documents
        raise UsageError(
            "an empty PATH names no node documents", "name files, directories, or - for stdin"
        )
    try:
        stale = periodic.parse_duration(stale_after)
    except ValueError as exc:
        raise UsageError(f"--stale-after: {exc}") from None
    merger = fleet_report.Merger()
    stdin = getattr(sys.stdin, "buffer", None)
    if stdin is None and "-" in (paths or ("-",)):
        raise KataError("`-`: standard input is closed", "pipe the node documents in")
    try:
        inputs.merge_inputs(paths or ("-",), stdin, merger)
    except OSError as exc:
        where = exc.filename if exc.filename else "input"
        raise KataError(
            f"cannot read {where}: {exc.strerror or exc}",
            "name node documents: files, directories, or - for standard input",
        ) from None
    merged = merger.report(clock(), stale)
    if junit_path:
        from kata_cli.host import atomic_write

        try:
            atomic_write(junit_path, render.junit_xml(merged), 0o644)
        except OSError as exc:
            raise KataError(
                f"cannot write JUnit report {junit_path}: {exc.strerror or exc}"
            ) from None
    if as_json:
        render.render_json(merged)
    else:
        render.render_text(merged, show_nodes=not no_nodes)
    if fail_under is not None and merged.capable_percent < fail_under:
        from kata_cli.render.terminal import err

        err(
            f"kata-cli: {merged.capable_percent:.1f}% of {len(merged.nodes)} nodes are capable, "
            f"under --fail-under {fail_under:g}%"
        )
        raise VerdictFailure("")


@fleet.command("manifest")
@click.option("--image", metavar="IMG", help="The kata-cli image (built from the Containerfile).")
@click.option("--namespace", default="kata-cli", show_default=True, metavar="NS")
@click.option(
    "--every", default="10m", show_default=True, metavar="DURATION", help="Check interval."
)
@click.option("--nfd", is_flag=True, help="Write NFD features (node labels) on every node.")
@click.option("--prometheus", is_flag=True, help="Write a node_exporter textfile on every node.")
@click.option(
    "--nfd-dir",
    default="/etc/kubernetes/node-feature-discovery/features.d",
    show_default=True,
    metavar="DIR",
    help="nfd-worker's features.d directory on the node.",
)
@click.option(
    "--textfile-dir",
    default="/var/lib/node_exporter/textfile_collector",
    show_default=True,
    metavar="DIR",
    help="node_exporter's --collector.textfile.directory on the node.",
)
@click.option(
    "--kvm-test/--no-kvm-test",
    default=True,
    show_default=True,
    help="Run the KVM test (needs a privileged container); without it kvm.usable is ignored.",
)
def manifest(
    image: str | None,
    namespace: str,
    every: str,
    nfd: bool,
    prometheus: bool,
    nfd_dir: str,
    textfile_dir: str,
    kvm_test: bool,
) -> None:
    """Print the Namespace, ServiceAccount and DaemonSet that run `check --every` on
    every node (apply with `kubectl apply -f`)."""
    from kata_cli import __version__
    from kata_cli.fleet import manifest as build
    from kata_cli.fleet import periodic
    from kata_cli.render import fleet_manifest

    try:
        interval = periodic.parse_duration(every)
    except ValueError as exc:
        raise UsageError(f"--every: {exc}") from None
    if interval < 10:
        raise UsageError("--every: a DaemonSet checks at most every 10s")
    options = build.ManifestOptions(
        image=f"kata-cli:{__version__}" if image is None else image,  # `--image ""`: refused below
        namespace=namespace,
        every=every,
        nfd=nfd,
        prometheus=prometheus,
        kvm_test=kvm_test,
        nfd_dir=nfd_dir,
        textfile_dir=textfile_dir,
        interval_seconds=interval,
    )
    wrong = build.problems(options)
    if wrong:
        raise UsageError(wrong[0])
    fleet_manifest.render(build.objects(options), build.command_line(options))
