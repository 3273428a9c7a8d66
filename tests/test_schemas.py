"""The JSON Schemas in docs/schemas/ describe what the commands really print.

Each schema is a valid Draft 2020-12 schema; every `kata-cli/<document>/<version>` name
in the code has one; and real outputs of the commands on fixture hosts validate (the
real-VM tests validate `vm run`, `vm inspect`, `vm list` and `vm stop` the same way).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import MINIMAL_QEMU_CONFIG
from tests.jsonschemas import SCHEMAS, load, schema_file, validate

PACKAGE = Path(__file__).resolve().parent.parent / "kata_cli"
NAME = re.compile(r"""["'](kata-cli/[a-z][a-z0-9-]*/[0-9]+)["']""")


def schema_names_in_code() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        names.update(NAME.findall(path.read_text()))
    return names


def test_every_schema_file_is_a_valid_schema():
    files = sorted(SCHEMAS.glob("*.schema.json"))
    assert files
    for path in files:
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema.get("title") and schema.get("description"), path.name


def test_every_document_name_in_the_code_has_a_schema():
    names = schema_names_in_code()
    assert "kata-cli/check/1" in names
    missing = sorted(n for n in names if not schema_file(n).exists())
    assert missing == [], "write docs/schemas/<document>-<version>.schema.json for: " + ", ".join(
        missing
    )


def test_every_schema_is_named_in_the_code():
    names = {f"{p.name.split('.')[0]}" for p in SCHEMAS.glob("*.schema.json")}
    in_code = {n.split("/", 1)[1].replace("/", "-") for n in schema_names_in_code()}
    assert names - in_code == set()


def test_a_wrong_document_does_not_validate():
    with pytest.raises(jsonschema.ValidationError):
        validate({"schema": "kata-cli/check/1", "capable": "yes", "checks": []})
    with pytest.raises(jsonschema.ValidationError):
        validate({"schema": "kata-cli/config-lint/1", "units": [], "findings": []})


@pytest.fixture
def host(fake_host):
    fake_host.intel()
    fake_host.assets(MINIMAL_QEMU_CONFIG)
    return fake_host


def _json(cli, host, *args):
    result = cli("--host-root", str(host.root), *args)
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "args",
    [
        ("check", "-n", "--json"),
        ("check", "--list", "--json"),
        ("config", "lint", "--format", "json"),
        ("config", "lint", "--list-rules", "--format", "json"),
        ("config", "show", "--format", "json"),
        ("collect-data", "--json", "--timeout", "5"),
        ("vm", "plan", "--json"),
        ("direct-volume", "list", "--json"),
        ("sandbox", "list", "--json"),
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_real_outputs_fit_their_schemas(cli, host, args, tmp_path, monkeypatch):
    monkeypatch.setenv("KATA_CLI_RUN_DIR", str(tmp_path / "run"))
    validate(_json(cli, host, *args))


def test_a_failing_check_fits_the_schema(cli, fake_host):
    fake_host.no_kvm()
    validate(_json(cli, fake_host, "check", "-n", "--json"))


def test_vm_list_with_nothing_running_fits(cli, host, tmp_path, monkeypatch):
    monkeypatch.setenv("KATA_CLI_RUN_DIR", str(tmp_path / "run"))
    validate(_json(cli, host, "vm", "list", "--json"))
    assert _json(cli, host, "vm", "prune", "--json") == []
    validate([], "kata-cli/vm-stop/1")


def test_lists_with_entries_fit(cli, host):
    result = cli(
        "--host-root",
        str(host.root),
        "direct-volume",
        "add",
        "--volume-path",
        "/k8s/vol",
        "--mount-info",
        '{"volume-type": "block", "device": "/dev/sdb", "fstype": "ext4"}',
    )
    assert result.exit_code == 0, result.stderr
    data = _json(cli, host, "direct-volume", "list", "--json")
    assert data["volumes"]
    validate(data)
    host.unix_socket("/run/vc/sbs/abc123/shim-monitor.sock")
    data = _json(cli, host, "sandbox", "list", "--json")
    assert data["sandboxes"]
    validate(data)


def test_schema_names_map_to_files():
    assert schema_file("kata-cli/vm-plan/1").name == "vm-plan-1.schema.json"
    assert load("kata-cli/vm-plan/1")["properties"]["schema"] == {"const": "kata-cli/vm-plan/1"}
