"""Fixtures for the check tests: root / non-root, a capable Intel host, a fake release API."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

KATA_DL = "https://github.com/kata-containers/kata-containers/releases/download"


def upstream_intel(fake_host: Any) -> Any:
    """Spec case 4's host: Intel flags, kvm/kvm_intel/vhost/vhost_net, a qemu config; plus
    what a Kata sandbox needs beyond upstream's check (#15): the configured assets and
    virtiofsd, and /dev/vhost-vsock (the vhost_vsock module itself is not listed)."""
    fake_host.cpuinfo(flags="fpu vmx lm sse4_1")
    fake_host.modules("kvm", "kvm_intel", "vhost", "vhost_net")
    fake_host.config()
    fake_host.assets()
    fake_host.vhost_vsock()
    return fake_host


def release(tag: str, date: str = "2026-01-01T00:00:00Z", prerelease: bool = False) -> dict:
    """One GitHub release object with a valid first asset."""
    return {
        "tag_name": tag,
        "prerelease": prerelease,
        "assets": [
            {
                "name": f"kata-static-{tag}-amd64.tar.zst",
                "browser_download_url": f"{KATA_DL}/{tag}/kata-static-{tag}-amd64.tar.zst",
                "created_at": date,
            }
        ],
    }


@dataclass
class ReleaseApi:
    """A stand-in for the GitHub releases API on 127.0.0.1."""

    pages: list[Any] = field(default_factory=list)  # one JSON body per page
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw_body: bytes | None = None
    delay: threading.Event | None = None  # when set, requests hang until it is set
    requests: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def release_api() -> Iterator[ReleaseApi]:
    api = ReleaseApi()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            api.requests.append(self.path)
            if api.delay is not None:
                api.delay.wait(10)
                return
            page = 1
            if "page=" in self.path:
                page = int(self.path.rsplit("page=", 1)[1])
            body = api.raw_body
            if body is None:
                data = api.pages[page - 1] if api.pages else []
                body = json.dumps(data).encode()
            self.send_response(api.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if page < len(api.pages):
                self.send_header("Link", f'<{api.url}?page={page + 1}>; rel="next"')
            for key, value in api.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    api.url = f"http://127.0.0.1:{server.server_address[1]}/releases"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield api
    finally:
        if api.delay is not None:
            api.delay.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def point_release_api(
    monkeypatch: pytest.MonkeyPatch, release_api: ReleaseApi
) -> Callable[[], ReleaseApi]:
    """Make the CLI ask the local API instead of GitHub (KATA_RELEASE_URL only allows GitHub)."""
    from kata_cli.checks import release as release_module

    def point() -> ReleaseApi:
        real = release_module.api_url

        def local(current: str, environ: dict[str, str]) -> str:
            real(current, environ)  # keep its validation and messages
            return release_api.url

        monkeypatch.setattr(release_module, "api_url", local)
        return release_api

    return point
