"""Reach a sandbox's guest debug console: agent URL (shim, else persisted state), then dial."""

from __future__ import annotations

import socket

from kata_cli.errors import KataError, excerpt
from kata_cli.host import Host
from kata_cli.record import record
from kata_cli.shim.agenturl import AgentURL, parse_agent_url
from kata_cli.shim.client import ShimClient, ShimUnreachable
from kata_cli.shim.sandboxes import SandboxRef, StateUnreadable, saved_agent_url

DIAL_TIMEOUT = 3.0


@record
class AgentURLSource:
    url: str
    notice: str | None = None  # set when the persisted state had to be used


def agent_url_for(host: Host, ref: SandboxRef, timeout: float = 3.0) -> AgentURLSource:
    """Ask the shim; when it is gone or hangs, use the URL saved in the sandbox's state."""
    try:
        return AgentURLSource(ShimClient(host, ref, timeout).agent_url())
    except ShimUnreachable as exc:
        try:
            saved = saved_agent_url(host, ref)
        except StateUnreadable as why:
            raise KataError(exc.message, hint=f"no agent URL to fall back on: {why}") from None
        return AgentURLSource(
            saved, f"{exc.message}; using the agent URL saved in {ref.state_file}: {excerpt(saved)}"
        )


def dial_debug_console(host: Host, url: AgentURL, port: int, *, deadline: float) -> socket.socket:
    """Connect to the guest's debug console port through the agent URL's transport."""
    if url.scheme == "hvsock":
        from kata_cli.console.hvsock import connect_hybrid_vsock

        assert url.path is not None
        return connect_hybrid_vsock(url.path, port, deadline=deadline, host=host)
    from kata_cli.console.vsock import connect_vsock

    assert url.cid is not None
    return connect_vsock(url.cid, port, deadline=deadline)


__all__ = ["AgentURLSource", "agent_url_for", "dial_debug_console", "parse_agent_url"]
