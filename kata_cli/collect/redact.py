"""Redaction: secrets never leave the host in a report, unless `--no-redact` says so.

Rules are applied in order to every text of the report (outputs, files, data) after
collection, in one thread, and count what they replaced. `--redact-hosts` adds stable
placeholders for host names and IP addresses (the same name always maps to the same
placeholder within one report).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MASK = "[REDACTED]"

# keys whose values are secrets, in TOML (`k = "v"`), YAML (`k: v`), JSON (`"k": "v"`)
_SECRET_KEY = (
    r"[\w.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)"
    r"|auth|username|client-key-data|client-certificate-data|identitytoken"
)
_KEY_VALUE = re.compile(
    r"""(?P<key>(?<![\w-])["']?(?:"""
    + _SECRET_KEY
    + r""")["']?[ \t]*[:=][ \t]*)(?P<value>"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|(?![\[{(])[^\s,;}\]]+)""",
    re.I,
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.S
)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)[^/\s:@'\"]*:[^/\s@'\"]*@")
_BEARER = re.compile(r"(?P<word>\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{6,}", re.I)
# proxy settings without a scheme: `HTTP_PROXY=user:pass@proxy:3128`
_PROXY_CREDENTIALS = re.compile(
    r"(?P<key>\b[\w-]*proxy[\w-]*[\"']?\s*[=:]\s*[\"']?)[^\s:@/\"']+:[^\s@/\"']+@", re.I
)
# `Environment=HTTPS_PROXY=...`, `FOO_TOKEN=...` in unit properties and command lines
_ENV_ASSIGNMENT = re.compile(
    r"(?P<key>\b[A-Za-z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|ACCESS_KEY|CREDENTIALS)"
    r"[A-Za-z0-9_]*=)(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"']+)",
    re.I,
)
# kubeconfig exec plugins: `env: [{name: X, value: SECRET}]` rendered as YAML
_KUBE_EXEC_ENV = re.compile(r"(?P<key>-\s+name:\s*\S+\s*\n\s+value:[ \t]*)(?P<value>\S[^\n]*)")
# `--password X`, `--registry-token=X` on command lines (process lists, unit ExecStart)
_FLAG_SECRET = re.compile(
    r"(?P<key>(?<![\w-])--?[\w-]*(?:password|passwd|secret|token|api-key|access-key)[ =])"
    r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"']+)",
    re.I,
)
# QEMU secret objects on a hypervisor command line: `-object secret,id=s0,data=...`
_QEMU_SECRET = re.compile(r"(?P<key>\bsecret,(?:[^\s,]+,)*?data=)(?P<value>[^\s,]+)")
_GITHUB_TOKEN = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")

_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])"
)
# full 8-group form, or a compressed form with `::` (times, PCI and MAC addresses do not match)
_IPV6 = re.compile(
    r"(?<![\w:.])(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}"
    r"|(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,5})?"
    r"|::(?:[0-9a-fA-F]{1,4}:){0,5}[0-9a-fA-F]{1,4})(?![\w:])"
)
_URL_HOST = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://)(?:[^/\s@'\"]*@)?(?P<host>[A-Za-z0-9.-]+)")
# names ending in a common public or private top-level domain (file names never do)
_TLDS = (
    "com|net|org|io|dev|cloud|app|ai|co|info|biz|me|sh|tech|eu|us|uk|de|fr|nl|cn|jp|in|ru|br|"
    "local|localdomain|internal|intranet|lan|corp|home|example|test|svc|cluster"
)
_FQDN = re.compile(
    r"(?<![\w./-])(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+(?:" + _TLDS + r")(?![\w.-])",
    re.I,
)
_KEEP_IPS = frozenset({"127.0.0.1", "0.0.0.0", "255.255.255.255", "::1", "::"})


def _quoted_mask(value: str) -> str:
    if value[:1] in "\"'":
        return f"{value[0]}{MASK}{value[0]}"
    return MASK


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]


def _keep_key(match: re.Match[str]) -> str:
    return match.group("key") + _quoted_mask(match.group("value"))


RULES: tuple[Rule, ...] = (
    Rule("private-key", _PRIVATE_KEY, lambda m: f"-----{MASK} PRIVATE KEY-----"),
    Rule("url-credentials", _URL_CREDENTIALS, lambda m: f"{m.group('scheme')}{MASK}@"),
    Rule("proxy-credentials", _PROXY_CREDENTIALS, lambda m: f"{m.group('key')}{MASK}@"),
    Rule("bearer-token", _BEARER, lambda m: f"{m.group('word')}{MASK}"),
    Rule("jwt", _JWT, lambda m: MASK),
    Rule("env-secret", _ENV_ASSIGNMENT, _keep_key),
    Rule("command-line-secret", _FLAG_SECRET, _keep_key),
    Rule("qemu-secret", _QEMU_SECRET, _keep_key),
    Rule("github-token", _GITHUB_TOKEN, lambda m: MASK),
    Rule("kubeconfig-exec-env", _KUBE_EXEC_ENV, _keep_key),
    Rule("secret-key", _KEY_VALUE, _keep_key),
)


class Redactor:
    """Applies the rules, counts replacements per rule; optionally maps hosts and IPs."""

    def __init__(
        self, enabled: bool = True, hosts: bool = False, known_hosts: tuple[str, ...] = ()
    ) -> None:
        self.enabled = enabled
        self.hosts = hosts and enabled
        self.counts: dict[str, int] = {}
        self._placeholders: dict[str, str] = {}
        self._known = tuple(h for h in known_hosts if h and h not in ("localhost",))

    def _count(self, name: str, n: int) -> None:
        if n:
            self.counts[name] = self.counts.get(name, 0) + n

    def text(self, value: str) -> str:
        if not self.enabled or not value:
            return value
        for rule in RULES:
            value, n = rule.pattern.subn(rule.replace, value)
            self._count(rule.name, n)
        if self.hosts:
            value = self._hosts(value)
        return value

    def data(self, value: Any) -> Any:
        """Redact every string inside JSON-like data; values under secret keys are masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if self.enabled and isinstance(item, str | int) and _is_secret_key(str(key)):
                    self._count("secret-key", 1)
                    out[self.text(str(key))] = MASK
                else:
                    out[self.text(str(key)) if self.hosts else key] = self.data(item)
            return out
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value

    def _placeholder(self, kind: str, original: str) -> str:
        if original not in self._placeholders:
            count = sum(1 for p in self._placeholders.values() if p.startswith(kind))
            self._placeholders[original] = f"{kind}-{count + 1}"
        return self._placeholders[original]

    def _hosts(self, value: str) -> str:
        def url_host(match: re.Match[str]) -> str:
            host = match.group("host")
            if host in ("localhost",) or host in _KEEP_IPS:
                return match.group(0)
            kind = "ip" if _IPV4.fullmatch(host) else "host"
            self._count("hostname" if kind == "host" else "ip-address", 1)
            return match.group(0)[: match.start("host") - match.start()] + self._placeholder(
                kind, host
            )

        value = _URL_HOST.sub(url_host, value)
        for name in self._known:
            pattern = re.compile(r"(?<![\w.-])" + re.escape(name) + r"(?![\w-])")
            value, n = pattern.subn(lambda m: self._placeholder("host", m.group(0)), value)
            self._count("hostname", n)

        def ip(match: re.Match[str]) -> str:
            if match.group(0) in _KEEP_IPS:
                return match.group(0)
            self._count("ip-address", 1)
            return self._placeholder("ip", match.group(0))

        value = _IPV4.sub(ip, value)
        value = _IPV6.sub(ip, value)

        def fqdn(match: re.Match[str]) -> str:
            name = match.group(0)
            self._count("hostname", 1)
            return self._placeholder("host", name)

        return _FQDN.sub(fqdn, value)


def _is_secret_key(key: str) -> bool:
    return re.fullmatch(_SECRET_KEY, key, re.I) is not None
