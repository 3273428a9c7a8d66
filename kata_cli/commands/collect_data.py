"""`kata-cli collect-data` (also `kata-collect-data`): a redacted bug-report bundle."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from kata_cli.appctx import AppContext
from kata_cli.commands.options import Seconds, pass_app

Progress = Callable[[int, int, str], None]


@contextmanager
def _progress_display() -> Iterator[Progress | None]:
    """A transient rich progress bar on stderr when it is a terminal; nothing otherwise."""
    import sys

    from kata_cli.render.terminal import stream_is_tty

    if not stream_is_tty(sys.stderr):
        yield None
        return
    from rich.progress import Progress as RichProgress

    from kata_cli.render.terminal import console

    with RichProgress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("collecting", total=None)

        def update(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label)

        yield update


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """`kata-collect-data --version`, in the layout of kata-collect-data.sh."""
    if not value or ctx.resilient_parsing:
        return
    from kata_cli import __version__
    from kata_cli.render.terminal import out
    from kata_cli.version import commit

    out(f"kata-collect-data version {__version__} (commit {commit()})")
    ctx.exit(0)


class _CollectDataContext(click.Context):
    """Usage and hints read `kata-collect-data ...` when run under the script's name."""

    @property
    def command_path(self) -> str:
        if self.parent is not None and self.parent.info_name == "kata-collect-data":
            return "kata-collect-data"
        return super().command_path


class _CollectDataCommand(click.Command):
    context_class = _CollectDataContext


@click.command(cls=_CollectDataCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    "-v",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Print the version (as kata-collect-data.sh did) and exit.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the report as JSON (schema kata-cli/collect-data/1).",
)
@click.option(
    "--output",
    "-o",
    metavar="FILE.tar.gz",
    help="Write an archive with the report, the JSON and every raw output instead of printing "
    "(a gzip-compressed tar; .tar.gz is added to a name without .tar.gz or .tgz).",
)
@click.option(
    "--timeout",
    metavar="SECONDS",
    type=Seconds(0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds each external command may run.",
)
@click.option(
    "--deadline",
    metavar="SECONDS",
    type=Seconds(0, min_open=True),
    default=60.0,
    show_default=True,
    help="Seconds the whole report may take; unfinished parts are marked.",
)
@click.option(
    "--since",
    metavar="PERIOD",
    default="24h",
    show_default=True,
    help="Journal period: a duration (30min, 24h, 2d) or a journalctl timestamp.",
)
@click.option(
    "--max-lines",
    metavar="N",
    type=click.IntRange(min=0),
    default=300,
    show_default=True,
    help="Most log lines kept per source.",
)
@click.option("--sandbox", metavar="ID", help="Focus on one sandbox: state, processes, log lines.")
@click.option("--full-configs", is_flag=True, help="Keep comments in configuration files.")
@click.option(
    "--no-redact",
    is_flag=True,
    help="Do not redact secrets (the report is then NOT safe to share).",
)
@click.option(
    "--redact-hosts",
    is_flag=True,
    help="Also replace host names and IP addresses with placeholders.",
)
@click.option(
    "--chroot",
    is_flag=True,
    help="Run commands inside --host-root (root only), for a host mounted into a pod.",
)
@pass_app
def collect_data(
    app: AppContext,
    as_json: bool,
    output: str | None,
    timeout: float,
    deadline: float,
    since: str,
    max_lines: int,
    sandbox: str | None,
    full_configs: bool,
    no_redact: bool,
    redact_hosts: bool,
    chroot: bool,
) -> None:
    """Write a redacted bug-report bundle (Markdown for a GitHub issue, JSON, or an archive).

    Every section runs concurrently; each external command is bounded by --timeout and
    the whole report by --deadline. Missing tools, configuration, journal or root
    privileges become notes in their section, never an abort. Secrets (registry
    credentials, URL passwords, proxy credentials, tokens, private keys) are redacted
    unless --no-redact is given.
    """
    from kata_cli.collect import collect
    from kata_cli.collect.model import Options
    from kata_cli.errors import KataError, UsageError
    from kata_cli.render.terminal import note, out, warn

    host = app.host
    if chroot and (host.is_native or not host.is_root()):
        raise UsageError(
            "--chroot needs root and a --host-root other than /",
            hint="without --chroot commands run on this machine and only files are read from the host root",
        )
    if sandbox:
        from kata_cli.shim.layout import validate_id

        try:
            validate_id(sandbox)
        except KataError as exc:
            raise UsageError(f"--sandbox: {exc.message}") from None
    if output == "-":
        raise UsageError(
            "--output -: the archive is binary and is never written to stdout",
            hint="name a file (./- for a file called '-'), or drop --output for the report",
        )
    if output:
        output = archive_name(output)
        _check_output(output)  # before a minute of collecting, not after
    if no_redact:
        warn("redaction is OFF (--no-redact): the report may contain passwords, tokens and keys")
    options = Options(
        timeout=timeout,
        deadline=deadline,
        since=since,
        max_lines=max_lines,
        sandbox=sandbox,
        full_configs=full_configs,
        chroot=chroot,
        explicit_config=app.config_path,
    )
    with _progress_display() as progress:
        report = collect(
            host, options, redact=not no_redact, redact_hosts=redact_hosts, progress=progress
        )
    if output:
        from kata_cli.render import collect_archive

        try:
            collect_archive.write(report, output)
        except OSError as exc:
            raise KataError(
                f"cannot write {output}: {exc.strerror or exc}", hint="choose another --output"
            ) from None
        note(f"wrote {output}")
        return
    if as_json:
        from kata_cli.render import collect_json

        out(collect_json.render(report), end="")
    else:
        from kata_cli.render import collect_markdown

        out(collect_markdown.render(report), end="")


ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


def archive_name(path: str) -> str:
    """The archive is a gzip-compressed tar: a name without that extension gets `.tar.gz`."""
    from kata_cli.host import is_local_dir

    if path.endswith(ARCHIVE_SUFFIXES) or path.endswith("/") or is_local_dir(path):
        return path  # a directory is refused with its own message
    return path + ".tar.gz"


def _check_output(path: str) -> None:
    """Refuse an --output that cannot be written (a directory, a missing or read-only dir)."""
    from kata_cli.errors import KataError
    from kata_cli.host import output_problem

    problem = output_problem(path)
    if problem:
        raise KataError(f"cannot write {path}: {problem}", hint="choose another --output")
