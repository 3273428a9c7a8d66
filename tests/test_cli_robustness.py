"""CLI-wide robustness: every command, hostile arguments and hostile hosts.

Walks the real click tree (lazy COMMANDS, groups, subcommands), builds argument lists
from each command's own options (valid and invalid values) and runs them through the
in-process CLI against three host roots: a capable Intel host, an empty directory and a
host full of garbage. Whatever happens, the exit status is one of 0/1/2/130, there is no
traceback or "internal error" on stderr, and `--json` output parses when the command
succeeds. Nothing here starts a VM, touches the network or the real /run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kata_cli.cli import cli as root_cli
from tests.conftest import PINNED_ENV, Cli, CliResult, FakeHost

ALLOWED_EXITS = {0, 1, 2, 130}

# commands never run here: `vm run` boots QEMU
SKIP_COMMANDS = {("vm", "run")}
# options never passed: they boot guests, load modules, reach the network or chroot
SKIP_OPTIONS = {
    "--boot",
    "--boot-guest",
    "--load-modules",
    "--check-release",
    "--check-version-only",
    "--only-list-releases",
    "--include-all-releases",
    "--chroot",
    "--help",
    "-h",
    "--version",
    "-v",
    "--show-default-config-paths",
    "--kata-show-default-config-paths",
}

GARBAGE_CPUINFO = "processor : banana\nflags\t\t:\x01\x02 vmx\nvendor_id :\nmodel name\n::::\n"
GARBAGE_MEMINFO = "MemTotal: lots kB\nMemFree:\nMemAvailable: -5 kB\n\xff\xfe\n"
GARBAGE_OS_RELEASE = 'NAME="unterminated\nVERSION_ID=\nPRETTY_NAME\n=\n\u2603=\u2603\n'
# valid TOML with the right types and hostile values: signs, sizes, encodings, unknown names
MISTYPED_CONFIG = """\
[hypervisor.qemu]
path = "/opt/kata/bin/qemu-system-x86_64"
kernel = "/opt/kata/share/kata-containers/vmlinux.container"
image = "/opt/kata/share/kata-containers/kata-containers.img"
initrd = "\u2603"
machine_type = "q35,\u00e9=1"
default_vcpus = -4
default_maxvcpus = 9223372036854775807
default_memory = 9223372036854775807
memory_slots = -1
shared_fs = "nfs"
virtio_fs_daemon = ""
block_device_driver = "floppy"
kernel_params = "a=\u00e9 b== =c agent.log=debug agent.debug_console_vport=x"
enable_debug = true
[agent.kata]
dial_timeout = -1
kernel_modules = ["", "\u2603 x=y"]
[runtime]
internetworking_model = "carrier-pigeon"
sandbox_cgroup_only = true
experimental = ["no-such-feature"]
"""
GARBAGE_CONFIG = '[hypervisor.qemu\npath = 3\n[[[agent]]]\nkernel_params = "\n\x00\n'


def _walk(
    command: click.Command, path: tuple[str, ...], ctx: click.Context
) -> list[tuple[tuple[str, ...], click.Command]]:
    nodes = [(path, command)]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                nodes += _walk(sub, (*path, name), ctx)
    return nodes


def _leaf_commands() -> list[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(root_cli, info_name="kata-cli")
    return [
        (path, command)
        for path, command in _walk(root_cli, (), ctx)
        if path and not isinstance(command, click.Group) and path not in SKIP_COMMANDS
    ]


LEAVES = _leaf_commands()
GROUPS = [
    path
    for path, command in _walk(root_cli, (), click.Context(root_cli, info_name="kata-cli"))
    if path and isinstance(command, click.Group)
]


SANDBOX = "0123456789abcdef"
CORRUPT_VMS = [
    (
        "badpid",
        '{"name": "badpid", "cli": {"pid": "abc"}}',
        '{"status": "ready", "qemu": {"pid": "x"}}',
    ),
    (
        "negpid",
        '{"name": "negpid", "cli": {"pid": -1}}',
        '{"status": "ready", "qemu": {"pid": -1}}',
    ),
    ("notjson", "{{{", "\x00"),
    ("badtypes", '{"name": 5, "argv": "qemu", "created": "x"}', '{"status": 7, "updated": "x"}'),
]


def seed_corrupt_vms(scratch: Path) -> None:
    """VM directories with corrupt state (pids that are not pids); `vm prune` removes them."""
    for name, launch, state in CORRUPT_VMS:
        vm_dir = scratch / "run" / "vms" / name
        if not vm_dir.is_dir():
            vm_dir.mkdir(parents=True)
            (vm_dir / "launch.json").write_text(launch)
            (vm_dir / "state.json").write_text(state)


@dataclass
class Hosts:
    """Three host roots plus a scratch directory (the working directory of every run)."""

    capable: Path
    empty: Path
    garbage: Path
    mistyped: Path
    scratch: Path

    def root(self, kind: str) -> Path:
        path: Path = getattr(self, kind)
        return path


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hosts]:
    base = tmp_path_factory.mktemp("robust")
    capable = FakeHost(base / "capable").intel()
    capable.assets()
    empty = base / "empty"
    empty.mkdir()
    garbage = FakeHost(base / "garbage")
    garbage.file("/proc/cpuinfo", GARBAGE_CPUINFO)
    garbage.file("/proc/meminfo", GARBAGE_MEMINFO)
    garbage.file("/etc/os-release", GARBAGE_OS_RELEASE)
    garbage.file("/proc/version", "\x00\x01garbage")
    garbage.config(GARBAGE_CONFIG)
    garbage.file("/usr/share/defaults/kata-containers/configuration.toml", "= = =\n")
    # sandboxes whose shim is dead (socket nobody listens on) or not a socket at all
    capable.unix_socket(f"/run/vc/sbs/{SANDBOX}/shim-monitor.sock")
    capable.file(f"/run/vc/sbs/{SANDBOX}/persist.json", '{"state": 5}')
    garbage.file(f"/run/kata/{SANDBOX}/shim-monitor.sock", "not a socket")
    garbage.file(f"/run/kata/{SANDBOX}/state.json", "\x00{{{")
    garbage.dir("/run/vc/sbs/\u2603")
    mistyped = FakeHost(base / "mistyped").intel()
    mistyped.config(MISTYPED_CONFIG)
    scratch = base / "scratch"
    scratch.mkdir()
    seed_corrupt_vms(scratch)
    (scratch / "afile.toml").write_text("[hypervisor.qemu]\npath = ''\n")
    (scratch / "adir").mkdir()
    (scratch / "run").mkdir(exist_ok=True)
    (scratch / "bin").mkdir()
    yield Hosts(capable.root, empty, garbage.root, mistyped.root, scratch)
    capable.close()
    garbage.close()


def _run(hosts: Hosts, kind: str, args: list[str]) -> tuple[Cli, list[str]]:
    env: dict[str, str | None] = {
        **PINNED_ENV,
        "KATA_CLI_RUN_DIR": str(hosts.scratch / "run"),
        "KATA_CLI_GUEST_CACHE": str(hosts.scratch / "cache"),
        "KATA_CLI_TEST_GUEST": str(hosts.scratch / "no-such-guest"),
        "XDG_RUNTIME_DIR": str(hosts.scratch / "run"),
        "XDG_CACHE_HOME": str(hosts.scratch / "cache"),
        "HOME": str(hosts.scratch),
        # no real programs: collect-data and friends find nothing to run
        "PATH": str(hosts.scratch / "bin"),
        "KATA_CHECK_NO_NETWORK": "1",
        "KATA_RELEASE_URL": "http://127.0.0.1:9/",
    }
    return Cli(env), ["--host-root", str(hosts.root(kind)), *args]


def assert_robust(hosts: Hosts, kind: str, args: list[str], stdin: str | bytes = "") -> None:
    runner, argv = _run(hosts, kind, args)
    seed_corrupt_vms(hosts.scratch)
    old_cwd = Path.cwd()
    os.chdir(hosts.scratch)
    try:
        result = runner(*argv, input=stdin)
    finally:
        os.chdir(old_cwd)
    context = f"kata-cli {' '.join(argv)!r} -> {result.exit_code}\n{result.stderr[-2000:]}"
    assert result.exit_code in ALLOWED_EXITS, context
    assert "Traceback" not in result.stderr, context
    assert "internal error" not in result.stderr, context
    if result.exit_code == 0 and _wants_json(args) and not _writes_elsewhere(args):
        try:
            json.loads(result.stdout)
        except ValueError as exc:
            pytest.fail(f"{context}\nstdout is not JSON ({exc}): {result.stdout[:500]!r}")


def _wants_json(args: list[str]) -> bool:
    """`--json`, or `--format json` (config lint/show) as the last --format given."""
    formats = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--format"]
    if formats:
        return formats[-1] == "json" and "--list-rules" not in args and "--explain" not in args
    return "--json" in args


OUTPUT_OPTIONS = ("-o", "--output", "-f", "--file")


def _writes_elsewhere(args: list[str]) -> bool:
    """True when the report goes to a file (collect-data -o, env -f), so stdout is not it."""
    for index, arg in enumerate(args):
        if arg in OUTPUT_OPTIONS and index + 1 < len(args) and args[index + 1] != "-":
            return True
    return False


# -- value strategies --------------------------------------------------------------------

# garbage without "/" so a hostile value can never name a file outside the scratch dir
SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/"),
    max_size=20,
)
FIXED_TEXT = [
    "",
    "-",
    "--",
    " ",
    "\u2603\u00e9\u4e2d",
    "nope",
    "-1",
    "0",
    "9" * 40,
    "a=b",
    "x" * 300,
    SANDBOX,
    "01234",
    *(name for name, _launch, _state in CORRUPT_VMS),
]


def _path_values(hosts: Hosts) -> list[str]:
    return [
        str(hosts.scratch / "does" / "not" / "exist"),
        str(hosts.scratch / "adir"),
        str(hosts.scratch / "afile.toml"),
        "adir",
        "afile.toml",
        "missing.toml",
    ]


def _number_values(param_type: click.ParamType) -> list[str]:
    values = ["", "-1", "0", "1", "-999999999999", "1e309", "nan", "inf", "9" * 30, "x", "0.5"]
    low = getattr(param_type, "min", None)
    high = getattr(param_type, "max", None)
    for bound in (low, high):
        if bound is not None:
            values.append(str(bound))
    return values


def value_strategy(param: click.Parameter, hosts: Hosts) -> st.SearchStrategy[str]:
    param_type = param.type
    fixed: list[str] = list(FIXED_TEXT) + _path_values(hosts)
    if isinstance(param_type, click.Choice):
        fixed = [str(choice) for choice in param_type.choices] * 3 + fixed
    elif isinstance(param_type, (click.types.IntParamType, click.types.FloatParamType)):
        fixed = _number_values(param_type) * 2 + fixed
    return st.one_of(st.sampled_from(fixed), SAFE_TEXT)


def usable_options(command: click.Command) -> list[click.Option]:
    return [
        param
        for param in command.params
        if isinstance(param, click.Option)
        and not (set(param.opts) | set(param.secondary_opts)) & SKIP_OPTIONS
    ]


@st.composite
def argv_for(
    draw: st.DrawFn, path: tuple[str, ...], command: click.Command, hosts: Hosts
) -> list[str]:
    args: list[str] = list(BASES.get(path, [])) if draw(st.booleans()) else []
    options = usable_options(command)
    chosen = draw(st.lists(st.sampled_from(options), max_size=4)) if options else []
    for option in chosen:
        name = draw(st.sampled_from([*option.opts, *option.secondary_opts]))
        if option.is_flag:
            args.append(name)
        else:
            args += [name, draw(value_strategy(option, hosts))]
    for param in command.params:
        if not isinstance(param, click.Argument):
            continue
        count = param.nargs if param.nargs > 0 else draw(st.integers(0, 2))
        if not param.required and draw(st.booleans()):
            count = 0
        args += [draw(value_strategy(param, hosts)) for _ in range(count)]
    has_json = any("--json" in option.opts for option in options)
    if has_json and "--json" not in args and draw(st.booleans()):
        args.append("--json")
    return args


def _prefix(path: tuple[str, ...]) -> list[str]:
    # check never reaches the network
    return [*path, "-n"] if path == ("check",) else list(path)


STDIN_VALUES: list[str | bytes] = [
    "",
    b"\xff\xfe\x00garbage\n",
    "[hypervisor.qemu]\npath = 5\n",
    '{"policy": "x"}',
    "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n",
    "\u2603" * 1000,
]
HOST_KINDS = ["capable", "empty", "garbage", "mistyped"]

MOUNT_INFO = '{"volume-type": "block", "device": "/dev/sdz", "fstype": "ext4", "options": []}'
# arguments that get each command past its required options, so hostile values reach the code
BASES: dict[tuple[str, ...], list[str]] = {
    ("direct-volume", "add"): ["--volume-path", "vol", "--mount-info", MOUNT_INFO],
    ("direct-volume", "remove"): ["--volume-path", "vol"],
    ("direct-volume", "resize"): ["--volume-path", "vol", "--size", "1"],
    ("direct-volume", "stats"): ["--volume-path", "vol"],
    ("exec",): [SANDBOX],
    ("iptables", "get"): ["--sandbox-id", SANDBOX],
    ("iptables", "set"): ["--sandbox-id", SANDBOX, "-"],
    ("metrics",): [SANDBOX],
    ("policy", "set"): ["--sandbox-id", SANDBOX, "-"],
    ("vm", "console"): ["badtypes"],
    ("vm", "disk-add"): ["badpid", "afile.toml"],
    ("vm", "exec"): ["negpid", "true"],
    ("vm", "inspect"): ["badtypes"],
    ("vm", "stop"): ["badtypes"],
}


# -- table-driven: every command bare and in its plain --json form on every host ----------


@pytest.mark.parametrize("kind", HOST_KINDS)
def test_every_command_bare_and_json(hosts: Hosts, kind: str) -> None:
    for path, command in LEAVES:
        assert_robust(hosts, kind, _prefix(path))
        if any("--json" in option.opts for option in usable_options(command)):
            assert_robust(hosts, kind, [*_prefix(path), "--json"])


def test_groups_and_unknown_commands(hosts: Hosts) -> None:
    for path in GROUPS:
        assert_robust(hosts, "capable", list(path))
        assert_robust(hosts, "capable", [*path, "no-such-subcommand"])
    assert_robust(hosts, "capable", ["no-such-command"])
    assert_robust(hosts, "capable", ["ps", "--json"])
    assert_robust(hosts, "capable", ["kata-env", "--json"])


SWEEP_VALUES = [
    "",
    "-",
    "\u2603\u00e9",
    "-1",
    "9" * 30,
    "nan",
    "x" * 300,
    "missing.toml",
    "adir",
    "afile.toml",
    "a\nb",
    "..",
    "ÿ\x7f\x1b[31m",
]


@pytest.mark.parametrize("kind", ["capable", "garbage", "mistyped"])
def test_every_option_with_hostile_values(hosts: Hosts, kind: str) -> None:
    """Each value-taking option of each command, one hostile value at a time."""
    for path, command in LEAVES:
        base = [*_prefix(path), *BASES.get(path, [])]
        assert_robust(hosts, kind, base)
        for option in usable_options(command):
            if option.is_flag:
                assert_robust(hosts, kind, [*base, option.opts[0]])
                continue
            for value in SWEEP_VALUES:
                assert_robust(hosts, kind, [*base, option.opts[0], value])


@pytest.mark.parametrize("kind", ["capable", "garbage", "mistyped"])
def test_every_argument_with_hostile_values(hosts: Hosts, kind: str) -> None:
    """Each positional argument replaced by a hostile value (after `--` so '-x' stays one)."""
    for path, command in LEAVES:
        arguments = [p for p in command.params if isinstance(p, click.Argument)]
        if not arguments:
            continue
        options = [a for a in BASES.get(path, []) if a.startswith("--")]
        option_args = BASES.get(path, [])[: 2 * len(options)]
        for value in SWEEP_VALUES:
            values = [value for _ in arguments]
            assert_robust(hosts, kind, [*_prefix(path), *option_args, "--", *values])


@pytest.mark.parametrize("kind", HOST_KINDS)
def test_hostile_global_options(hosts: Hosts, kind: str) -> None:
    for extra in (
        ["--config", str(hosts.scratch / "adir")],
        ["--config", str(hosts.scratch / "nope.toml")],
        ["--config", str(hosts.scratch / "afile.toml")],
        ["--config", ""],
        ["--log", str(hosts.scratch / "adir")],
        ["--log", str(hosts.scratch / "no" / "dir" / "log")],
        ["--log-format", "xml"],
    ):
        assert_robust(hosts, kind, [*extra, "env", "--json"])
        assert_robust(hosts, kind, [*extra, "check", "-n", "--json"])


def test_host_root_is_not_a_directory(hosts: Hosts) -> None:
    for root in (hosts.scratch / "afile.toml", hosts.scratch / "missing-root"):
        runner, _ = _run(hosts, "empty", [])
        for path, _command in LEAVES:
            result = runner("--host-root", str(root), *_prefix(path), input="")
            assert result.exit_code in ALLOWED_EXITS, (path, result.stderr)
            assert "Traceback" not in result.stderr
            assert "internal error" not in result.stderr, (path, result.stderr)


# -- hypothesis: random argument lists from each command's real options ---------------------


@settings(
    max_examples=int(os.environ.get("ROBUST_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=os.environ.get("ROBUST_EXAMPLES") is None,
)
@given(data=st.data())
def test_random_arguments(hosts: Hosts, data: st.DataObject) -> None:
    path, command = data.draw(st.sampled_from(LEAVES), label="command")
    kind = data.draw(st.sampled_from(HOST_KINDS), label="host")
    args = data.draw(argv_for(path, command, hosts), label="args")
    front: list[str] = []
    if data.draw(st.booleans(), label="global options"):
        config_values = [*_path_values(hosts), "", "x" * 300]
        front += ["--config", data.draw(st.sampled_from(config_values))]
        front += ["--log", str(hosts.scratch / "log"), "--log-format", "json"]
    stdin = data.draw(st.sampled_from(STDIN_VALUES), label="stdin")
    assert_robust(hosts, kind, [*front, *_prefix(path), *args], stdin)


# -- regressions found by the tests above ----------------------------------------------------


def _run_in(hosts: Hosts, cwd: Path, args: list[str]) -> CliResult:
    runner, argv = _run(hosts, "capable", args)
    cwd.mkdir(parents=True, exist_ok=True)
    old_cwd = Path.cwd()
    os.chdir(cwd)
    try:
        return runner(*argv, input="")
    finally:
        os.chdir(old_cwd)


def test_collect_data_output_dash_is_a_usage_error(hosts: Hosts, tmp_path: Path) -> None:
    """`-o -` used to write a binary archive called '-' into the working directory."""
    result = _run_in(hosts, tmp_path, ["collect-data", "--output", "-"])
    assert result.exit_code == 2
    assert "--output -" in result.stderr and result.stdout == ""
    assert not (tmp_path / "-").exists()


def test_check_junit_dash_is_a_usage_error(hosts: Hosts, tmp_path: Path) -> None:
    """`check --junit -` used to write the XML to a file called '-'."""
    result = _run_in(hosts, tmp_path, ["check", "-n", "--junit", "-"])
    assert result.exit_code == 2
    assert "--junit -" in result.stderr and result.stdout == ""
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["collect-data", "--output", ""], "--output: the file name is empty"),
        (["collect-data", "-o", " "], "--output: the file name is empty"),
        (["fleet", "report", ""], "an empty PATH names no node documents"),
        (["fleet", "report", "-", "--junit", ""], "--junit: the file name is empty"),
        (["vm", "run", "--disk", ""], "--disk: the file name is empty"),
    ],
)
def test_empty_file_names_are_usage_errors(
    hosts: Hosts, tmp_path: Path, args: list[str], message: str
) -> None:
    """An empty name (an unset shell variable) used to mean the working directory or
    nothing at all: collect-data printed the report instead of writing the archive,
    fleet report read every file of the working directory, vm run said ': no such file'."""
    (tmp_path / "node.json").write_text('{"capable": true, "checks": []}\n')
    result = _run_in(hosts, tmp_path, args)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_env_file_dash_is_stdout(hosts: Hosts, tmp_path: Path) -> None:
    """`env -f -` used to write the report to a file called '-' and print nothing."""
    result = _run_in(hosts, tmp_path, ["env", "--json", "-f", "-"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["Runtime"]
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["collect-data", "--deadline"],
        ["collect-data", "--timeout"],
        ["check", "-n", "--boot-timeout"],
        ["exec", "no-such-sandbox", "--timeout"],
        ["vm", "exec", "no-such-vm", "--timeout"],
        ["vm", "stop", "no-such-vm", "--grace"],
        ["vm", "run", "--ready-timeout"],
    ],
)
@pytest.mark.parametrize("value", ["nan", "inf", "1e309", "1e12", "-1"])
def test_durations_must_be_finite_and_sane(
    hosts: Hosts, tmp_path: Path, args: list[str], value: str
) -> None:
    """`collect-data --deadline 1e309` used to die with an OverflowError (internal error)."""
    result = _run_in(hosts, tmp_path, [*args, value])
    assert result.exit_code == 2, result.stderr
    assert "Invalid value" in result.stderr and "Traceback" not in result.stderr


LONG_NAME = "x" * 300  # longer than NAME_MAX: stat() fails with ENAMETOOLONG, not ENOENT


@pytest.mark.parametrize(
    "args",
    [
        ["vm", "plan", "--share", LONG_NAME],
        ["vm", "plan", "--share", f"{LONG_NAME}:9p"],
        ["config", "lint", LONG_NAME],
        ["vm", "disk-add", "no-such-vm", LONG_NAME],
        ["policy", "set", "--sandbox-id", SANDBOX, LONG_NAME],
        ["iptables", "set", "--sandbox-id", SANDBOX, LONG_NAME],
    ],
)
def test_overlong_file_names_are_plain_errors(
    hosts: Hosts, tmp_path: Path, args: list[str]
) -> None:
    """Path.is_dir()/is_file() raise ENAMETOOLONG; these used to be internal errors."""
    result = _run_in(hosts, tmp_path, args)
    assert result.exit_code in (1, 2), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert result.output.strip()  # said something (config lint reports it as a finding)


def test_host_predicates_never_raise_on_overlong_names(tmp_path: Path) -> None:
    from kata_cli.host import Host

    host = Host(tmp_path)
    assert not host.is_dir(f"/{LONG_NAME}")
    assert not host.is_file(f"/{LONG_NAME}")
    assert not host.is_symlink(f"/{LONG_NAME}")
    assert not host.exists(f"/{LONG_NAME}")


@pytest.mark.parametrize(
    "ref",
    [{"pid": "abc"}, {"pid": -1}, {"pid": 0}, {"pid": True}, {"pid": 5, "create_time": "x"}, 7],
)
def test_corrupt_process_refs_are_ignored(ref: object) -> None:
    """A state.json with a pid like "abc" used to crash `vm list` (int() ValueError), and
    pid -1 or 0 must never become something `vm stop` signals."""
    from kata_cli.vm.state import _ref

    assert _ref(ref) is None


def test_config_lint_empty_path_is_a_usage_error(hosts: Hosts, tmp_path: Path) -> None:
    """`config lint ''` used to lint every *.toml in the working directory."""
    (tmp_path / "stray.toml").write_text("[hypervisor.qemu]\n")
    result = _run_in(hosts, tmp_path, ["config", "lint", ""])
    assert result.exit_code == 2, result.output
    assert "stray.toml" not in result.output


def test_config_lint_escapes_control_characters_in_file_names(hosts: Hosts, tmp_path: Path) -> None:
    """A file name with ESC or a newline used to reach the terminal raw."""
    name = "evil\x1b[31m\nname.toml"
    (tmp_path / name).write_text("[hypervisor.qemu]\npath = 5\n")
    result = _run_in(hosts, tmp_path, ["config", "lint", name])
    assert result.exit_code == 1, result.output
    assert "\x1b" not in result.stdout
    assert "evil\\x1b[31m\\nname.toml" in result.stdout


@pytest.mark.parametrize("kind", ["capable", "garbage"])
def test_stdin_readers_with_hostile_input(hosts: Hosts, kind: str) -> None:
    """Commands that read `-` (policy/iptables set, config lint) with binary and odd input."""
    readers = [
        ["policy", "set", "--sandbox-id", SANDBOX, "-"],
        ["iptables", "set", "--sandbox-id", SANDBOX, "-"],
        ["iptables", "set", "--sandbox-id", SANDBOX, "--v6", "-"],
        ["config", "lint", "-"],
        ["config", "lint", "--format", "json", "-"],
        ["config", "lint", "--fix", "-"],
        ["config", "lint", "--diff", "-"],
    ]
    for args in readers:
        for stdin in STDIN_VALUES:
            assert_robust(hosts, kind, args, stdin)
