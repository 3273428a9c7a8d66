from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kata_cli.errors import KataError
from kata_cli.shim.agenturl import VSOCK_CID_ANY, AgentURL, parse_agent_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("vsock://3:1024", AgentURL("vsock", 1024, cid=3)),
        ("VSOCK://-1:1024", AgentURL("vsock", 1024, cid=VSOCK_CID_ANY)),
        ("vsock://:1024", AgentURL("vsock", 1024, cid=VSOCK_CID_ANY)),
        (
            "hvsock:///run/vc/vm/abc/clh.sock:1024",
            AgentURL("hvsock", 1024, path="/run/vc/vm/abc/clh.sock"),
        ),
    ],
)
def test_valid_urls(url, expected):
    assert parse_agent_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("vsock://3", "Invalid vsock scheme: vsock://3"),
        ("vsock://3:4:5", "Invalid vsock scheme: vsock://3:4:5"),
        ("hvsock:///a:b:1024", "Invalid hybrid vsock scheme: hvsock:///a:b:1024"),
        ("hvsock://:1024", "hvsock path cannot be empty"),
        ("remote:///x", "schema remote not found"),
        ("mock://x", "schema mock not found"),
        ("vsock://x:1024", "vsock addr CID is INVALID: x"),
        ("vsock://3:port", "invalid port in agent URL: vsock://3:port"),
        ("no-scheme", "invalid agent URL 'no-scheme'"),
    ],
)
def test_invalid_urls(url, message):
    with pytest.raises(KataError) as info:
        parse_agent_url(url)
    assert str(info.value) == message


@given(st.text(max_size=80))
def test_never_anything_but_kata_error(text):
    try:
        result = parse_agent_url(text)
    except KataError:
        return
    assert result.scheme in ("vsock", "hvsock")
    assert 0 <= result.port <= 0xFFFFFFFF


@given(st.sampled_from(["vsock", "hvsock", "VSOCK", "x"]), st.text(max_size=40))
def test_scheme_prefixed_text_never_crashes(scheme, rest):
    try:
        parse_agent_url(f"{scheme}://{rest}")
    except KataError:
        pass
