"""The shim management client: one HTTP request per call, dialect-aware (Go / runtime-rs)."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import quote

from kata_cli.errors import ShimError, excerpt
from kata_cli.host import Host
from kata_cli.shim.http import HttpError, HttpResponse, unix_http_request
from kata_cli.shim.sandboxes import SandboxRef, missing_socket_error

DEFAULT_TIMEOUT = 3.0
_KIND_NAMES = {"file": "regular file", "dir": "directory", "char": "character device"}
log = logging.getLogger(__name__)


class ShimUnreachable(ShimError):
    """The shim socket is missing, refuses connections, or does not answer in time."""


class ShimClient:
    """Talks to one sandbox's `shim-monitor.sock`."""

    def __init__(self, host: Host, ref: SandboxRef, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.host = host
        self.ref = ref
        self.timeout = timeout

    @property
    def dialect(self) -> str:
        """ "go" (net/http mux, GET stats) or "rs" (method-specific routes, POST stats)."""
        return self.ref.flavour

    # -- transport ---------------------------------------------------------------------
    def request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> HttpResponse:
        kind = self.host.kind(self.ref.socket_path)
        if kind == "missing" and not self.host.lexists(self.ref.socket_path):
            raise ShimUnreachable(str(missing_socket_error(self.ref.id)))
        if kind not in ("socket", "missing", "other"):
            raise ShimUnreachable(
                f"{self.ref.socket_path} is not a socket (it is a {_KIND_NAMES.get(kind, kind)})",
                hint="the shim of this sandbox is not running",
            )
        start = time.monotonic()
        try:
            response = unix_http_request(
                self.ref.socket_path,
                method,
                target,
                body=body,
                content_type=content_type,
                timeout=self.timeout,
                host=self.host,
            )
        except HttpError as exc:
            log.info("shim %s: %s %s failed: %s", self.ref.id, method, target, exc.detail)
            raise self._transport_error(exc) from None
        log.info(
            "shim %s (%s): %s %s -> %d in %.0f ms",
            self.ref.id,
            self.dialect,
            method,
            target,
            response.status,
            (time.monotonic() - start) * 1000,
        )
        return response

    def _transport_error(self, exc: HttpError) -> ShimUnreachable:
        where = f"shim of sandbox {self.ref.id} ({self.ref.socket_path})"
        if exc.kind == "missing":
            return ShimUnreachable(str(missing_socket_error(self.ref.id)))
        if exc.kind == "refused":
            return ShimUnreachable(
                f"cannot connect to the {where}: {exc.detail}",
                hint="the shim is not running; the sandbox may have been stopped",
            )
        if exc.kind == "denied":
            return ShimUnreachable(
                f"cannot connect to the {where}: permission denied",
                hint="the shim socket is only accessible to root; try again with sudo",
            )
        if exc.kind == "timeout":
            return ShimUnreachable(f"the {where} did not answer in time: {exc.detail}")
        return ShimUnreachable(f"the {where} failed: {exc.detail}")

    @staticmethod
    def checked(response: HttpResponse, method: str, path: str) -> HttpResponse:
        """Raise upstream's message for a non-200 reply (status and body)."""
        if response.status != 200:
            raise ShimError(
                f"error sending {method.lower()}: url: {path}, status code: {response.status}, "
                f"response data: {excerpt(response.text.strip())}"
            )
        return response

    # -- endpoints ---------------------------------------------------------------------
    def agent_url(self) -> str:
        response = self.request("GET", "/agent-url")
        if response.status != 200:
            raise ShimError(f"Failure from {self.ref.id} shim-monitor: {response.status}")
        url = response.text
        if url.endswith("\n"):
            url = url[:-1]
        if not url.strip():
            raise ShimError("server url is empty.")
        return url

    def metrics(self) -> str:
        return self.checked(self.request("GET", "/metrics"), "GET", "/metrics").text

    def iptables_get(self, v6: bool = False) -> str:
        path = "/ip6tables" if v6 else "/iptables"
        return self.checked(self.request("GET", path), "GET", path).text

    def iptables_set(self, data: bytes, v6: bool = False) -> None:
        path = "/ip6tables" if v6 else "/iptables"
        self.checked(self.request("PUT", path, data, "application/octet-stream"), "PUT", path)

    def policy_set(self, data: bytes) -> None:
        self.checked(
            self.request("PUT", "/policy", data, "application/octet-stream"), "PUT", "/policy"
        )

    def volume_stats(self, device: str) -> str:
        # Go's url.PathEscape set, except `+` (the shims' query parsers turn it into a space)
        # and `&` (it would end the value). The Go shim unescapes the value a second time,
        # so a literal `%` is escaped twice.
        value = device.replace("%", "%25") if self.dialect == "go" else device
        target = "/direct-volume/stats?path=" + quote(value, safe="$:=@")
        method = "GET"
        if self.dialect == "rs":
            # runtime-rs parses the request target as an absolute URL, which fails for the
            # usual origin form and drops the connection; the absolute form works.
            method, target = "POST", "http://shim" + target
        return self.checked(self.request(method, target), method, "/direct-volume/stats").text

    def volume_resize(self, device: str, size: int) -> None:
        if self.dialect == "go":
            payload = {"VolumePath": device, "Size": size}
        else:
            payload = {"volume_guest_path": device, "size": size}
        body = json.dumps(payload, separators=(",", ":")).encode()
        response = self.request("POST", "/direct-volume/resize", body, "application/json")
        self.checked(response, "POST", "/direct-volume/resize")


def client_for(host: Host, sandbox_id: str | None, timeout: float = DEFAULT_TIMEOUT) -> ShimClient:
    """Locate a sandbox by id / unique prefix / container id and return its client."""
    from kata_cli.shim.sandboxes import locate_sandbox

    return ShimClient(host, locate_sandbox(host, sandbox_id), timeout)


def read_request_file(path: str | None, what: str) -> bytes:
    """A file the user names for a PUT body (a local path, not a host path)."""
    import os

    from kata_cli.host import local_host, read_user_file

    if not path:
        raise ShimError(f"{what} file not provided")
    absolute = os.path.abspath(path)
    kind = local_host().kind(absolute)
    if kind == "dir":
        raise ShimError(f"{what} file is a directory: {path}")
    if kind == "missing":
        raise ShimError(f"{what} file does not exist: {path}")
    try:
        return read_user_file(absolute)
    except OSError as exc:
        raise ShimError(f"cannot read {what} file {path}: {exc.strerror or exc}") from None
