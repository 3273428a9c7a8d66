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

    from kata_cli.render.terminal import stderr_is_tty

    if not stderr_is_tty():
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

    \f
    `kata-cli collect-data` (also installed as `kata-collect-data`) writes a bug-report bundle
    that is fast, bounded and safe to paste publicly. It replaces `kata-collect-data.sh`:

    ```sh
    kata-cli collect-data > report.md                 # Markdown for a GitHub issue
    kata-cli collect-data --json > report.json        # machine-readable
    kata-cli collect-data --output bundle.tar.gz      # report + JSON + every raw output
    kata-cli collect-data --sandbox 4f1e...           # focus on one sandbox
    ```

    What it gathers, one folded section each: meta (tool version and commit, time, a hashed
    host id from `/etc/machine-id`, kernel, distribution); the `check` results and the `env`
    report, computed in-process once (no other binary is run); the configuration in effect and
    why, every default candidate (Go and runtime-rs) with symlink targets, `config.d` drop-ins
    and contents without comments (`--full-configs` keeps them); the guest image's or initrd's
    `osbuilder.yaml`, read without mounting or loop devices (`debugfs` for ext4 images, gzip /
    zstd / xz / lz4 / plain cpio initrds detected by magic number, otherwise
    `could not read: <reason>`); versions of the configured hypervisor and virtiofsd, the shim,
    `kata-monitor`, `kata-runtime`, `kata-ctl`; kvm/vhost/vsock modules and their parameters,
    CPU virtualisation flags; `/dev/kvm`, `/dev/vhost-vsock`, `/dev/vhost-net`; cgroup version,
    SELinux and AppArmor; kernel log lines about kvm/vhost/virtio/vsock/vfio (`dmesg`, else
    `journalctl -k`); Docker, Kubernetes, containerd (with the kata runtime handler stanza
    extracted, k3s included), CRI-O and Podman when installed; the journal of the Kata
    components (Go `time=` lines and runtime-rs JSON lines) and k3s/containerd log files;
    running sandboxes and their hypervisor/virtiofsd/shim processes; dpkg/rpm packages.

    It works when things are broken: no `kata-runtime`, no configuration, no systemd, no
    journal, not root — each becomes a note in its section, never an abort (a missing
    journal is reported as "No journal on this host", with the reason: journalctl found no
    journal files, or systemd is not running and there are none; never as "no problems
    found"). Booleans read `yes`/`no` in the Markdown and stay `true`/`false` in the JSON.

    | option | default | meaning |
    | --- | --- | --- |
    | `--json` | | print the JSON report instead of Markdown |
    | `--output`, `-o FILE.tar.gz` | | write an archive (mode 0600) holding one directory `kata-collect-data-<UTC time>/` with `report.md` (untruncated), `report.json` and `sections/NN-<id>/NN-<item>.txt`; nothing on stdout. It is a gzip-compressed tar: a name without `.tar.gz` or `.tgz` gets `.tar.gz` (stderr says `wrote NAME.tar.gz`) |
    | `--timeout SECONDS` | 10 | limit for each external command |
    | `--deadline SECONDS` | 60 | limit for the whole report; unfinished parts are marked `deadline` |
    | `--since PERIOD` | `24h` | journal period: `30min`, `24h`, `2d`, or a journalctl timestamp |
    | `--max-lines N` | 300 | log lines shown per source in the Markdown and JSON (the last ones); the archive keeps every line read |
    | `--sandbox ID` | | that sandbox's persisted state, processes and log lines (every source, in time order) |
    | `--full-configs` | | keep comments in configuration files |
    | `--no-redact` | | turn redaction off (a warning on stderr and in the report) |
    | `--redact-hosts` | | also replace host names and IP addresses with stable placeholders (`host-1`, `ip-1`) |
    | `--chroot` | | root only, with `--host-root` other than `/`: run commands inside the host root (a host mounted into a pod) |
    | `--version`, `-v` | | `kata-collect-data version <version> (commit <sha>)`, the script's layout |

    External commands are looked up on `PATH` and run directly (never through a shell); the
    host root applies to the files read. All sections run concurrently, each command with its
    own timeout; a timed-out or failing command is recorded with its status and duration.
    A progress display appears on stderr only when it is a terminal.

    Redaction: what is masked and what cannot be is described in the README
    ("What collect-data redacts").

    The Markdown is one outer `<details>` block with balanced inner blocks and code fences
    longer than any backtick run in the content; it stays under GitHub's 65,536-character
    limit by shortening the longest outputs (each says so); the archive keeps everything:
    `report.md` unshortened, configuration files with their comments, and for the journal,
    log files and kernel log the whole output read (the journal query itself is capped at
    20 × `--max-lines`, at least 1000 lines, log files at their last 8 MiB), where the report
    shows the last `--max-lines` matching lines.

    JSON schema `kata-cli/collect-data/1`: `schema`, `tool`, `version`, `started` (UTC),
    `duration` (s), `deadline_expired`, `options`, `redaction` {`enabled`, `hosts`, `counts`
    {rule: n}}, `sections` [{`id`, `title`, `status` (`ok`, `deadline`, `skipped`), `notes`,
    `duration`, `items` [{`kind` (`command`, `file`, `text`, `data`), `title`, `text`, `lang`,
    `status` (`ok`, `failed`, `timed-out`, `not-found`, `deadline`, `skipped`), `argv`, `path`,
    `exit_code`, `duration`, `detail`, `data`}]}].

    The exit status is 0 whenever a report was produced (failing commands are findings), 1
    when the archive cannot be written, 2 for bad options, 130 on Ctrl-C and 143 on SIGTERM
    (every command still running is killed, nothing is written). A log source that hangs costs one `--timeout`: the
    second journal query and the `journalctl -k` fallback of a hung `dmesg` are not run.

    Global options go before the command (`kata-cli --host-root /host collect-data`); with the
    `kata-collect-data` script use `KATA_HOST_ROOT=/host kata-collect-data`.

    Benchmark: `python3 bench/collect_data.py` (a full report on a fixture host with stub
    commands against bare `python3 -c pass`, and the wall time with one hanging command against
    `--timeout`).
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
    if not since.strip():  # journalctl --since= fails: every journal item would say so
        raise UsageError(
            f"--since {since!r}: name a period", "a duration (30min, 24h, 2d) or a timestamp"
        )
    if sandbox is not None:  # `--sandbox ''` (an unset variable) must not drop the focus silently
        from kata_cli.shim.layout import validate_id

        try:
            validate_id(sandbox)
        except KataError as exc:
            raise UsageError(f"--sandbox: {exc.message}") from None
    if output is not None and not output.strip():
        # an unset shell variable: the report must not silently go to stdout instead
        raise UsageError(
            "--output: the file name is empty",
            hint="name the archive file, or drop --output for the report on stdout",
        )
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
