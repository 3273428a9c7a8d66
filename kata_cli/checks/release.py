"""The release check (spec 4.4): is a newer Kata Containers release available?

Opt-in (`--check-release`, `--check-version-only`, `--only-list-releases`): a host check
makes no network request unless asked. requests is imported only here, only when used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import ADVISORY, CheckResult, CheckSpec
from kata_cli.errors import KataError
from kata_cli.record import record

if TYPE_CHECKING:  # semver is imported when a release is compared, not for the registry
    from kata_cli.checks.semver import Version

CATEGORY = "release"
KATA_VERSION = "4.1.0"  # the Kata Containers release this kata-cli tracks
OLD_API = "https://api.github.com/repos/kata-containers/runtime/releases"
API = "https://api.github.com/repos/kata-containers/kata-containers/releases"
DOWNLOAD_PREFIXES = (
    "https://github.com/kata-containers/kata-containers/releases/download",
    "https://github.com/kata-containers/runtime/releases/download",
)
TIMEOUT = (3.05, 10.0)  # connect, read (seconds)
TOTAL_TIME = 30.0  # a server that drips bytes resets the read timeout; this does not reset
MAX_BODY = 16 * 1024 * 1024  # bytes per page
MAX_PAGES = 20
RATE_LIMIT_DOCS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"

RELEASE = CheckSpec(
    "release.newer",
    CATEGORY,
    "no newer Kata Containers release is available (--check-release)",
    required=False,
    remedy="see the release notes and upgrade when convenient",
    level=ADVISORY,
)


class ReleaseError(KataError):
    """The release API could not be asked or answered nonsense."""


@record(frozen=True)
class Release:
    version: Version
    url: str
    date: str

    def list_line(self) -> str:
        return f"{self.version};{self.date};{self.url}"


def api_url(current: str, environ: dict[str, str]) -> str:
    """The releases API for a current version; KATA_RELEASE_URL may pick one of the two."""
    version = current_version(current)
    if version.major == 0:
        raise ReleaseError(f"invalid current version: {current}")
    url = OLD_API if version.major == 1 else API
    override = environ.get("KATA_RELEASE_URL", "")
    if override:
        if override not in (OLD_API, API):
            raise ReleaseError(f'Release URL "{override}" is not valid')
        url = override
    return url


def current_version(current: str) -> Version:
    from kata_cli.checks.semver import Version

    try:
        return Version.parse(current)
    except ValueError as exc:
        raise ReleaseError(
            f"BUG: Current version of kata-cli ({current}) has invalid SemVer version: {exc}"
        ) from None


def fetch(url: str, timeout: tuple[float, float] = TIMEOUT, total: float = TOTAL_TIME) -> list[Any]:
    """Every release object, following `Link: rel="next"` pagination, within `total` s."""
    import json
    import time

    import requests

    end = time.monotonic() + total
    items: list[Any] = []
    next_url: str | None = url
    pages = 0
    session = requests.Session()
    session.headers.update({"Accept": "application/vnd.github+json", "User-Agent": "kata-cli"})
    while next_url and pages < MAX_PAGES:
        pages += 1
        try:
            response = session.get(next_url, timeout=timeout, stream=True)
            body = _read_body(response, end, total)
        except requests.Timeout:
            raise ReleaseError(
                f"release API {next_url} did not answer within {timeout[1]:g}s",
                "retry later, or pass -n to skip network checks",
            ) from None
        except requests.RequestException as exc:
            raise ReleaseError(
                f"cannot reach the release API {next_url}: {_reason(exc)}",
                "check network access, or pass -n to skip network checks",
            ) from None
        if response.status_code in (403, 429) and _rate_limited(response, body):
            raise ReleaseError(
                "GitHub API rate limit exceeded for this address",
                f"try again later; see {RATE_LIMIT_DOCS}",
            )
        try:
            page = json.loads(body)
        except ValueError as exc:
            raise ReleaseError(f"failed to unpack release details: {exc}") from None
        if not isinstance(page, list):
            raise ReleaseError(
                f"failed to unpack release details: expected a JSON array, got "
                f"{type(page).__name__} (HTTP {response.status_code})"
            )
        items += page
        next_url = response.links.get("next", {}).get("url")
    return items


def _read_body(response: Any, end: float, total: float) -> bytes:
    """The body, bounded in size and in total time (not only between two reads)."""
    import time

    chunks: list[bytes] = []
    size = 0
    raw = response.raw
    # read1 returns what one read gives (urllib3 2); read(n) would wait for n dripped bytes
    read1 = getattr(raw, "read1", None)
    try:
        while True:
            if read1 is not None:
                chunk = read1(64 * 1024, decode_content=True)
            else:  # pragma: no cover - urllib3 1.x
                chunk = raw.read(1024, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_BODY:
                raise ReleaseError(
                    f"failed to unpack release details: more than {MAX_BODY} bytes in one page"
                )
            if time.monotonic() > end:
                raise ReleaseError(
                    f"release API {response.url} took longer than {total:g}s in total",
                    "retry later, or pass -n to skip network checks",
                )
            chunks.append(chunk)
    finally:
        response.close()
    return b"".join(chunks)


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 200 else text[:200] + "..."


def _rate_limited(response: Any, body: bytes) -> bool:
    if response.headers.get("X-RateLimit-Remaining") == "0":
        return True
    return b"limit exceeded" in body.lower()


def parse_releases(items: list[Any], include_all: bool = False) -> list[Release]:
    """Valid releases (first asset with a Kata download URL), ascending; pre-releases dropped."""
    found: dict[Version, Release] = {}
    for item in items:
        release = _parse_one(item)
        if release is None or (release.version.prerelease and not include_all):
            continue
        found.setdefault(release.version, release)
    return sorted(found.values(), key=lambda r: r.version)


def _parse_one(item: Any) -> Release | None:
    if not isinstance(item, dict):
        return None
    tag = item.get("tag_name")
    assets = item.get("assets")
    if not isinstance(tag, str) or not tag or not isinstance(assets, list) or not assets:
        return None
    from kata_cli.checks.semver import Version

    try:
        version = Version.parse(tag)
    except ValueError:
        return None
    asset = assets[0]
    if not isinstance(asset, dict):
        return None
    url, name, date = asset.get("browser_download_url"), asset.get("name"), asset.get("created_at")
    if not (isinstance(url, str) and url.startswith(DOWNLOAD_PREFIXES)):
        return None
    if not (isinstance(name, str) and name and isinstance(date, str) and date):
        return None
    return Release(version, url, date)


def release_type(current: Version, latest: Version) -> str:
    """Upstream's wording, including its quirk (x.y.z-rc -> x.y.z is "major")."""
    pre = " pre-release" if latest.prerelease else ""
    if latest.major > current.major:
        return "major" + pre
    if latest.minor > current.minor:
        return "minor" + pre
    if latest.patch > current.patch:
        return "patch" + pre
    if latest.prerelease:
        return "pre-release"
    return "major"


def newer_message(current: Version, releases: list[Release]) -> tuple[str, Release | None]:
    if not releases:
        return "No releases available", None
    newer = [r for r in releases if r.version > current]
    if not newer:
        return "No newer release available", None
    latest = newer[-1]
    kind = release_type(current, latest.version)
    return (
        f"Newer {kind} release available: {latest.version} (url: {latest.url}, date: {latest.date})",
        latest,
    )


def release_checks(ctx: CheckContext) -> Iterator[CheckResult]:
    """`check --check-release`: never decides the host verdict (a network problem is not
    a host problem). Honoured as root too: asking is the user's explicit choice."""
    if not ctx.options.check_release:
        return
    try:
        url = api_url(KATA_VERSION, dict(ctx.options.environ))
        releases = parse_releases(fetch(url), ctx.options.include_all_releases)
    except KataError as exc:
        yield RELEASE.warned(f"cannot check for releases: {exc.one_line()}")
        return
    message, latest = newer_message(current_version(KATA_VERSION), releases)
    if latest is None:
        yield RELEASE.passed(message)
    else:
        yield RELEASE.warned(message, f"upgrade to {latest.version}: {latest.url}")


def release_lines(environ: dict[str, str], list_mode: bool, include_all: bool) -> list[str]:
    """`--only-list-releases` (`version;date;url` lines) or `--check-version-only` (one
    sentence): the release step alone (spec 4.2 step 3). Raises ReleaseError."""
    url = api_url(KATA_VERSION, environ)
    releases = parse_releases(fetch(url), include_all)
    if list_mode:
        return [item.list_line() for item in releases]
    message, _ = newer_message(current_version(KATA_VERSION), releases)
    return [message]
