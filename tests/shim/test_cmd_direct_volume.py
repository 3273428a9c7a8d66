"""`kata-cli direct-volume` against fake shims of both dialects (spec 14, cases 14, 15, 19)."""

from __future__ import annotations

import json
import os

import pytest

from kata_cli.shim.volumes import VOLUMES_ROOT

GOOD = (
    '{"volume-type":"block","device":"/dev/sda","fstype":"ext4","options":["journal_dev","noload"]}'
)


@pytest.fixture
def dv(cli, fake_host):
    def run(*args):
        return cli("--host-root", str(fake_host.root), "direct-volume", *args)

    return run


def _volume(fake_host, sandbox="sb1", device="/dev/sda"):
    info = json.dumps({"volume-type": "block", "device": device, "fstype": "ext4"})
    fake_host.file(f"{VOLUMES_ROOT}/L2EvYi9j/mountInfo.json", info)
    if sandbox:
        fake_host.file(f"{VOLUMES_ROOT}/L2EvYi9j/{sandbox}", "")


def test_add_and_remove_case_14(dv, fake_host):
    result = dv("add", "--volume-path", "/a/b/c", "--mount-info", GOOD)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert fake_host.local(f"{VOLUMES_ROOT}/L2EvYi9j/mountInfo.json").read_text() == GOOD
    assert dv("remove", "--volume-path", "/a/b/c").exit_code == 0
    assert not fake_host.local(f"{VOLUMES_ROOT}/L2EvYi9j").exists()
    again = dv("remove", "--volume-path", "/a/b/c")
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")


def test_bad_mount_info_is_one_line_and_writes_nothing(dv, fake_host):
    result = dv("add", "--volume-path", "/a/b/c", "--mount-info", "not json")
    assert result.exit_code == 1
    assert result.stderr == "invalid character 'o' in literal null (expecting 'u')\n"
    assert not fake_host.local(f"{VOLUMES_ROOT}/L2EvYi9j").exists()


def test_empty_path_is_a_usage_error(dv, fake_host):
    _volume(fake_host)
    result = dv("remove", "--volume-path", "")
    assert result.exit_code == 2
    assert "must not be empty" in result.stderr
    assert fake_host.local(f"{VOLUMES_ROOT}/L2EvYi9j/mountInfo.json").exists()


@pytest.mark.parametrize("command", ["add", "remove", "stats", "resize"])
def test_a_left_out_volume_path_is_named_as_missing(dv, fake_host, command):
    """It used to default to '' and be refused as 'the volume path must not be empty'."""
    _volume(fake_host)
    extra = {"add": ["--mount-info", "{}"], "resize": ["--size", "1"]}.get(command, [])
    result = dv(command, *extra)
    assert result.exit_code == 2
    assert "Missing option '--volume-path'" in result.stderr
    assert "must not be empty" not in result.stderr
    assert fake_host.local(f"{VOLUMES_ROOT}/L2EvYi9j/mountInfo.json").exists()


def test_stats_go_dialect_case_15(dv, fake_host, shim):
    _volume(fake_host)
    server = shim("sb1", "go").reply("/direct-volume/stats", '{"usage":[{"total":10}]}')
    result = dv("stats", "--volume-path", "/a/b/c")
    assert (result.exit_code, result.stdout) == (0, '{"usage":[{"total":10}]}\n')
    assert [(r.method, r.target) for r in server.requests] == [
        ("GET", "/direct-volume/stats?path=%2Fdev%2Fsda")
    ]


def test_stats_escapes_plus_and_space(dv, fake_host, shim):
    _volume(fake_host, device="/dev/disk/by-id/a+b c")
    server = shim("sb1", "go")
    assert dv("stats", "--volume-path", "/a/b/c").exit_code == 0
    assert (
        server.requests[0].target == "/direct-volume/stats?path=%2Fdev%2Fdisk%2Fby-id%2Fa%2Bb%20c"
    )


def test_stats_rs_dialect_posts(dv, fake_host, shim):
    _volume(fake_host)
    server = shim("sb1", "rs").reply("/direct-volume/stats", "{}")
    result = dv("stats", "--volume-path", "/a/b/c")
    assert (result.exit_code, result.stdout) == (0, "{}\n"), result.stderr
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/direct-volume/stats")]
    # absolute form: the runtime-rs handler drops origin-form stats requests
    assert server.requests[0].target == "http://shim/direct-volume/stats?path=%2Fdev%2Fsda"


def test_stats_escapes_ampersand_so_the_value_is_not_cut(dv, fake_host, shim):
    from urllib.parse import parse_qs, urlsplit

    _volume(fake_host, device="/dev/disk/by-path/a&b=c")
    server = shim("sb1", "go")
    assert dv("stats", "--volume-path", "/a/b/c").exit_code == 0
    query = parse_qs(urlsplit(server.requests[0].target).query)
    assert query == {"path": ["/dev/disk/by-path/a&b=c"]}


def test_stats_error_status_is_reported(dv, fake_host, shim):
    _volume(fake_host)
    shim("sb1", "go").reply("/direct-volume/stats", "mount /dev/sda not found in sandbox", 500)
    result = dv("stats", "--volume-path", "/a/b/c")
    assert result.exit_code == 1
    assert result.stderr == (
        "error sending get: url: /direct-volume/stats, status code: 500, "
        "response data: mount /dev/sda not found in sandbox\n"
    )


def test_resize_go_dialect_case_15(dv, fake_host, shim):
    _volume(fake_host)
    server = shim("sb1", "go")
    result = dv("resize", "--volume-path", "/a/b/c", "--size", "123")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    request = server.requests[0]
    assert (request.method, request.target) == ("POST", "/direct-volume/resize")
    assert request.headers["content-type"] == "application/json"
    assert request.body == b'{"VolumePath":"/dev/sda","Size":123}'


def test_resize_rs_dialect_body(dv, fake_host, shim):
    _volume(fake_host)
    server = shim("sb1", "rs")
    assert dv("resize", "--volume-path", "/a/b/c", "--size", "7").exit_code == 0
    assert server.requests[0].body == b'{"volume_guest_path":"/dev/sda","size":7}'


def test_resize_failure_case_15(dv, fake_host, shim):
    _volume(fake_host)
    shim("sb1", "go").reply("/direct-volume/resize", "boom", 500)
    result = dv("resize", "--volume-path", "/a/b/c", "--size", "123")
    assert result.exit_code == 1
    assert result.stderr == (
        "error sending post: url: /direct-volume/resize, status code: 500, response data: boom\n"
    )


def test_no_sandbox_case_15(dv, fake_host):
    _volume(fake_host, sandbox=None)
    result = dv("stats", "--volume-path", "/a/b/c")
    assert (result.exit_code, result.stderr) == (1, "no sandbox found for /a/b/c\n")


def test_unknown_volume(dv):
    result = dv("resize", "--volume-path", "/nope", "--size", "1")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"open {VOLUMES_ROOT}/L25vcGU=: no such file or directory")


def test_group_without_subcommand_prints_help_case_19(dv):
    result = dv()
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    assert "resize" in result.stdout


def test_list_json_and_text(dv, fake_host):
    _volume(fake_host)
    fake_host.file(f"{VOLUMES_ROOT}/not-base64!/mountInfo.json", "{bad")
    data = dv("list", "--json").json()
    assert data["schema"] == "kata-cli/direct-volume-list/1"
    first, second = data["volumes"]
    assert first["volume_path"] == "/a/b/c"
    assert first["mount_info"]["device"] == "/dev/sda"
    assert first["sandboxes"] == ["sb1"]
    assert second["volume_path"] is None
    assert "not valid JSON" in second["error"]
    text = dv("list")
    assert text.exit_code == 0
    assert "/a/b/c" in text.stdout and "sb1" in text.stdout


@pytest.mark.parametrize(
    ("stored", "problem"),
    [
        ('{"volume-type": NaN, "device": "/dev/sda", "fstype": "ext4"}', "NaN is not"),
        ('{"volume-type": "b", "device": -Infinity, "fstype": "ext4"}', "-Infinity is not"),
        ('{"volume-type": "b", "device": "/dev/sda", "fstype": "e", "x": 1e999}', "1e999"),
        ('{"volume-type": "b", "device": "d", "fstype": "e", "x": ' + "9" * 5000 + "}", "5000"),
    ],
    ids=["nan", "minus-infinity", "1e999", "5000-digits"],
)
def test_list_json_stays_json_whatever_mount_info_holds(dv, fake_host, stored, problem):
    """Python's json takes NaN and Infinity (and 1e999 as infinity); `list --json` used to
    print them back, which is not JSON for any other reader, and a 5000-digit integer got
    an error telling the user to call sys.set_int_max_str_digits()."""
    fake_host.file(f"{VOLUMES_ROOT}/L2EvYi9j/mountInfo.json", stored)
    result = dv("list", "--json")
    assert result.exit_code == 0
    (volume,) = json.loads(result.stdout, parse_constant=pytest.fail)["volumes"]
    assert volume["mount_info"] is None
    assert volume["error"].startswith("mountInfo.json is not valid JSON: ")
    assert problem in volume["error"] and "set_int_max_str_digits" not in volume["error"]
    add = dv("add", "--volume-path", "/d/e", "--mount-info", stored)
    assert add.exit_code == 1 and add.stderr.count("\n") == 1
    assert "set_int_max_str_digits" not in add.stderr


def test_add_and_remove_confirm_on_a_terminal(dv, cli):
    cli.environment["stderr_isatty"] = True
    added = dv("add", "--volume-path", "/a/b/c", "--mount-info", GOOD)
    assert (added.stdout, added.stderr) == ("", "added direct volume /a/b/c\n")
    removed = dv("remove", "--volume-path", "/a/b/c")
    assert removed.stderr == "removed direct volume /a/b/c\n"


def test_stats_percent_survives_the_go_shims_double_unescape(dv, fake_host, shim):
    from urllib.parse import parse_qs, unquote, urlsplit

    _volume(fake_host, device="/dev/x%41+y")
    server = shim("sb1", "go")
    assert dv("stats", "--volume-path", "/a/b/c").exit_code == 0
    query = parse_qs(urlsplit(server.requests[0].target).query)["path"][0]
    assert unquote(query) == "/dev/x%41+y"  # what the Go shim ends up with


# -- #13 item 4: writes and removes never go through a symlink (`dv` and `hostile_host`
# share the same fixture root: both build it at tmp_path/host)
@pytest.mark.parametrize("path", ["/", "//", "/.", "/./", "///", " / ", "/..", "/a/.."])
def test_the_root_is_refused_in_every_spelling(dv, fake_host, path):
    result = dv("add", "--volume-path", path, "--mount-info", GOOD)
    assert result.exit_code == 2, result.stderr
    assert "must not be /" in result.stderr
    assert not fake_host.local(VOLUMES_ROOT).exists()


@pytest.mark.parametrize(
    "link", ["/run", "/run/kata-containers", "/run/kata-containers/shared", VOLUMES_ROOT]
)
@pytest.mark.parametrize("kind", ["absolute", "relative", "dotdot-chain"])
def test_add_refuses_a_symlink_anywhere_and_names_it(dv, hostile_host, link, kind):
    target = hostile_host.escaping_links(link, "")[kind]
    hostile_host.link(link, target)
    before = sorted(p.name for p in hostile_host.outside.rglob("*"))
    result = dv("add", "--volume-path", "/a/b/c", "--mount-info", GOOD)
    assert result.exit_code == 1
    assert f"{link} is a symbolic link" in result.stderr
    assert result.stderr.count("\n") == 1
    assert sorted(p.name for p in hostile_host.outside.rglob("*")) == before


def test_add_refuses_a_symlinked_volume_directory(dv, hostile_host):
    hostile_host.link(f"{VOLUMES_ROOT}/L2EvYi9j", str(hostile_host.outside))
    result = dv("add", "--volume-path", "/a/b/c", "--mount-info", GOOD)
    assert result.exit_code == 1 and "symbolic link" in result.stderr
    assert not (hostile_host.outside / "mountInfo.json").exists()


def test_add_refuses_a_symlinked_mount_info(dv, hostile_host):
    secret = hostile_host.outside / "secret"
    hostile_host.link(f"{VOLUMES_ROOT}/L2EvYi9j/mountInfo.json", str(secret))
    result = dv("add", "--volume-path", "/a/b/c", "--mount-info", GOOD)
    assert result.exit_code == 1 and "mountInfo.json is a symbolic link" in result.stderr
    assert secret.read_text().startswith("OUTSIDE-SECRET")


def test_remove_never_follows_links_in_or_above_the_volume(dv, hostile_host):
    fake = hostile_host.fake
    fake.file(f"{VOLUMES_ROOT}/L2EvYi9j/mountInfo.json", GOOD)
    hostile_host.link(f"{VOLUMES_ROOT}/L2EvYi9j/sb1", str(hostile_host.outside / "secret"))
    hostile_host.link(f"{VOLUMES_ROOT}/L2EvYi9j/dir", str(hostile_host.outside))
    result = dv("remove", "--volume-path", "/a/b/c")
    assert result.exit_code == 0, result.stderr
    assert not fake.local(f"{VOLUMES_ROOT}/L2EvYi9j").exists()
    assert (hostile_host.outside / "secret").exists() and (hostile_host.outside / "etc").exists()
    # a link above the volume: refused, nothing removed outside
    (hostile_host.outside / "vols/L2EvYi9j").mkdir(parents=True)
    fake.remove(VOLUMES_ROOT)
    hostile_host.link(VOLUMES_ROOT, str(hostile_host.outside / "vols"))
    fake.file(f"{hostile_host.outside}/vols/L2EvYi9j/mountInfo.json", GOOD)  # inside H
    result = dv("remove", "--volume-path", "/a/b/c")
    assert result.exit_code == 1 and f"{VOLUMES_ROOT} is a symbolic link" in result.stderr
    assert (hostile_host.outside / "vols/L2EvYi9j").is_dir()


def test_twenty_concurrent_removes_all_succeed(fake_host):
    import subprocess
    import sys

    from tests.conftest import PINNED_ENV, REPO

    _volume(fake_host)
    for index in range(30):
        fake_host.file(f"{VOLUMES_ROOT}/L2EvYi9j/d{index}/f", "x")
    argv = [sys.executable, "-m", "kata_cli", "--host-root", str(fake_host.root)]
    argv += ["direct-volume", "remove", "--volume-path", "/a/b/c"]
    env = {k: v for k, v in os.environ.items() if k not in PINNED_ENV}
    env["PYTHONPATH"] = str(REPO)
    procs = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(20)
    ]
    outcomes = [(proc.wait(timeout=120), proc.stderr.read()) for proc in procs]
    for proc in procs:
        proc.stdout.close()
        proc.stderr.close()
    assert outcomes == [(0, b"")] * 20
    assert not fake_host.local(f"{VOLUMES_ROOT}/L2EvYi9j").exists()


def test_a_stray_temporary_file_does_not_break_stats(dv, fake_host, shim):
    _volume(fake_host)
    fake_host.file(f"{VOLUMES_ROOT}/L2EvYi9j/.mountInfo.json.3f2a9c.tmp", "{")
    fake_host.file(f"{VOLUMES_ROOT}/L2EvYi9j/.aaa", "")
    shim("sb1", "go").reply("/direct-volume/stats", '{"usage":[]}')
    result = dv("stats", "--volume-path", "/a/b/c")
    assert (result.exit_code, result.stdout) == (0, '{"usage":[]}\n'), result.stderr
    assert dv("list", "--json").json()["volumes"][0]["sandboxes"] == ["sb1"]


def test_list_escapes_control_characters_on_a_terminal(dv, cli, fake_host):
    import base64

    cli.environment["stdout_isatty"] = True
    name = base64.urlsafe_b64encode(b"/v\x1b[31m[red]x\x07").decode()
    fake_host.file(
        f"{VOLUMES_ROOT}/{name}/mountInfo.json",
        json.dumps({"volume-type": "blk\x1b]0;t\x07", "device": "/dev/\x9bx", "fstype": "e"}),
    )
    fake_host.file(f"{VOLUMES_ROOT}/{name}/sb\x01x", "")
    result = dv("list")
    assert result.exit_code == 0
    for control in ("\x1b", "\x07", "\x9b", "\x01"):
        assert control not in result.stdout
    assert "\\x1b[31m[red]x" in result.stdout and "sb\\x01x" in result.stdout


def test_confirmations_escape_control_characters(dv, cli):
    cli.environment["stderr_isatty"] = True
    added = dv("add", "--volume-path", "/v\x1b]0;x\x07", "--mount-info", GOOD)
    assert added.exit_code == 0
    assert added.stderr == "added direct volume /v\\x1b]0;x\\x07\n"
    removed = dv("remove", "--volume-path", "/v\x1b]0;x\x07")
    assert removed.stderr == "removed direct volume /v\\x1b]0;x\\x07\n"


def test_plain_list_has_no_trailing_whitespace(dv, fake_host):
    _volume(fake_host)
    fake_host.file(f"{VOLUMES_ROOT}/L2QvZQ==/mountInfo.json", json.dumps({"device": "/dev/sdb"}))
    for sandbox in ("a-much-longer-sandbox-id", "sb2"):
        fake_host.file(f"{VOLUMES_ROOT}/L2QvZQ==/{sandbox}", "")
    text = dv("list")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert [line for line in lines if line != line.rstrip()] == []
    assert lines[0].split() == ["VOLUME", "PATH", "TYPE", "DEVICE", "FSTYPE", "SANDBOXES"]
    assert lines[1].endswith(" sb1") and lines[2].endswith(" a-much-longer-sandbox-id, sb2")
    assert text.stdout.endswith("sb2\n")
