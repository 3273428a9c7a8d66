"""Agent URLs as the shims report them, and the debug-console endpoint they imply."""

from __future__ import annotations

from dataclasses import dataclass

from kata_cli.errors import KataError

DEFAULT_DEBUG_PORT = 1026
VSOCK_CID_ANY = 0xFFFFFFFF


@dataclass(frozen=True)
class AgentURL:
    scheme: str  # "vsock" | "hvsock"
    port: int
    cid: int | None = None  # vsock
    path: str | None = None  # hvsock: host path of the hypervisor's Unix socket


def parse_agent_url(url: str) -> AgentURL:
    """Parse `vsock://<cid>:<port>` or `hvsock://<path>:<port>`; KataError otherwise."""
    scheme, sep, rest = url.partition("://")
    if not sep or not scheme:
        raise KataError(f"invalid agent URL {url!r}", hint="expected vsock:// or hvsock://")
    kind = scheme.lower()
    if kind == "vsock":
        parts = rest.split(":")
        if len(parts) != 2:
            raise KataError(f"Invalid vsock scheme: {url}")
        cid_text, port_text = parts
        if cid_text in ("", "-1"):
            cid = VSOCK_CID_ANY
        elif cid_text.isascii() and cid_text.isdigit() and int(cid_text) <= 0xFFFFFFFF:
            cid = int(cid_text)
        else:
            raise KataError(f"vsock addr CID is INVALID: {cid_text}")
        return AgentURL("vsock", _port(port_text, url), cid=cid)
    if kind == "hvsock":
        parts = rest.split(":")
        if len(parts) != 2:
            raise KataError(f"Invalid hybrid vsock scheme: {url}")
        path, port_text = parts
        if not path:
            raise KataError("hvsock path cannot be empty")
        return AgentURL("hvsock", _port(port_text, url), path=path)
    raise KataError(f"schema {scheme} not found", hint=f"agent URL {url!r} has no debug console")


def _port(text: str, url: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > 0xFFFFFFFF:
        raise KataError(f"invalid port in agent URL: {url}")
    return int(text)
