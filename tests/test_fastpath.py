"""The click-free fast path for everyday `check` and `env` (`kata_cli/fastpath.py`).

It must take exactly the spellings it understands, hand every other one to click, and
give the same output and exit status as click for the ones it takes.
"""

from __future__ import annotations

import inspect
import random
import subprocess
import sys

import click
import pytest

from kata_cli import fastpath
from kata_cli.cli import cli as root
from kata_cli.commands.check import check as check_command
from kata_cli.commands.check_body import run_check
from kata_cli.commands.env import env as env_command
from kata_cli.commands.env_body import run_env
from tests.conftest import MINIMAL_QEMU_CONFIG, PINNED_ENV, Cli, FakeHost

ENVIRON: dict[str, str] = {}


def parsed(*args: str, environ: dict[str, str] | None = None) -> fastpath.Invocation | None:
    return fastpath.parse(list(args), ENVIRON if environ is None else environ)


@pytest.mark.parametrize(
    ("args", "command", "globals_", "options"),
    [
        (["check"], "check", {}, {}),
        (["kata-check", "-n"], "check", {}, {"no_network_checks": True}),
        (
            ["check", "--no-network-checks", "--json", "-v", "-s", "--flavour", "rs"],
            "check",
            {},
            {
                "no_network_checks": True,
                "as_json": True,
                "verbose": True,
                "strict": True,
                "flavour": "rs",
            },
        ),
        (
            ["check", "--verbose", "--strict", "--flavour=go"],
            "check",
            {},
            {"verbose": True, "strict": True, "flavour": "go"},
        ),
        (["check", "-n", "-n"], "check", {}, {"no_network_checks": True}),
        (["env"], "env", {}, {}),
        (["kata-env", "--json", "--flavour", "go"], "env", {}, {"as_json": True, "flavour": "go"}),
        (
            ["--host-root", "/h", "--config", "c.toml", "--log=l", "--log-format", "json", "env"],
            "env",
            {"host_root": "/h", "config_path": "c.toml", "log_path": "l", "log_format": "json"},
            {},
        ),
        (
            ["--kata-config=k", "--host-root=/a", "--host-root", "/b", "check"],
            "check",
            {"config_path": "k", "host_root": "/b"},
            {},
        ),
        (["--host-root", "", "env"], "env", {"host_root": ""}, {}),
    ],
)
def test_understood_spellings(args, command, globals_, options):
    invocation = parsed(*args)
    assert invocation is not None
    assert command in invocation.command.names
    assert invocation.globals == {**fastpath.GLOBAL_DEFAULTS, **globals_}
    defaults = {"node_name": None} if command == "check" else {}
    assert invocation.options == {**defaults, **options}


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--help"],
        ["-h"],
        ["check", "--help"],
        ["check", "-h"],
        ["env", "-h"],
        ["-v", "check"],  # the global -v is --version
        ["--version"],
        ["check", "-nv"],  # bundled short flags: click's
        ["check", "--json=1"],  # a flag with a value: click's error
        ["check", "--flavour"],  # missing value
        ["check", "--flavour", "java"],  # refused choice
        ["check", "--flavour=java"],
        ["check", "--flavour", "--json"],  # a value that looks like an option
        ["--host-root"],
        ["--host-root", "check"],  # `check` is the root, no command follows
        ["--host-root", "-n", "check"],
        ["--log-format", "xml", "check"],
        ["--log-format=xml", "env"],
        ["check", "extra"],  # an argument: click's error
        ["check", "--"],
        ["check", "-"],
        ["--", "check"],
        ["check", "--list"],  # options the fast path leaves to click
        ["check", "--junit", "x.xml"],
        ["check", "--boot"],
        ["check", "--nfd", "f"],
        ["check", "--every", "10m"],
        ["check", "--ignore", "kvm.*"],
        ["env", "-f", "out.toml"],
        ["env", "--file=out.toml"],
        ["env", "-n"],  # a check flag on env
        ["env", "--verbose"],
        ["check", "--config", "c.toml"],  # a global option after the command
        ["--show-default-config-paths", "check"],
        ["--unknown", "check"],
        ["chek"],  # click suggests the right name
        ["collect-data"],
        ["config", "lint"],
        ["vm", "list"],
        ["-X", "env"],
        ["--host-root=/a", "--config"],
    ],
)
def test_everything_else_goes_to_click(args):
    assert parsed(*args) is None


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"KATA_HOST_ROOT": "/r"}, {"host_root": "/r"}),
        ({"KATA_HOST_ROOT": ""}, {}),  # empty is unset, as click reads it
        (
            {"KATA_CLI_LOG": "/tmp/l", "KATA_CLI_LOG_FORMAT": "json"},
            {"log_path": "/tmp/l", "log_format": "json"},
        ),
        ({"KATA_CLI_LOG_FORMAT": ""}, {}),
    ],
)
def test_global_options_from_the_environment(environ, expected):
    invocation = parsed("check", environ=environ)
    assert invocation is not None
    assert invocation.globals == {**fastpath.GLOBAL_DEFAULTS, **expected}


def test_the_command_line_wins_over_the_environment():
    invocation = parsed("--host-root", "/cli", "env", environ={"KATA_HOST_ROOT": "/env"})
    assert invocation is not None and invocation.globals["host_root"] == "/cli"


def test_node_name_comes_from_its_variable():
    invocation = parsed("check", environ={"NODE_NAME": "n1"})
    assert invocation is not None and invocation.options["node_name"] == "n1"


@pytest.mark.parametrize(
    "environ",
    [
        {"KATA_CLI_LOG_FORMAT": "yaml"},  # click reports the bad value
        {"_KATA_CLI_COMPLETE": "bash_complete"},  # shell completion
        {"_KATA_COLLECT_DATA_COMPLETE": "zsh_complete"},
    ],
)
def test_environment_click_must_judge(environ):
    assert parsed("check", environ=environ) is None


# -- the fast path and click agree on what the options are ---------------------------------


def _click_values(command: click.Command, args: list[str]) -> dict[str, object]:
    """The keyword arguments click hands the command's function for `args`. The help
    option names are the root's: click keeps the help option a command first made, and
    `-h` would be missing from `env`'s help afterwards (`help --man` then differed)."""
    names = ["-h", "--help"]
    with command.make_context(command.name or "", list(args), help_option_names=names) as ctx:
        return dict(ctx.params)


def _signature_defaults(function: object) -> dict[str, object]:
    parameters = list(inspect.signature(function).parameters.values())[1:]  # after `app`
    return {parameter.name: parameter.default for parameter in parameters}


@pytest.mark.parametrize(("command", "body"), [(check_command, run_check), (env_command, run_env)])
def test_body_defaults_are_what_click_passes(command, body, monkeypatch):
    monkeypatch.delenv("NODE_NAME", raising=False)
    assert _signature_defaults(body) == _click_values(command, [])


@pytest.mark.parametrize(
    "args",
    [
        ["check", "-n", "--json", "-v", "-s", "--flavour", "rs"],
        ["check", "--verbose", "--strict", "--no-network-checks", "--flavour=go"],
        ["env", "--json", "--flavour", "rs"],
        ["kata-env"],
    ],
)
def test_fast_options_are_what_click_passes(args, monkeypatch):
    monkeypatch.setenv("NODE_NAME", "node-7")
    invocation = parsed(*args, environ={"NODE_NAME": "node-7"})
    assert invocation is not None
    command = check_command if "check" in args[0] else env_command
    click_values = _click_values(command, args[1:])
    assert {
        **_signature_defaults(invocation.command.function()),
        **invocation.options,
    } == click_values


def _spellings(command: click.Command) -> dict[str, click.Parameter]:
    return {spelling: p for p in command.params for spelling in (*p.opts, *p.secondary_opts)}


@pytest.mark.parametrize("command", [check_command, env_command])
def test_fast_spellings_mean_what_they_mean_to_click(command):
    fast = next(c for c in fastpath.COMMANDS if command.name in c.names)
    spellings = _spellings(command)
    for spelling, name in fast.flags.items():
        option = spellings[spelling]
        assert isinstance(option, click.Option) and option.is_flag and option.name == name
        assert not option.multiple and option.flag_value is True
    for spelling, name in fast.values.items():
        option = spellings[spelling]
        assert isinstance(option, click.Option) and not option.is_flag and option.name == name
        choices = fastpath.CHOICES.get(name)
        if isinstance(option.type, click.Choice):
            assert tuple(option.type.choices) == choices
        else:
            assert choices is None and option.type is click.STRING
    for name, variable in fast.environment.items():
        assert next(p for p in command.params if p.name == name).envvar == variable
    # every option with an environment variable is known to the fast path
    assert {p.name for p in command.params if p.envvar} == set(fast.environment)


def test_global_spellings_mean_what_they_mean_to_click(monkeypatch):
    for _, variable in fastpath.GLOBAL_OPTIONS.values():
        if variable:
            monkeypatch.delenv(variable, raising=False)
    spellings = _spellings(root)
    defaults = _click_values(root, ["env"])
    for spelling, (name, variable) in fastpath.GLOBAL_OPTIONS.items():
        option = spellings[spelling]
        assert option.name == name and (option.envvar or "") == variable
        assert defaults[name] == fastpath.GLOBAL_DEFAULTS[name]
        if isinstance(option.type, click.Choice):
            assert tuple(option.type.choices) == fastpath.CHOICES[name]
    exposed = {p.name for p in root.params if p.expose_value}
    assert exposed == set(fastpath.GLOBAL_DEFAULTS)


# -- the same outcome both ways -------------------------------------------------------------


def _hosts(fake: FakeHost, kind: str) -> None:
    if kind == "empty":
        return
    fake.cpuinfo()
    fake.modules("kvm", "kvm_intel", "vhost", "vhost_net", "vhost_vsock")
    fake.meminfo()
    fake.os_release()
    fake.proc_version()
    fake.vhost_vsock()
    if kind == "installed":
        fake.config(MINIMAL_QEMU_CONFIG)
        fake.assets(MINIMAL_QEMU_CONFIG)
    elif kind == "broken-config":
        fake.config("[hypervisor.qemu\npath = 1\n")


ARGVS = [
    ["check"],
    ["check", "-n"],
    ["kata-check", "--json"],
    ["check", "-v", "-s"],
    ["check", "--flavour", "rs"],
    ["env"],
    ["kata-env", "--json"],
    ["env", "--flavour=go"],
]


@pytest.mark.parametrize("kind", ["installed", "hardware-only", "broken-config", "empty"])
@pytest.mark.parametrize("argv", ARGVS, ids=" ".join)
def test_fast_path_and_click_give_the_same_outcome(fake_host, kind, argv):
    _hosts(fake_host, kind)
    args = ["--host-root", str(fake_host.root), *argv]
    assert parsed(*args) is not None  # these take the fast path
    fast = Cli(dict(PINNED_ENV))(*args)
    slow = Cli(dict(PINNED_ENV), click_only=True)(*args)
    assert (fast.exit_code, fast.stdout, fast.stderr) == (slow.exit_code, slow.stdout, slow.stderr)


def test_a_missing_host_root_is_the_same_usage_error(tmp_path):
    args = ["--host-root", str(tmp_path / "absent"), "check"]
    fast = Cli(dict(PINNED_ENV))(*args)
    slow = Cli(dict(PINNED_ENV), click_only=True)(*args)
    assert fast.exit_code == slow.exit_code == 2
    assert fast.stderr == slow.stderr and "not a directory" in fast.stderr


def test_interrupt_in_the_fast_path_is_exit_130(fake_host, monkeypatch):
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("kata_cli.commands.check_body.run_check", interrupted)
    result = Cli(dict(PINNED_ENV))("--host-root", str(fake_host.root), "check")
    assert result.exit_code == 130
    assert result.stderr == "\ninterrupted\n"  # click ends the ^C line the same way


PROBE = """
import sys
from kata_cli.main import dispatch
code = dispatch(sys.argv[1:])
sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)))
sys.exit(code)
"""


@pytest.mark.parametrize(
    "argv", [["check", "-n"], ["check", "--json"], ["env"], ["kata-env", "--json"]], ids=" ".join
)
def test_the_fast_path_imports_neither_click_nor_dataclasses(fake_host, argv):
    _hosts(fake_host, "installed")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "--host-root", str(fake_host.root), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},
    )
    modules = set(proc.stderr.rsplit("MODULES ", 1)[1].split())
    assert "kata_cli.fastpath" in modules
    assert sorted(modules & {"click", "dataclasses", "inspect", "kata_cli.cli"}) == []


# -- random spellings and environments: the same outcome both ways ----------------------------

FUZZ_GLOBALS = [
    ["--config", "c.toml"],
    ["--kata-config=/etc/kata-containers/configuration.toml"],
    ["--log", "run.log"],
    ["--log=run2.log"],
    ["--log-format", "json"],
    ["--log-format=text"],
    ["--log-format", "JSON"],
    ["--config", ""],
    ["--log="],
    ["--config", "-"],
    ["--config=x\udcff"],  # a name that is not UTF-8, as Python hands it over
]
FUZZ_OPTIONS = [
    "-v",
    "--verbose",
    "-s",
    "--strict",
    "-n",
    "--no-network-checks",
    "--json",
    ["--flavour", "go"],
    ["--flavour", "rs"],
    "--flavour=rs",
    "--flavour=",
    "--flavour=RS",
    ["--flavour", "-"],
    "-vs",
    "--json=x",
    "--",
    "x",
    ["--flavour", "go", "--flavour", "rs"],
]
FUZZ_COMMANDS = ["check", "kata-check", "env", "kata-env", "Check", "env\udcff"]
FUZZ_ENVIRON = {
    "KATA_HOST_ROOT": ["ROOT", "", "/nonexistent"],
    "KATA_CLI_LOG_FORMAT": ["json", "", "yaml", "Text", "\udcff"],
    "KATA_CLI_LOG": ["", "env.log"],
    "NODE_NAME": ["", "n1", "n\x1b[2J"],
    "KATA_CONF_FILE": ["", "/nope.toml"],
    "KATA_CHECK_NO_NETWORK": ["", "1"],
    "NO_COLOR": ["", "1"],
    "_KATA_CLI_COMPLETE": [""],  # empty: no completion, for click too
    "TERM": ["dumb"],
}


def _fuzz_case(rng: random.Random, root: str) -> tuple[list[str], dict[str, str | None]]:
    args: list[str] = []
    for _ in range(rng.randint(0, 2)):
        args += rng.choice(FUZZ_GLOBALS)
    args.append(rng.choice(FUZZ_COMMANDS))
    for _ in range(rng.randint(0, 3)):
        option = rng.choice(FUZZ_OPTIONS)
        args += option if isinstance(option, list) else [option]
    env = dict(PINNED_ENV)
    for variable, values in FUZZ_ENVIRON.items():
        if rng.random() < 0.3:
            env[variable] = rng.choice(values)
    if env.get("KATA_HOST_ROOT") == "ROOT":
        env["KATA_HOST_ROOT"] = root
        if rng.random() < 0.5:
            return args, env  # the root from the environment only
    return ["--host-root", root, *args], env


@pytest.mark.parametrize("kind", ["installed", "broken-config"])
@pytest.mark.parametrize("seed", range(3))
def test_random_spellings_give_the_same_outcome_both_ways(
    fake_host, tmp_path, monkeypatch, kind, seed
):
    _hosts(fake_host, kind)
    monkeypatch.chdir(tmp_path)  # where relative --log / --config names land
    rng = random.Random(f"{kind}-{seed}")
    different, fast_taken = [], 0
    for _ in range(60):
        args, env = _fuzz_case(rng, str(fake_host.root))
        environ = {k: v for k, v in env.items() if v is not None}
        fast_taken += parsed(*args, environ=environ) is not None
        fast = Cli(env)(*args)
        slow = Cli(env, click_only=True)(*args)
        if (fast.exit_code, fast.stdout, fast.stderr) != (slow.exit_code, slow.stdout, slow.stderr):
            different.append((args, env, fast, slow))
    assert different == []
    assert fast_taken >= 5  # the comparison covered the fast path, not only click
