"""`kata-cli config`: lint configuration files, show the effective configuration."""

from __future__ import annotations

import click

from kata_cli.appctx import AppContext
from kata_cli.commands import completers
from kata_cli.commands.options import flavour_option, pass_app
from kata_cli.errors import ConfigError, UsageError, VerdictFailure

ARCHES = ("amd64", "arm64", "s390x", "ppc64le", "riscv64", "x86_64", "aarch64")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def config() -> None:
    """Lint and show Kata configuration files.

    \f
    `kata-cli config lint [PATH]...` finds every problem of a Kata configuration at once —
    with file, line, column, a stable code and a fix — instead of the first load error the
    runtime trips on (or the value it silently clamps, or the hypervisor table it picks at
    random). `kata-cli config show` prints the effective configuration.

    ```sh
    kata-cli config lint                       # the configuration the runtime would use, + config.d
    kata-cli config lint /opt/kata/share/defaults/kata-containers/   # every *.toml in a directory
    kata-cli --host-root /host config lint     # a node mounted at /host (paths checked there too)
    kata-cli config lint --format sarif new.toml > kata.sarif        # for code-scanning tools
    kata-cli config lint --ignore KATA9 configuration-for-another-host.toml
    kata-cli config lint --explain KATA702
    kata-cli config show --origin
    ```

    **What is linted.** With no PATH, the configuration found by the search order above (or
    `--config` / `KATA_CONF_FILE`) together with its `config.d` drop-ins, judged as the merged
    result; each finding points at the file and line that set the key (a drop-in when it
    overrode the main file). Each PATH is linted on its own; a directory stands for the
    `*.toml` files in it, `-` for standard input (`--diff` works on it, `--fix` is a usage
    error; a terminal is refused rather than waited on). The flavour (Go runtime or
    runtime-rs) is detected as for every other command; `--flavour go|rs` overrides it.
    `--arch amd64|arm64|s390x|ppc64le|riscv64` (`x86_64` and `aarch64` are accepted too;
    default: this host's) drives arch-specific rules (vCPU limits, NUMA, IBM Secure
    Execution, which boots without image and initrd only on s390x).

    **Output.** One line per finding, then a summary:

    ```
    configuration.toml:6:1: KATA203 [warning] `Default_Memory` is spelled `default_memory`; the Go runtime accepts it, runtime-rs would ignore it (fix: use the exact lower-case spelling (mechanical: --fix))
    configuration.toml:34:23: KATA604 [warning] enable_annotations entry "enable_iommu" is a regular expression that also admits enable_iommu_platform (fix: anchor the entry with ^ and $, e.g. "^enable_iommu$")
    Found 2 problems (0 errors, 2 warnings, 0 info) in 1 file; 1 fixable with --fix.
    ```

    `--format json` prints one document, schema `kata-cli/config-lint/1`:
    `{"schema", "units": [{"files", "flavour", "arch", "hypervisor"}], "findings": [{"code",
    "name", "severity", "message", "file", "line", "column", "fix", "fixable"}], "summary":
    {"files", "errors", "warnings", "info", "fixed"}}` (lines and columns are 1-based).
    `--format sarif` prints SARIF 2.1.0: one run whose driver lists every rule (id, name,
    descriptions, default level) and whose results carry `ruleId`, `ruleIndex`, `level`
    (`error`/`warning`/`note`) and a physical location (a `file://` URI for absolute paths,
    else a percent-encoded relative one).

    **Choosing rules.** `--select` and `--ignore` take codes or prefixes, repeated or
    comma-separated (`--ignore KATA9`, `--select KATA2,KATA301`); a pattern that matches no
    rule is a usage error; a file that is not TOML (`KATA0xx`) is reported whatever
    `--select` names. A comment `# kata-lint: disable=KATA501` (codes or prefixes,
    comma-separated) silences findings on its line. `--list-rules` prints the catalogue
    (`--format json` too, schema `kata-cli/lint-rules/1`), `--explain CODE` one rule's rationale and fix.

    **Exit status** (never dependent on `--format`): 0 when no error-severity finding
    remains, 1 when one does (with `--strict`, warnings count too), 2 for usage errors; a
    configuration that cannot be found is an error (1) with one line on stderr.

    **Fixes.** `--fix` applies the mechanical fixes in place — case-variant keys
    (`Default_Memory` → `default_memory`), Go vs runtime-rs spellings (`dial_timeout = 45` ↔
    `dial_timeout_ms = 45000`, `seccompsandbox` ↔ `seccomp_sandbox`,
    `remote_hypervisor_socket` ↔ `hypervisor_socket`), case-variant table headers
    (`[Runtime]`), renamed values (runtime-rs `virtio_fs_cache = "none"` → `"never"`) —
    editing only the characters concerned (bare, quoted — `"Default_Memory"` loses its
    quotes — and dotted keys alike), so comments and layout stay, and never when the
    result would set a key or table twice. Each file is rewritten atomically with its mode
    kept (a symlink's target is written). Lines whose value is an unresolved `@VAR@`
    placeholder are deleted only with `--remove-placeholders`. `--diff` prints the same
    changes as a unified diff and writes nothing (the exit status is that of the findings).
    After `--fix` the files are linted again and the remaining findings decide the exit
    status.

    **Rules.** Families: `KATA0xx` unreadable files, `KATA1xx` types and integer ranges,
    `KATA2xx` unknown tables/keys (with did-you-mean), case variants, other-flavour keys,
    hypervisor/agent table selection, `KATA3xx` enumerated values, `KATA4xx` keys that do not
    work together, `KATA5xx` values the runtime silently changes and keys without effect
    (per VMM for the Go runtime; for runtime-rs the `[runtime]` values it overrides for the
    remote hypervisor),
    `KATA6xx` placeholders, secrets and annotations, `KATA7xx` runtime-rs validation
    (every `[agent.X]` table is checked when none is selected; the remote hypervisor's
    `default_maxmemory`/`default_maxvcpus` against this host's),
    `KATA9xx` the environment under the host root: missing or empty files, drop-ins the
    runtime will not read or will refuse, backup copies in `config.d` it merges anyway,
    `/dev/vhost-vsock`, limits above the host's CPUs and RAM (`--ignore KATA9` when the file
    is meant for another machine).

    Every rule, with its rationale and fix: [docs/rules.md](rules.md) (generated from the
    rule registry), or `kata-cli config lint --list-rules` / `--explain CODE`.

    Linting the 29 configuration files Kata 4.1.0 ships reports errors only for real
    upstream defects: the `qemu-se` profiles rendered for x86 (no image, no initrd:
    `KATA401`) and `configuration-rs-fc.toml` (`dial_timeout_ms = 45000` above the default
    `reconnect_timeout_ms = 3000`: `KATA702`); an unresolved `@FIRMWAREVOLUMEPATH_NV@`
    (`KATA601`) is found in the runtime-rs NVIDIA GPU template as upstream ships it (the
    copies in the test data have it resolved; the test puts it back). Warnings
    point out Go-only keys in runtime-rs templates, unanchored annotation entries and keys
    the selected VMM ignores.

    **config show** prints the effective configuration as TOML: the selected
    `[hypervisor.X]`, `[agent.X]`, `[runtime]` and factory tables with every key the flavour
    knows, defaults applied and upstream's silent adjustments made (e.g. `default_memory`
    below 256 becomes 2048). `--origin` appends a comment to each value naming the file that
    set it (main file or drop-in) or `default`, plus what the runtime changed and why. A
    non-empty `jaeger_password` is shown as `<redacted>`, so the output can go into a bug
    report.
    `--format json` (schema `kata-cli/config-show/1`) gives `tables`, `origins` and
    `adjusted`.

    **Design notes.** Positions: `tomllib` gives none. We did not add `tomlkit` (a
    round-trip parser that would give positions): it is a new runtime dependency used by one
    command, and a pure-Python round-trip document model costs more to import and build than
    `tomllib`'s plain dicts, which counts when one process lints 29 files (`bench/lint.py`).
    Configuration files are plain TOML (bare keys, `[table]` and
    `[[array]]` headers, one-line values without escapes), so `kata_cli/lint/fastparse.py`
    parses exactly that subset, one regular expression per line, noting where each key and
    header is written as it goes; anything outside the subset (escapes, dotted or quoted keys,
    inline tables, multi-line values, a key set twice) makes it give up, and the file is
    parsed by `tomllib` — the reference for what is valid TOML — while
    `kata_cli/config/locate.py`, a line scanner that understands table headers, dotted and
    quoted keys, multi-line strings and arrays, maps every key path to its line and column.
    A property test holds the quick parser to `tomllib`'s result and the scanner's positions;
    all 29 shipped files take the quick path, which halves the time spent parsing. Value and
    array-entry columns are found on the key's lines; lines end at LF only, as in TOML.
    Fixes are therefore line-local text edits, which keeps comments and formatting without a
    round-trip parser. Rules are small declarative objects (`kata_cli/lint/rules/`, one
    module per family, an explicit registry); they read the key catalogue in
    `kata_cli/config/schema.py`, the same one the loader uses, so types, enums, flavours and
    per-VMM usage have one source of truth. The engine is pure (bytes in, findings out); all
    file I/O is in `kata_cli/lint/files.py`.
    """


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(
        part.strip().upper() for value in values for part in value.split(",") if part.strip()
    )


@config.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...", shell_complete=completers.files)
@flavour_option
@click.option(
    "--arch", type=click.Choice(ARCHES), help="Target architecture (default: this host's)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--select", multiple=True, metavar="CODES", help="Only these codes or prefixes (KATA2,KATA301)."
)
@click.option(
    "--ignore", multiple=True, metavar="CODES", help="Skip these codes or prefixes (e.g. KATA9)."
)
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@click.option("--fix", is_flag=True, help="Apply mechanical fixes in place (atomically).")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; change nothing.")
@click.option(
    "--remove-placeholders",
    is_flag=True,
    help="With --fix/--diff: also delete lines whose value is an unresolved @VAR@.",
)
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("--explain", metavar="CODE", help="Explain one rule and exit.")
@pass_app
def lint(
    app: AppContext,
    paths: tuple[str, ...],
    flavour: str | None,
    arch: str | None,
    output_format: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    strict: bool,
    fix: bool,
    diff: bool,
    remove_placeholders: bool,
    list_rules: bool,
    explain: str | None,
) -> None:
    """Lint configuration files: every problem, with file, line, column, code and fix.

    With no PATH, the configuration the runtime would use (and its config.d drop-ins)
    is linted as one merged configuration; `-` reads standard input. A PATH names a file
    on this machine, not under --host-root. Exit status: 0 no error-severity finding,
    1 errors (or warnings with --strict), 2 usage error. Suppress a finding on its line
    with `# kata-lint: disable=KATA101`.
    """
    from kata_cli.lint import registry

    if list_rules:
        if output_format == "json":
            from kata_cli.render import lint_json

            lint_json.render_rules(registry.RULES)
        else:
            from kata_cli.render import lint_text

            lint_text.render_rules(registry.RULES, registry.FAMILIES)
        return
    if explain:
        rule = registry.BY_CODE.get(explain.strip().upper())
        if rule is None:
            raise UsageError(f"no rule {explain!r}", "see --list-rules")
        from kata_cli.render import lint_text

        lint_text.render_explain(rule)
        return
    if fix and not diff and "-" in paths:
        raise UsageError("cannot --fix standard input", "use --diff to see the fixes")
    selected, ignored = _codes(select), _codes(ignore)
    unknown = registry.unknown_patterns(selected + ignored)
    if unknown:
        raise UsageError(f"no rule matches {', '.join(unknown)}", "see --list-rules")
    from kata_cli.lint.runner import run_lint

    outcome = run_lint(
        app,
        paths,
        flavour=flavour,
        arch=arch,
        select=selected,
        ignore=ignored,
        fix=fix,
        diff=diff,
        unsafe=remove_placeholders,
    )
    if diff:
        from kata_cli.render.terminal import out

        out("".join(outcome.diffs), end="")
    elif output_format == "json":
        from kata_cli.render import lint_json

        lint_json.render(outcome.result, outcome.fixed)
    elif output_format == "sarif":
        from kata_cli.render import sarif

        sarif.render(outcome.result, registry.RULES)
    else:
        from kata_cli.render import lint_text

        lint_text.render(outcome.result, outcome.fixed)
    if outcome.result.failed(strict):
        raise VerdictFailure()


@config.command()
@flavour_option
@click.option("--origin", is_flag=True, help="Say which file (or default) set each value.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["toml", "json"]),
    default="toml",
    show_default=True,
    help="Output format.",
)
@pass_app
def show(app: AppContext, flavour: str | None, origin: bool, output_format: str) -> None:
    """Print the effective configuration: merged files, defaults and clamping applied."""
    from kata_cli.lint.show import effective_view
    from kata_cli.render import lint_show

    try:
        view = effective_view(app.load_config(flavour))
    except RecursionError:
        # tables nested thousands deep (the loader merges recursively)
        raise ConfigError(
            "the configuration is nested too deeply to load", "see `kata-cli config lint`"
        ) from None
    if output_format == "json":
        lint_show.render_json(view)
    else:
        lint_show.render_toml(view, origin)
