"""The redactor on single texts: each shape is masked and counted, the context is kept."""

from __future__ import annotations

import pytest

from kata_cli.redaction import MASK, Redactor

CASES = [
    ('password = "hunter2"', 'password = "[REDACTED]"', "secret-key"),
    ("jaeger_password = 'pw'", "jaeger_password = '[REDACTED]'", "secret-key"),
    ('"auth": "dXNlcjpwdw=="', '"auth": "[REDACTED]"', "secret-key"),
    ("    token: abc123", "    token: [REDACTED]", "secret-key"),
    ("client-key-data: LS0tLS1", "client-key-data: [REDACTED]", "secret-key"),
    ('identitytoken = "x"', 'identitytoken = "[REDACTED]"', "secret-key"),
    ("https://user:pw@example.com/x", "https://[REDACTED]@example.com/x", "url-credentials"),
    (
        "Environment=HTTP_PROXY=http://u:p@proxy:3128",
        "Environment=HTTP_PROXY=http://[REDACTED]@proxy:3128",
        "url-credentials",
    ),
    ("Environment=GITHUB_TOKEN=ghp_abc", "Environment=GITHUB_TOKEN=[REDACTED]", "secret-key"),
    ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer [REDACTED]", "http-header"),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
        f"-----BEGIN RSA PRIVATE KEY-----{MASK}",
        "private-key",
    ),
    (
        "      - name: AWS_SECRET\n        value: abc",
        "      - name: AWS_SECRET\n        value: [REDACTED]",
        "kubeconfig-exec-env",
    ),
    ("shim --password hunter2 -d", "shim --password [REDACTED] -d", "command-line-secret"),
    (
        # a kubeconfig exec plugin's args as `kubectl config view` prints them
        "      args:\n      - --token\n      - execArgTok-1\n      - --region\n      - eu-1",
        "      args:\n      - --token\n      - [REDACTED]\n      - --region\n      - eu-1",
        "command-line-secret",
    ),
    (
        'args: ["--client-secret", "execFlow-2", "-v"]',
        'args: ["--client-secret", "[REDACTED]", "-v"]',
        "command-line-secret",
    ),
    ("x --api-key='a b'", "x --api-key='[REDACTED]'", "command-line-secret"),
    (
        "-object secret,id=sec0,data=c2VjcmV0,format=base64",
        "-object secret,id=sec0,data=[REDACTED],format=base64",
        "command-line-secret",
    ),
    ("ghp_" + "a1" * 18 + " pushed", f"{MASK} pushed", "github-token"),
]


@pytest.mark.parametrize(("text", "expected", "rule"), CASES)
def test_rule(text, expected, rule):
    redactor = Redactor()
    assert redactor.text(text) == expected
    assert redactor.counts.get(rule, 0) >= 1


@pytest.mark.parametrize(
    "text",
    [
        '[plugins."io.containerd.grpc.v1.cri".registry.configs."r.example.com".auth]',
        '"auths": {',
        "default_memory = 2048",
        "tokens: 3",
        "http://example.com:8080/path",
        "virtiofsd --token-file /run/x --socket-path=/run/vfs.sock",
        "-object memory-backend-file,id=dimm1,size=2048M,mem-path=/dev/shm,share=on",
    ],
)
def test_harmless_text_is_untouched(text):
    redactor = Redactor()
    assert redactor.text(text) == text
    assert redactor.counts == {}


def test_disabled_redactor_changes_nothing():
    redactor = Redactor(enabled=False, hosts=True)
    assert redactor.text('password = "x" 10.1.2.3') == 'password = "x" 10.1.2.3'


def test_structured_data_masks_secret_keys():
    redactor = Redactor()
    data = redactor.data({"user": {"password": "x", "name": "n"}, "list": ["token: y"]})
    assert data == {"user": {"password": MASK, "name": "n"}, "list": [f"token: {MASK}"]}


def test_host_placeholders_are_stable():
    redactor = Redactor(hosts=True, known_hosts=("node-7",))
    text = redactor.text(
        "node-7 talks to 10.1.2.3 and registry.corp.example.com, again 10.1.2.3; "
        "see /etc/kata-containers/configuration.toml and io.containerd.grpc.v1.cri"
    )
    assert "host-1 talks to ip-1 and host-2, again ip-1" in text
    assert "/etc/kata-containers/configuration.toml" in text
    assert "io.containerd.grpc.v1.cri" in text
    assert redactor.counts["ip-address"] == 2


def test_times_and_pci_addresses_are_not_ip_addresses():
    redactor = Redactor(hosts=True)
    text = "virtio-pci 0000:00:01.0 at 12:07:14.5 built 1.2.3; v6 fe80::1c2:3 [2001:db8::5]:80"
    assert redactor.text(text) == (
        "virtio-pci 0000:00:01.0 at 12:07:14.5 built 1.2.3; v6 ip-1 [ip-2]:80"
    )


def test_masking_twice_changes_nothing_more():
    from tests.redaction.kinds import KINDS

    for kind in KINDS:
        once = Redactor().text(kind.text)
        again = Redactor()
        assert again.text(once) == once, kind.name
        assert again.counts == {}, (kind.name, again.counts)


def test_data_masks_lists_and_http_headers_under_their_keys():
    redactor = Redactor()
    data = redactor.data(
        {
            "tokens": ["a", "b"],
            "HttpHeaders": {"X-Meta": "v"},
            "port": 8080,
            "debug": True,
            "password": False,
            "auths": {"r.io": {"auth": "x"}},
        }
    )
    assert data == {
        "tokens": [MASK, MASK],
        "HttpHeaders": {"X-Meta": MASK},
        "port": 8080,
        "debug": True,
        "password": False,
        "auths": {"r.io": {"auth": MASK}},
    }


def test_argv_masks_the_argument_after_a_secret_flag():
    redactor = Redactor()
    argv = ["docker", "login", "--password", "pw1", "--password-stdin", "--token=t2", "r.io"]
    assert redactor.argv(argv) == [
        "docker",
        "login",
        "--password",
        MASK,
        "--password-stdin",
        f"--token={MASK}",
        "r.io",
    ]


def test_control_characters_cannot_split_a_secret():
    redactor = Redactor()
    text = "\x1b[31mAKIA\x1b[0mQWERTYUIOPASDF12\x07 tab\tkept\r\n"
    assert redactor.text(text) == f"{MASK} tab\tkept\r\n"


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN PRIVATE KEY-----\n" * 2000,
        "https://u:" + "p@" * 20000,
        "a:" * 20000 + "@",
        "password=" * 20000,
        "tokens = [" + "a," * 20000,
        'password = "' + '\\"' * 20000,
        "auth: {" + "a: b, " * 20000 + "}",
        "x" * 200000,
    ],
    ids=["pem-begins", "url-ats", "colons", "keys", "open-array", "escapes", "flow", "word"],
)
def test_hostile_text_is_redacted_in_linear_time(text):
    """Generous bound (a loaded CI machine): quadratic backtracking took 8 s here."""
    import time

    start = time.monotonic()
    Redactor().text(text)
    assert time.monotonic() - start < 3
