"""Hostile configurations through every command that loads one: a clear error, never a crash.

Absurd numbers (past 64 bits, past Python's 4300-digit conversion limit, in decimal, hex,
octal and binary), nesting hundreds of levels deep (dotted keys, headers, arrays, inline
tables), NULs, control characters and non-UTF-8 bytes are fed to `check`, `env`,
`config lint` and `config show`. Whatever happens: exit 0/1/2, no "internal error", no
traceback, and `check --json` prints one valid JSON document.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kata_cli.config.tomlread import MAX_DEPTH, TomlLimitError, loads

COMMANDS = (
    ("check", "-n", "--json"),
    ("env", "--json"),
    ("config", "lint"),
    ("config", "lint", "--format", "json"),
    ("config", "show"),
)
JSON_COMMANDS = {("check", "-n", "--json"), ("config", "lint", "--format", "json")}

HEAD = '[hypervisor.qemu]\npath = "/opt/kata/bin/qemu-system-x86_64"\n'
KEYS = (
    "default_vcpus",
    "default_memory",
    "memory_slots",
    "default_maxvcpus",
    "x",
    "block_device_driver",
)


def _huge(digits: int) -> str:
    return "9" * digits


BIG_NUMBERS = [
    _huge(5000),
    "-" + _huge(5000),
    _huge(4301),
    _huge(20),
    "9223372036854775808",
    "-9223372036854775809",
    "0x" + "f" * 5000,
    "0o" + "7" * 5000,
    "0b" + "1" * 5000,
    "1" + "_1" * 3000,
    "1e99999",
    "-1e99999",
    "nan",
    "inf",
]


def _deep(kind: str, depth: int) -> str:
    if kind == "dotted":
        return "a" + ".a" * depth + " = 1\n"
    if kind == "header":
        return "[a" + ".a" * depth + "]\nb = 1\n"
    if kind == "array-of-tables":
        return "[[a" + ".a" * depth + "]]\nb = 1\n"
    if kind == "array":
        return "x = " + "[" * depth + "]" * depth + "\n"
    if kind == "inline":
        return "x = " + "{a = " * depth + "1" + "}" * depth + "\n"
    return HEAD + "y" + ".a" * depth + " = 1\n"  # dotted inside a hypervisor table


DEEP_KINDS = ("dotted", "header", "array-of-tables", "array", "inline", "hypervisor")


def _run_all(cli, fake_host, text: str | bytes) -> None:
    path = fake_host.root / "hostile.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    for command in COMMANDS:
        result = cli("--host-root", str(fake_host.root), "--config", str(path), *command)
        context = f"{command}: {result.stderr[-400:]!r}"
        assert result.exit_code in (0, 1, 2), context
        assert "internal error" not in result.stderr, context
        assert "Traceback" not in result.stderr, context
        if command in JSON_COMMANDS:
            json.loads(result.stdout)  # always one valid document, even for a broken config


@pytest.mark.parametrize("number", BIG_NUMBERS, ids=lambda n: n[:12] + f"..{len(n)}")
@pytest.mark.parametrize("key", ["default_memory", "x"])
def test_absurd_integers_are_clear_errors(cli, fake_host, number, key):
    fake_host.intel()
    _run_all(cli, fake_host, HEAD + f"{key} = {number}\n")


@pytest.mark.parametrize("number", [_huge(5000), "0x" + "f" * 5000, _huge(20)])
def test_absurd_integer_names_its_line(cli, fake_host, number):
    path = fake_host.root / "big.toml"
    path.write_text(HEAD + f"default_memory = {number}\n")
    result = cli("--host-root", str(fake_host.root), "--config", str(path), "env")
    assert result.exit_code == 1
    assert f"{path}:3:18: invalid TOML: integer out of the 64-bit range" in result.stderr
    assert len(result.stderr) < 400


@pytest.mark.parametrize("flavour", ["go", "rs"])
@pytest.mark.parametrize("value", ["nan", "+nan", "-nan"])
def test_default_vcpus_nan_is_a_config_error_everywhere(cli, fake_host, flavour, value):
    """No clamp catches NaN (every comparison is false): `vm plan` used to die on it with
    an internal error; every command that loads the file now names the key and line."""
    fake_host.intel()
    fake_host.assets()
    path = fake_host.root / "nan.toml"
    path.write_text(HEAD + 'kernel = "/k"\nimage = "/i"\n' + f"default_vcpus = {value}\n")
    for command in (("vm", "plan"), ("env",), ("config", "show"), ("check", "-n")):
        args = ["--host-root", str(fake_host.root), "--config", str(path), *command]
        if command != ("check", "-n"):
            args += ["--flavour", flavour]
        result = cli(*args)
        assert result.exit_code == 1, (command, result.stderr)
        assert "internal error" not in result.stderr
        assert (
            f"{path}:5:1: [hypervisor.qemu] default_vcpus: nan is not a number" in result.stderr
        ), (command, result.stderr)


@pytest.mark.parametrize("kind", DEEP_KINDS)
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 900, 5000])
def test_deep_nesting_is_a_clear_error_and_no_partial_output(cli, fake_host, kind, depth):
    fake_host.intel()
    _run_all(cli, fake_host, _deep(kind, depth))
    path = fake_host.root / "hostile.toml"
    for command in (("env",), ("config", "show")):
        result = cli("--host-root", str(fake_host.root), "--config", str(path), *command)
        assert result.exit_code == 1
        assert result.stdout == ""  # nothing printed before the error
        assert "nested" in result.stderr
        assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("kind", DEEP_KINDS)
def test_nesting_at_the_limit_is_fine(kind):
    text = _deep(kind, MAX_DEPTH - 3)  # the root table and the leaf count as levels too
    assert loads(text)


def test_limits_in_the_reader():
    assert loads("x = 9223372036854775807\ny = -9223372036854775808\n")
    for text in ("x = 9223372036854775808\n", "x = " + _huge(5000) + "\n"):
        with pytest.raises(TomlLimitError, match=r"64-bit range \(at line 1, column 5\)"):
            loads(text)


# -- fuzzing ---------------------------------------------------------------------------

_values = st.one_of(
    st.sampled_from(BIG_NUMBERS),
    st.integers().map(str),
    st.floats(allow_nan=False).map(lambda f: repr(f).replace("inf", "inf")),
    st.text(max_size=30).map(json.dumps),
    st.sampled_from(['"\\u0000"', '"a\\tb"', "true", "[]", "{}", "'\\x1b[2J'", '"""\n"""']),
    st.builds(
        lambda kind, depth: _deep(kind, depth).split("=", 1)[-1].strip() or "1",
        st.sampled_from(["array", "inline"]),
        st.integers(1, 1200),
    ),
)
_lines = st.one_of(
    st.builds(lambda key, value: f"{key} = {value}", st.sampled_from(KEYS), _values),
    st.builds(
        lambda kind, depth: _deep(kind, depth).rstrip("\n"),
        st.sampled_from(DEEP_KINDS),
        st.integers(1, 1200),
    ),
    st.sampled_from(["[hypervisor.qemu]", "[agent.kata]", "[runtime]", "[[x]]", "[", "a.b.c = 1"]),
    st.text(max_size=40),
)
_configs = st.one_of(
    st.lists(_lines, max_size=8).map(lambda lines: HEAD + "\n".join(lines) + "\n"),
    st.binary(max_size=200).map(lambda data: HEAD.encode() + data),
)


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=_configs)
def test_fuzzed_configurations_never_crash(cli, fake_host, text):
    fake_host.intel()
    _run_all(cli, fake_host, text)


# Merges a main file and a drop-in of 100,000 keys each, respelled, over tables the
# drop-in replaces with scalars: the folded merge once scanned every key of a table for
# each key (and every origin for each replacement), so 20,000 keys took 45 s.
MANY_KEYS_MERGE = """
from kata_cli.config.merge import Layers
n = 100_000
main = {"runtime": {f"k{i}": i for i in range(n)}, **{f"t{i}": {"x": 1} for i in range(n)}}
dropin = {"Runtime": {f"K{i}": i for i in range(n)}, **{f"T{i}": 5 for i in range(n)}}
merged = Layers([("main", main), ("dropin", dropin)]).folded
runtime = merged.tree["runtime"]
assert len(runtime) == n and runtime["K7"] == 7 and "k7" not in runtime
assert merged.tree["T7"] == 5 and "t7" not in merged.tree
assert merged.origins[("T7",)] == "dropin" and ("t7", "x") not in merged.origins
assert ("t7",) not in merged.tables
print("merged")
"""


def test_a_file_of_many_keys_merges_in_linear_time():
    import subprocess
    import sys

    # a bound 50 times what the merge takes on a loaded test machine; quadratic takes hours
    result = subprocess.run(
        [sys.executable, "-c", MANY_KEYS_MERGE], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (0, "merged\n"), result.stderr
