"""Release check (spec 4.4, spec 14 case 10) against a fake release API on 127.0.0.1."""

from __future__ import annotations

import threading
import time

import pytest

from kata_cli.checks import release
from kata_cli.checks.release import ReleaseError, newer_message, release_type
from kata_cli.checks.semver import Version
from tests.checks.conftest import KATA_DL
from tests.checks.conftest import release as rel

CASE10 = [rel("4.0.0", "2026-01-01T00:00:00Z"), rel("4.2.0-rc1"), rel("4.2.0", "2026-03-01Z")]


# -- SemVer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lower,higher",
    [
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-alpha.beta", "1.0.0-beta"),
        ("1.0.0-beta.2", "1.0.0-beta.11"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.0.0", "1.0.1"),
        ("1.9.0", "1.10.0"),
        ("4.2.0-rc1", "4.2.0"),
        ("1.0.0-rc.9", "1.0.0-rc." + "9" * 5000),  # a release feed's absurd number (int() refuses)
    ],
)
def test_semver_precedence(lower, higher):
    assert Version.parse(lower) < Version.parse(higher)
    assert not Version.parse(higher) < Version.parse(lower)


def test_semver_build_metadata_ignored_and_strictness():
    assert Version.parse("1.0.0+a") == Version.parse("1.0.0+b")
    for bad in ("v1.0.0", "1.0", "01.0.0", "1.0.0-01", "1.0.0-", "4.1"):
        with pytest.raises(ValueError):
            Version.parse(bad)


@pytest.mark.parametrize(
    "current,latest,kind",
    [
        ("1.0.0", "2.0.0-alpha3", "major pre-release"),
        ("1.0.0", "1.1.2-pre2", "minor pre-release"),
        ("1.0.0", "1.0.3", "patch"),
        ("2.0.0-alpha3", "2.0.0-alpha4", "pre-release"),
        ("1.12.0-rc4", "1.12.0", "major"),
        ("4.1.0", "4.2.0", "minor"),
    ],
)
def test_release_type_wording(current, latest, kind):
    assert release_type(Version.parse(current), Version.parse(latest)) == kind


def test_urls_and_env_override():
    assert release.api_url("4.1.0", {}) == release.API
    assert release.api_url("1.5.0", {}) == release.OLD_API
    assert release.api_url("4.1.0", {"KATA_RELEASE_URL": release.OLD_API}) == release.OLD_API
    with pytest.raises(ReleaseError, match=r'^Release URL "https://example.com" is not valid$'):
        release.api_url("4.1.0", {"KATA_RELEASE_URL": "https://example.com"})
    with pytest.raises(ReleaseError, match=r"invalid current version: 0\.1\.0"):
        release.api_url("0.1.0", {})


def test_invalid_releases_are_skipped():
    items = [
        rel("4.2.0"),
        {"tag_name": "v4.3.0", "assets": rel("4.3.0")["assets"]},
        {"tag_name": "4.4.0", "assets": []},
        {"tag_name": "4.5.0", "assets": [{"browser_download_url": "https://evil/x", "name": "x"}]},
        "not an object",
    ]
    assert [str(r.version) for r in release.parse_releases(items)] == ["4.2.0"]


# -- against the fake API -----------------------------------------------------------------


def test_fetch_follows_pagination(release_api):
    release_api.pages = [[rel("4.0.0")], [rel("4.2.0")], [rel("3.0.0")]]
    items = release.fetch(release_api.url)
    assert [i["tag_name"] for i in items] == ["4.0.0", "4.2.0", "3.0.0"]
    assert len(release_api.requests) == 3


def test_fetch_times_out(release_api):
    release_api.delay = threading.Event()
    start = time.monotonic()
    with pytest.raises(ReleaseError, match="did not answer within"):
        release.fetch(release_api.url, timeout=(1.0, 0.3))
    assert time.monotonic() - start < 5


def test_rate_limit_is_a_clear_message(release_api):
    release_api.status = 403
    release_api.headers = {"X-RateLimit-Remaining": "0"}
    release_api.raw_body = b'{"message": "API rate limit exceeded for 1.2.3.4."}'
    with pytest.raises(ReleaseError, match="rate limit exceeded") as info:
        release.fetch(release_api.url)
    assert "try again later" in info.value.one_line()


def test_non_array_body(release_api):
    release_api.status = 404
    release_api.raw_body = b'{"message": "Not Found"}'
    with pytest.raises(ReleaseError, match="failed to unpack release details"):
        release.fetch(release_api.url)


def test_unreachable_api():
    with pytest.raises(ReleaseError, match="cannot reach the release API"):
        release.fetch("http://127.0.0.1:9/releases", timeout=(1.0, 1.0))


def test_messages():
    current = Version.parse("4.1.0")
    assert newer_message(current, [])[0] == "No releases available"
    older = release.parse_releases([rel("4.0.0"), rel("4.1.0")])
    assert newer_message(current, older)[0] == "No newer release available"


# -- the CLI ------------------------------------------------------------------------------


def run_check(cli, *args, env=None):
    return cli("check", *args, env=env)


def test_case10_check_version_only(cli, as_user, point_release_api):
    api = point_release_api()
    api.pages = [CASE10]
    result = run_check(cli, "--check-version-only")
    assert result.exit_code == 0, result.stderr
    url = f"{KATA_DL}/4.2.0/kata-static-4.2.0-amd64.tar.zst"
    assert result.stdout == (
        f"Newer minor release available: 4.2.0 (url: {url}, date: 2026-03-01Z)\n"
    )


def test_case10_only_list_releases(cli, as_user, point_release_api):
    api = point_release_api()
    api.pages = [CASE10]
    lines = run_check(cli, "--only-list-releases").stdout.splitlines()
    assert [line.split(";")[0] for line in lines] == ["4.0.0", "4.2.0"]
    assert lines[0] == (
        f"4.0.0;2026-01-01T00:00:00Z;{KATA_DL}/4.0.0/kata-static-4.0.0-amd64.tar.zst"
    )
    lines = run_check(cli, "--only-list-releases", "--include-all-releases").stdout.splitlines()
    assert [line.split(";")[0] for line in lines] == ["4.0.0", "4.2.0-rc1", "4.2.0"]


def test_case10_empty_and_older(cli, as_user, point_release_api):
    api = point_release_api()
    api.pages = [[]]
    assert run_check(cli, "--check-version-only").stdout == "No releases available\n"
    api.pages = [[rel("3.0.0"), rel("4.0.0")]]
    assert run_check(cli, "--check-version-only").stdout == "No newer release available\n"


def test_case10_bad_release_url(cli, as_user):
    result = run_check(cli, "--check-version-only", env={"KATA_RELEASE_URL": "https://example.com"})
    assert result.exit_code == 1
    assert result.stderr == 'Release URL "https://example.com" is not valid\n'


def test_network_failure_fails_version_only(cli, as_user, point_release_api):
    api = point_release_api()
    api.status = 500
    api.raw_body = b"oops"
    result = run_check(cli, "--check-version-only")
    assert result.exit_code == 1
    assert "failed to unpack release details" in result.stderr


def test_no_network_wins(cli, as_user, point_release_api):
    api = point_release_api()
    result = run_check(cli, "--check-version-only", "-n")
    assert (result.exit_code, result.stdout) == (0, "")
    result = run_check(cli, "--only-list-releases", env={"KATA_CHECK_NO_NETWORK": "yes"})
    assert (result.exit_code, result.stdout) == (0, "")
    assert api.requests == []


def test_an_explicit_release_request_is_honoured_as_root(cli, as_root, point_release_api):
    api = point_release_api()
    api.pages = [CASE10]
    result = run_check(cli, "--check-version-only")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Newer minor release available: 4.2.0")
    assert "super user" not in result.stderr
    assert len(api.requests) == 1
    listed = run_check(cli, "--only-list-releases")
    assert [line.split(";")[0] for line in listed.stdout.splitlines()] == ["4.0.0", "4.2.0"]


def test_check_release_as_root_asks_and_plain_check_as_root_does_not(
    cli, fake_host, as_root, point_release_api
):
    from tests.checks.conftest import upstream_intel

    api = point_release_api()
    api.pages = [CASE10]
    upstream_intel(fake_host)
    plain = cli("--host-root", str(fake_host.root), "check", "--json")
    assert api.requests == []
    assert "super user" not in plain.stderr  # no network request, nothing to warn about
    asked = cli("--host-root", str(fake_host.root), "check", "--json", "--check-release")
    assert len(api.requests) == 1
    release = {c["id"]: c for c in asked.json()["checks"]}["release.newer"]
    assert release["detail"].startswith("Newer minor release available: 4.2.0")
    assert release["level"] == "advisory"


def test_plain_check_makes_no_request(cli, fake_host, as_user, point_release_api):
    from tests.checks.conftest import upstream_intel

    api = point_release_api()
    upstream_intel(fake_host)
    result = cli("--host-root", str(fake_host.root), "check")
    assert result.exit_code == 0
    assert api.requests == []


def test_check_release_never_decides_the_verdict(cli, fake_host, as_user, point_release_api):
    from tests.checks.conftest import upstream_intel

    api = point_release_api()
    upstream_intel(fake_host)
    api.pages = [CASE10]
    result = cli("--host-root", str(fake_host.root), "check", "--check-release")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        result.stdout.splitlines()[0],
        "System is capable of running Kata Containers",
    ]
    assert result.stdout.startswith("Newer minor release available: 4.2.0")
    api.status = 500
    api.raw_body = b"down"
    result = cli("--host-root", str(fake_host.root), "check", "--check-release")
    assert "WARNING: release.newer: cannot check for releases" in result.stderr
    assert result.exit_code == 0
    assert result.stdout == "System is capable of running Kata Containers\n"


@pytest.fixture
def dripping_api():
    """An API that answers at once, then sends its body one byte at a time, forever."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                self.wfile.write(b"[")
                while not stop.wait(0.02):
                    self.wfile.write(b" ")
                    self.wfile.flush()
            except OSError:
                pass  # the client gave up, as it should

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/releases"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def test_a_dripping_server_cannot_hold_the_check(dripping_api):
    """The read timeout restarts with every byte; the total bound does not."""
    import time

    start = time.monotonic()
    with pytest.raises(release.ReleaseError, match=r"took longer than 0\.5s in total"):
        release.fetch(dripping_api, timeout=(1.0, 1.0), total=0.5)
    assert time.monotonic() - start < 3


def test_an_oversized_page_is_refused(release_api, monkeypatch):
    monkeypatch.setattr(release, "MAX_BODY", 1000)
    release_api.raw_body = b"[" + b" " * 5000 + b"]"
    with pytest.raises(release.ReleaseError, match="more than 1000 bytes"):
        release.fetch(release_api.url)


def test_a_gzip_encoded_page_is_decoded(release_api):
    import gzip
    import json

    release_api.raw_body = gzip.compress(json.dumps([rel("4.2.0")]).encode())
    release_api.headers = {"Content-Encoding": "gzip"}
    items = release.fetch(release_api.url)
    assert [r.version for r in release.parse_releases(items)] == [Version.parse("4.2.0")]
