"""Agent URLs as the shims report them, and the debug-console endpoint they imply."""

from __future__ import annotations

from kata_cli.errors import KataError, excerpt
from kata_cli.record import record

DEFAULT_DEBUG_PORT = 1026
VSOCK_CID_ANY = 0xFFFFFFFF


@record(frozen=True)
class AgentURL:
    scheme: str  # "vsock" | "hvsock"
    port: int
    cid: int | None = None  # vsock
    path: str | None = None  # hvsock: host path of the hypervisor's Unix socket


def parse_agent_url(url: str) -> AgentURL:
    """Parse `vsock://<cid>:<port>` or `hvsock://<path>:<port>`; KataError otherwise."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme:
        raise KataError(
            f"invalid agent URL {excerpt(repr(url))}", hint="expected vsock:// or hvsock://"
        )
    kind = scheme.lower()
    if kind == "vsock":
        parts = rest.split(":")
        if len(parts) != 2:
            raise KataError(f"Invalid vsock scheme: {excerpt(url)}")
        cid_text, port_text = parts
        if cid_text in ("", "-1"):
            cid = VSOCK_CID_ANY
        elif _small_number(cid_text):
            cid = int(cid_text)
        else:
            raise KataError(f"vsock addr CID is INVALID: {excerpt(cid_text)}")
        return AgentURL("vsock", _port(port_text, url), cid=cid)
    if kind == "hvsock":
        parts = rest.split(":")
        if len(parts) != 2:
            raise KataError(f"Invalid hybrid vsock scheme: {excerpt(url)}")
        path, port_text = parts
        if not path:
            raise KataError("hvsock path cannot be empty")
        return AgentURL("hvsock", _port(port_text, url), path=path)
    raise KataError(
        f"schema {excerpt(scheme)} not found",
        hint=f"agent URL {excerpt(repr(url))} has no debug console",
    )


def _port(text: str, url: str) -> int:
    if not _small_number(text):
        raise KataError(f"invalid port in agent URL: {excerpt(url)}")
    return int(text)


def _small_number(text: str) -> bool:
    """Decimal digits worth at most 32 bits (the length test first: Python refuses to
    convert thousands of digits)."""
    return (
        text.isascii()
        and text.isdigit()
        and len(text.lstrip("0")) <= 10
        and int(text) <= 0xFFFFFFFF
    )
