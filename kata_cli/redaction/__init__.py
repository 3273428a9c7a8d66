"""Redaction: secrets never leave the host in a report, unless `--no-redact` says so.

Used by `collect-data` (every text of the report: outputs, files, titles, data, hence
the Markdown, the JSON and every file of the archive alike) and by `config show`.

Two layers, applied in order to each text, each counting what it replaced:
1. structure (`structure.py`): private-key blocks; multi-line values under a secret key
   (TOML multi-line basic and literal strings, YAML `|`/`>` block scalars and lists, arrays and inline
   tables, Docker's `HttpHeaders`); URL credentials; HTTP headers; signed URL query
   parameters; command-line secrets; keyed values of TOML/YAML/JSON/INI/logfmt/shell/
   systemd `Environment=`; netrc; kubeconfig exec environments;
2. shape (`tokens.py`): tokens recognised by their issuer's prefix and length.
Key names are judged by `keys.is_secret_key`. `--redact-hosts` adds stable placeholders
for host names and IP addresses (the same name always maps to the same placeholder
within one report).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kata_cli.redaction import structure
from kata_cli.redaction.keys import is_secret_key
from kata_cli.redaction.structure import MASK
from kata_cli.redaction.tokens import candidates

__all__ = ["MASK", "Redactor", "is_secret_key"]

PASSES: tuple[Callable[[str, structure.Count], str], ...] = (
    structure.private_keys,
    structure.multi_line_values,
    structure.url_credentials,
    structure.http_headers,
    structure.query_secrets,
    structure.command_line_secrets,
    structure.keyed_values,
    structure.netrc,
    structure.name_value_pairs,
)

# ANSI escape sequences, C0 controls but tab/newline/carriage return, DEL, C1 controls
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
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


class Redactor:
    """Applies the rules, counts replacements per rule; optionally maps hosts and IPs."""

    def __init__(
        self,
        enabled: bool = True,
        hosts: bool = False,
        known_hosts: tuple[str, ...] = (),
        keep_controls: bool = False,
    ) -> None:
        self.enabled = enabled
        self.keep_controls = keep_controls  # the caller's renderer escapes them visibly
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
        if not self.keep_controls and _CONTROL.search(value):
            # a secret split by a colour sequence or a control character would escape the
            # rules, and the Markdown drops them anyway: they go before anything is judged
            value = _CONTROL.sub("", value)
        for step in PASSES:
            value = step(value, self._count)
        value = _tokens(value, self._count)
        if self.hosts:
            value = self._hosts(value)
        return value

    def data(self, value: Any) -> Any:
        """Redact every string inside JSON-like data; values under secret keys are masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                secret = self.enabled and is_secret_key(str(key))
                if secret and isinstance(item, str | int | float) and not isinstance(item, bool):
                    self._count("secret-key", 1)
                    out[self.text(str(key))] = MASK
                elif secret and isinstance(item, list | tuple):
                    out[self.text(str(key))] = [self._masked(entry) for entry in item]
                elif self.enabled and str(key) == "HttpHeaders" and isinstance(item, dict):
                    out[key] = {name: self._masked(entry) for name, entry in item.items()}
                else:
                    out[self.text(key) if isinstance(key, str) else key] = self.data(item)
            return out
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value

    def _masked(self, value: Any) -> Any:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            self._count("secret-key", 1)
            return MASK
        return self.data(value)

    def argv(self, argv: list[str]) -> list[str]:
        """An argument list: the argument after a secret flag (`--password X`) is masked."""
        if not self.enabled:
            return argv
        out: list[str] = []
        for index, arg in enumerate(argv):
            previous = argv[index - 1] if index else ""
            flag = previous.startswith("-") and "=" not in previous
            if flag and is_secret_key(previous.lstrip("-")) and not arg.startswith("-"):
                self._count("command-line-secret", 1)
                out.append(MASK)
            else:
                out.append(self.text(arg))
        return out

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


def _tokens(value: str, count: structure.Count) -> str:
    for name, pattern in candidates(value):
        value, n = pattern.subn(MASK, value)
        count(name, n)
    return value
