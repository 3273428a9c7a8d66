"""Secrets found through the structure around them: key names, blocks, headers, URLs, flags.

Every pass takes a text and a `count(rule, n)` callback and returns the text with the
secret parts replaced by the mask; keys, quotes, indentation and layout are kept, so a
redacted TOML, YAML or JSON file still reads (and usually parses) as before. A value that
already holds the mask is left alone, so the passes can run in any order and twice.
"""

from __future__ import annotations

import base64
import bisect
import re
from collections.abc import Callable

from kata_cli.redaction.keys import is_secret_key

MASK = "[REDACTED]"
_MARK = "REDACTED"  # a value holding it (even cut short) was masked already
Count = Callable[[str, int], None]


def on_lines(text: str, needles: tuple[str, ...], step: Callable[[str], str]) -> str:
    """`step` applied only to the lines holding one of `needles` (a line-local pass)."""
    if not any(needle in text for needle in needles):
        return text
    lines = text.splitlines(keepends=True)
    return "".join(
        step(line) if any(needle in line for needle in needles) else line for line in lines
    )


def on_hinted_lines(text: str, hint: re.Pattern[str], step: Callable[[str], str]) -> str:
    """`step` applied only to the lines where `hint` (lower-case) matches, case-insensitively.

    One scan of the lower-cased text finds the lines: far cheaper than a case-insensitive
    regex per line on a long log.
    """
    lowered = text.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer: line by line
        lines = text.splitlines(keepends=True)
        return "".join(step(line) if hint.search(line.lower()) else line for line in lines)
    out: list[str] = []
    pos = 0
    for match in hint.finditer(lowered):
        if match.start() < pos:
            continue
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.start())
        end = len(text) if end < 0 else end + 1
        out.append(text[pos:start])
        out.append(step(text[start:end]))
        pos = end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


# -- private keys --------------------------------------------------------------------------
_PEM_BEGIN = (
    r"-{4,5} ?BEGIN (?P<kind>(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?) ?-{4,5}(?!-*\[REDACTED)"
)
_PEM_START = re.compile(_PEM_BEGIN)
_PEM_END = re.compile(r"-{4,5} ?END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)? ?-{4,5}")
# a block cut short (no END line): its base64 and `Header: value` lines, nothing after
_PEM_CUT = re.compile(
    _PEM_BEGIN + r"(?:(?:\r?\n|\\n)(?:[A-Za-z0-9+/=]+|[A-Za-z-]+: [^\n\\\"]*)?(?=\r?\n|\\n|\"|\Z))*"
)
_PUTTY = re.compile(
    r"(?P<key>Private-Lines: *\d+ *\r?\n)(?P<value>(?:[A-Za-z0-9+/=]+(?:\r?\n|$))+)"
)
# a PEM block in base64 (kubeconfig `client-key-data`, Kubernetes secrets): "-----BEGIN"
_PEM_BASE64 = re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/=]{20,}")


def _pem_blocks(text: str, count: Count) -> str:
    """Each BEGIN ... PRIVATE KEY block up to its first END line (or, cut short, its base64
    lines). END lines are found once, so many BEGIN lines without END stay linear."""
    ends = [match.end() for match in _PEM_END.finditer(text)]
    ends_at = [match.start() for match in _PEM_END.finditer(text)]
    out: list[str] = []
    pos = 0
    for begin in _PEM_START.finditer(text):
        if begin.start() < pos:
            continue
        index = bisect.bisect_left(ends_at, begin.end())
        if index < len(ends):
            stop = ends[index]
        else:
            cut = _PEM_CUT.match(text, begin.start())
            stop = cut.end() if cut is not None else begin.end()
        out.append(text[pos : begin.start()])
        out.append(f"-----BEGIN {begin.group('kind')}-----{MASK}")
        count("private-key", 1)
        pos = stop
    out.append(text[pos:])
    return "".join(out)


def private_keys(text: str, count: Count) -> str:
    if "PRIVATE KEY" in text:
        text = _pem_blocks(text, count)
    if "Private-Lines" in text:
        text, n = _PUTTY.subn(lambda m: m.group("key") + MASK + "\n", text)
        count("private-key", n)
    if "LS0tLS1CRUdJTi" in text:

        def encoded(match: re.Match[str]) -> str:
            head = match.group(0)[:120]
            try:
                decoded = base64.b64decode(head[: len(head) // 4 * 4], validate=False)
            except ValueError:
                return match.group(0)
            if b"PRIVATE" not in decoded:
                return match.group(0)  # a certificate: public
            count("private-key", 1)
            return MASK

        text = _PEM_BASE64.sub(encoded, text)
    return text


# -- keyed values in TOML / YAML / JSON / INI / logfmt / environment ------------------------
_NAME = r"[A-Za-z_][\w.\-]*"
# a key, optionally quoted, then `:` or `=`; not a flag (`--x=`) nor inside a path or URL
_KEY = re.compile(
    r"(?<![\w\-./$%@])(?P<q>\\?[\"']?)(?P<key>" + _NAME + r")(?P=q)(?P<sep>[ \t]*(?:=>|[:=])[ \t]*)"
)
_QUOTED = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'")
_PLAIN_KEEP = re.compile(r"(?i)(?:true|false|yes|no|on|off|null|none|nil|~)")
_INT = re.compile(r"[+-]?\d+")
# YAML anchors and tags before a value: `password: &pw !!str secret`
_YAML_PREFIX = re.compile(r"(?:[&!][^\s]*[ \t]+)+")
_ESCAPED_QUOTED = re.compile(r'\\"(?:[^"\\\n]|\\[^"])*?\\"')


def _value_span(text: str, start: int, sep: str, quoted_key: str, before: str) -> tuple[int, int]:
    """The span of the value that starts at `start` (empty when it is not a scalar)."""
    if start >= len(text):
        return start, start
    prefix = _YAML_PREFIX.match(text, start) if text[start] in "&!" else None
    if prefix is not None and sep.strip() == ":":
        start = prefix.end()
        if start >= len(text):
            return start, start
    first = text[start]
    if text.startswith(('"""', "'''"), start) or first in "[{|>\n\r":
        return start, start  # multi-line, array, table, block scalar: the structural passes
    if text.startswith('\\"', start):  # JSON inside a JSON string: `\"k\": \"v\"`
        match = _ESCAPED_QUOTED.match(text, start)
        if match is not None:
            return start + 2, match.end() - 2
    if first in "\"'":
        match = _QUOTED.match(text, start)
        if match is None:  # an unterminated quote: up to the end of the line
            end = text.find("\n", start)
            return start + 1, len(text) if end < 0 else end
        return start + 1, match.end() - 1
    if before and before in "\"'" and not quoted_key:
        # `"TOKEN=a b"` (systemd Environment="..."): the quotes hold the whole assignment
        end = text.find(before, start)
        newline = text.find("\n", start)
        if end >= 0 and (newline < 0 or end < newline):
            return start, end
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    spaced = sep != sep.strip()
    if quoted_key.endswith('"') or (not spaced and sep.strip() == "="):
        # JSON (`"k": v,`), logfmt / environment (`K=v`): the value ends at a delimiter
        match = re.compile(r"[^\s\"',;&|)}\]]+").match(text, start, line_end)
        return start, start if match is None else match.end()
    # YAML `k: v`, TOML / INI `k = v`: the rest of the line, without a trailing comment
    comment = text.find(" #", start, line_end)
    end = line_end if comment < 0 else comment
    while end > start and text[end - 1] in " \t\r":
        end -= 1
    return start, end


# words a secret key name holds (see keys.py), lower case; other lines are skipped
_KEY_HINT = re.compile(r"pass|pwd|secret|token|auth|cred|cookie|session|signature|key|user|psk|pin")


def keyed_values(text: str, count: Count) -> str:
    """Scalar values under a secret key (line-local: multi-line forms are handled before)."""
    return on_hinted_lines(text, _KEY_HINT, lambda line: _keyed_line(line, count))


def _keyed_line(text: str, count: Count) -> str:
    out: list[str] = []
    pos = 0
    search_from = 0
    while True:
        match = _KEY.search(text, search_from)
        if match is None:
            break
        key = match.group("key")
        search_from = match.start("key") + 1
        if not is_secret_key(key) or (match.group("sep").strip() == ":" and key.endswith(":")):
            continue
        before = text[match.start() - 1] if match.start() > 0 else ""
        start, end = _value_span(text, match.end(), match.group("sep"), match.group("q"), before)
        value = text[start:end]
        if not value or _MARK in value or _plain_kept(key, value):
            continue
        out.append(text[pos:start])
        out.append(MASK)
        count("secret-key", 1)
        pos = end
        search_from = max(end, search_from)
    out.append(text[pos:])
    return "".join(out)


def _plain_kept(key: str, value: str) -> bool:
    if _PLAIN_KEEP.fullmatch(value):
        return True
    return _INT.fullmatch(value) is not None and key.lower().endswith("s")


# -- multi-line values under a secret key ----------------------------------------------------
_TOML_MULTILINE = re.compile(
    r"(?P<key>(?<![\w\-])[\"']?(?P<name>" + _NAME + r")[\"']?[ \t]*=[ \t]*(?P<q>\"\"\"|'''))"
    r"(?P<value>.*?)(?P=q)",
    re.S,
)
_YAML_BLOCK = re.compile(
    r"^(?P<key>(?P<indent>[ \t]*)(?:- +)?[\"']?(?P<name>" + _NAME + r")[\"']?:[ \t]*"
    r"[|>][+-]?\d?[+-]?[ \t]*(?:#[^\n]*)?\n)"
    r"(?P<value>(?:(?:(?P=indent)[ \t]+[^\n]*|[ \t]*)(?:\n|$))*)",
    re.M,
)
_YAML_LIST = re.compile(
    r"^(?P<key>(?P<indent>[ \t]*)[\"']?(?P<name>" + _NAME + r")[\"']?:[ \t]*(?:#[^\n]*)?\n)"
    r"(?P<value>(?:(?P=indent)[ \t]*- [^\n]*(?:\n|$))+)",
    re.M,
)
_BRACKETED = re.compile(
    r"(?P<key>(?<![\w\-])[\"']?(?P<name>" + _NAME + r")[\"']?[ \t]*[:=][ \t]*)"
    r"(?P<value>\[[^\[\]]*\]|\{[^{}]*\})",
    re.S,
)
_MULTILINE_OPENING = re.compile(r"=[ \t]*(?:\"\"\"|\'\'\')")
_OPENING = re.compile(r"[:=][ \t]*[\[{]")
# every quoted string inside [...] or {...}; those followed by `:`/`=` are keys
_INNER_VALUE = re.compile(r"(\"(?:[^\"\\]|\\.)*\"|'[^'\n]*')([ \t]*[:=])?")
_INNER_BARE = re.compile(
    r"(?<=[\[,:={])([ \t]*)([^\s,\[\]{}\"':=#](?:[^,\[\]{}\n\"':=]|[:=](?![ \t]))*?)"
    r"([ \t]*)(?=[,\]}\n])"
)
_HTTP_HEADERS = re.compile(r"(?P<key>[\"']?HttpHeaders[\"']?[ \t]*[:=][ \t]*)(?P<value>\{[^{}]*\})")


def _mask_inner(body: str, count: Count, rule: str) -> str:
    def one(match: re.Match[str]) -> str:
        quoted = match.group(1)
        if match.group(2) is not None or len(quoted) <= 2 or _MARK in quoted:
            return match.group(0)
        count(rule, 1)
        return quoted[0] + MASK + quoted[0]

    def bare(match: re.Match[str]) -> str:
        value = match.group(2)
        if _MARK in value or _PLAIN_KEEP.fullmatch(value):
            return match.group(0)
        count(rule, 1)
        return match.group(1) + MASK + match.group(3)

    # quoted values, then unquoted ones (YAML flow: `[a, b]`, `{user: u, pass: p}`)
    return _INNER_BARE.sub(bare, _INNER_VALUE.sub(one, body))


def multi_line_values(text: str, count: Count) -> str:
    def toml(match: re.Match[str]) -> str:
        value = match.group("value")
        if not is_secret_key(match.group("name")) or not value.strip() or _MARK in value:
            return match.group(0)
        count("secret-key", 1)
        return match.group("key") + MASK + match.group("q")

    def block(match: re.Match[str]) -> str:
        body = match.group("value")
        if not is_secret_key(match.group("name")) or not body.strip() or _MARK in body:
            return match.group(0)
        count("secret-key", 1)
        trailing = "\n" if body.endswith("\n") else ""
        return f"{match.group('key')}{match.group('indent')}  {MASK}{trailing}"

    def listed(match: re.Match[str]) -> str:
        if not is_secret_key(match.group("name")):
            return match.group(0)
        lines = []
        for line in match.group("value").splitlines(keepends=True):
            head, _, item = line.partition("- ")
            stripped = item.strip()
            if stripped and MASK not in stripped and not re.match(r"[\w\"'.-]+:\s", stripped):
                count("secret-key", 1)
                line = f"{head}- {MASK}" + ("\n" if line.endswith("\n") else "")
            lines.append(line)
        return match.group("key") + "".join(lines)

    def bracketed(match: re.Match[str]) -> str:
        if not is_secret_key(match.group("name")):
            return match.group(0)
        return match.group("key") + _mask_inner(match.group("value"), count, "secret-key")

    if _MULTILINE_OPENING.search(text):
        text = _TOML_MULTILINE.sub(toml, text)
    if "|" in text or ">" in text:
        text = _YAML_BLOCK.sub(block, text)
    if "- " in text:
        text = _YAML_LIST.sub(listed, text)
    if _OPENING.search(text):
        text = _BRACKETED.sub(bracketed, text)
    if "HttpHeaders" in text:
        text = _HTTP_HEADERS.sub(
            lambda m: m.group("key") + _mask_inner(m.group("value"), count, "http-header"), text
        )
    return text


# -- HTTP headers ----------------------------------------------------------------------------
_AUTHORIZATION = re.compile(
    r"(?im)(?P<key>\b(?:proxy-)?authorization\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?"
    r"(?:(?!(?:ey|AKIA))[A-Za-z][\w.-]{1,30}[ \t]+(?=\S))?)(?P<value>[^\r\n\"'\\]+)"
)
_HEADER = re.compile(
    r"(?im)(?P<key>\b(?:set-cookie|cookie|x-registry-auth|x-registry-config|x-[\w-]*token"
    r"|x-[\w-]*-key|x-api-key|x-auth-[\w-]+|x-amz-security-token|x-vault-token)"
    r"\\?[\"']?[ \t]*:[ \t]*\\?[\"']?)(?P<value>[^\r\n\"'\\]+)"
)


# `Bearer <token>` / `Basic <base64>` anywhere (a log line quoting a request)
_SCHEME_CREDENTIAL = re.compile(
    r"(?P<key>\b(?:[Bb]earer|BEARER)[ \t]+)(?P<value>[A-Za-z0-9._~+/=-]{6,})"
    r"|(?P<bkey>\b(?:[Bb]asic|BASIC)[ \t]+)(?P<bvalue>(?=[A-Za-z0-9+/]*[0-9=])[A-Za-z0-9+/]{8,}={0,2})"
)
# `<password>x</password>` (Maven settings.xml, other XML configurations)
_XML_ELEMENT = re.compile(r"<(?P<name>[\w.:-]+)(?P<attrs>[^<>]*)>(?P<value>[^<]+)</(?P=name)>")
_HEADER_HINT = re.compile(r"authorization|cookie|x-|bearer|basic|</")


def http_headers(text: str, count: Count) -> str:
    def one(match: re.Match[str]) -> str:
        value = match.group("value").strip()
        if not value or _MARK in value:
            return match.group(0)
        count("http-header", 1)
        return match.group("key") + MASK

    def scheme(match: re.Match[str]) -> str:
        key = match.group("key") or match.group("bkey")
        value = match.group("value") or match.group("bvalue")
        if _MARK in value:
            return match.group(0)
        count("http-header", 1)
        return key + MASK

    def element(match: re.Match[str]) -> str:
        name = match.group("name").rpartition(":")[2]
        if not is_secret_key(name) or _MARK in match.group("value"):
            return match.group(0)
        count("secret-key", 1)
        return f"<{match.group('name')}{match.group('attrs')}>{MASK}</{match.group('name')}>"

    def line(value: str) -> str:
        lowered = value.lower()
        if "authorization" in lowered:
            value = _AUTHORIZATION.sub(one, value)
        if "cookie" in lowered or "x-" in lowered:
            value = _HEADER.sub(one, value)
        if "bearer" in lowered or "basic" in lowered:
            value = _SCHEME_CREDENTIAL.sub(scheme, value)
        if "</" in value:
            value = _XML_ELEMENT.sub(element, value)
        return value

    return on_hinted_lines(text, _HEADER_HINT, line)


# -- credentials in URLs ---------------------------------------------------------------------
_HOST_AFTER = (
    r"(?=(?:\[[0-9A-Fa-f:.]+\]|(?!sha\d{3}:)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9-]+)*)(?::\d+)?(?:[/?#\s'\"<>),;\]}\\]|$))"
)
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>\b[a-zA-Z][\w+.-]*://)(?P<cred>[^\s/'\"<>@:]*(?::|%3[Aa])[^\s'\"<>]*)@"
    + _HOST_AFTER
)
# `user:pass@proxy:3128` without a scheme (proxy settings, --creds)
_BARE_CREDENTIALS = re.compile(r"(?<![\w/.:@%+~-])(?P<cred>[\w.%+~-]+:[^\s'\"<>]+)@" + _HOST_AFTER)


def url_credentials(text: str, count: Count) -> str:
    def scheme(match: re.Match[str]) -> str:
        if _MARK in match.group("cred"):
            return match.group(0)
        count("url-credentials", 1)
        return f"{match.group('scheme')}{MASK}@"

    def bare(match: re.Match[str]) -> str:
        if _MARK in match.group("cred"):
            return match.group(0)
        count("url-credentials", 1)
        return f"{MASK}@"

    def line(value: str) -> str:
        if "://" in value:
            value = _URL_CREDENTIALS.sub(scheme, value)
        return _BARE_CREDENTIALS.sub(bare, value)

    return on_lines(text, ("@",), line)


_QUERY_SECRET = re.compile(
    r"(?i)(?P<key>[?&;](?:x-amz-signature|x-amz-credential|x-amz-security-token"
    r"|x-goog-signature|x-goog-credential|signature|sig|access_token|refresh_token|id_token"
    r"|token|api_key|apikey|key|password|passwd|secret|client_secret|auth|code)=)"
    r"(?P<value>[^&\s'\"#<>]+)"
)


def query_secrets(text: str, count: Count) -> str:
    def one(match: re.Match[str]) -> str:
        if _MARK in match.group("value"):
            return match.group(0)
        count("url-query-secret", 1)
        return match.group("key") + MASK

    return on_lines(text, ("?", "&", ";"), lambda line: _QUERY_SECRET.sub(one, line))


# -- command lines ---------------------------------------------------------------------------
_FLAG = re.compile(r"(?P<flag>--?[A-Za-z][\w-]*)(?P<sep>=|[ \t]+)")
_ARG = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^\s\"']+")
_SPECIFIC = (
    # `docker login -u me -p X`, `podman login -p X`, `sshpass -p X`
    re.compile(
        r"(?P<key>\b(?:login|sshpass)\b[^\n]*?[ \t]-p[ \t]*)(?P<value>" + _ARG.pattern + ")"
    ),
    # `mysql -pSECRET` (the password is glued to the flag)
    re.compile(r"(?P<key>\b(?:mysql\w*|mariadb\w*)\b[^\n]*?[ \t]-p)(?P<value>[^\s\"'-][^\s\"']*)"),
    # `curl -u user:pass`, `--user user:pass`, `--proxy-user user:pass`
    re.compile(
        r"(?P<key>(?<![\w-])(?:-u|--user|--proxy-user)[ \t=]+[^\s:\"']+:)(?P<value>[^\s\"']+)"
    ),
    # QEMU secret objects on a hypervisor command line: `-object secret,id=s0,data=...`
    re.compile(r"(?P<key>\bsecret,(?:[^\s,]+,)*?data=)(?P<value>[^\s,]+)"),
    # `echo X | docker login --password-stdin`: the echoed password
    re.compile(
        r"(?P<key>\b(?:echo|printf)[ \t]+)(?P<value>"
        + _ARG.pattern
        + r")(?=[^\n|]*\|[^\n]*--password-stdin)"
    ),
    # systemd credentials given inline: `SetCredential=name:value`
    re.compile(r"(?m)(?P<key>^SetCredential(?:Encrypted)?=[^:\n]+:)(?P<value>[^\n]+)"),
)


_SPECIFIC_NEEDLES = (
    ("login", "sshpass"),
    ("mysql", "mariadb"),
    ("-u", "--user", "--proxy-user"),
    ("secret,",),
    ("--password-stdin",),
    ("SetCredential",),
)


def command_line_secrets(text: str, count: Count) -> str:
    def one(match: re.Match[str]) -> str:
        value = match.group("value")
        if _MARK in value:
            return match.group(0)
        count("command-line-secret", 1)
        quote = value[0] if value[:1] in "\"'" and len(value) > 1 else ""
        return match.group("key") + quote + MASK + quote

    text = on_lines(text, ("-",), lambda line: _flags(line, count))
    for pattern, needles in zip(_SPECIFIC, _SPECIFIC_NEEDLES, strict=True):
        text = on_lines(text, needles, _substitute(pattern, one))
    return text


def _substitute(
    pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]
) -> Callable[[str], str]:
    return lambda line: pattern.sub(replace, line)


def _flags(text: str, count: Count) -> str:
    out: list[str] = []
    pos = 0
    search_from = 0
    while (match := _FLAG.search(text, search_from)) is not None:
        search_from = match.end("flag")
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in "_-"):
            continue  # inside a word (`a-b`), not a flag
        if not is_secret_key(match.group("flag").lstrip("-")):
            continue
        arg = _ARG.match(text, match.end())
        if arg is None or arg.start() != match.end():
            continue
        value = arg.group(0)
        if _MARK in value or (match.group("sep") != "=" and value.startswith("-")):
            continue
        quote = value[0] if value[:1] in "\"'" and len(value) > 1 else ""
        out.append(text[pos : arg.start()] + quote + MASK + quote)
        count("command-line-secret", 1)
        pos = search_from = arg.end()
    out.append(text[pos:])
    return "".join(out)


# -- netrc -----------------------------------------------------------------------------------
_NETRC = re.compile(
    r"(?P<key>(?:^[ \t]*|\b(?:machine|default|login)\b[^\n]*?[ \t])(?:password|passwd|account)"
    r"[ \t]+)(?P<value>\"[^\"\n]*\"|\S+)"
)


def netrc(text: str, count: Count) -> str:
    def one(match: re.Match[str]) -> str:
        value = match.group("value")
        if _MARK in value or value in (":", "=", "is", "for", "of"):
            return match.group(0)
        count("netrc", 1)
        return match.group("key") + MASK

    return on_lines(text, ("passw", "account"), lambda line: _NETRC.sub(one, line))


# -- kubeconfig exec plugins: `env: [{name: X, value: SECRET}]` rendered as YAML ------------
_KUBE_EXEC_ENV = re.compile(r"(?P<key>-\s+name:\s*\S+\s*\n\s+value:[ \t]*)(?P<value>\S[^\n]*)")


def name_value_pairs(text: str, count: Count) -> str:
    if "-" in text:
        text = _SPLIT_FLAG.sub(lambda m: _split_flag(m, count), text)
    if "value:" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        if _MARK in match.group("value"):
            return match.group(0)
        count("kubeconfig-exec-env", 1)
        return match.group("key") + MASK

    return _KUBE_EXEC_ENV.sub(one, text)


# -- a secret flag and its value as two list items: a kubeconfig exec plugin's `args` as
# `kubectl config view` prints them (`- --token` then `- VALUE`), or a JSON or flow list
# (`["--token", "VALUE"]`); the command-line pass sees them on separate lines or quoted
_SPLIT_FLAG = re.compile(
    r"(?P<key>^(?P<indent>[ \t]*)-[ \t]+(?P<q1>[\"']?)(?P<flag>--?[A-Za-z][\w-]*)(?P=q1)[ \t]*\n"
    r"(?P=indent)-[ \t]+)(?P<value>[^\s#][^\n]*)"
    r"|(?P<fkey>(?P<q2>[\"'])(?P<fflag>--?[A-Za-z][\w-]*)(?P=q2)[ \t]*,\s*)"
    r"(?P<fvalue>\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*')",
    re.M,
)


def _split_flag(match: re.Match[str], count: Count) -> str:
    flag = match.group("flag") or match.group("fflag")
    value = match.group("value") if match.group("flag") else match.group("fvalue")
    bare = value.strip("\"'")
    if not is_secret_key(flag.lstrip("-")) or not bare or bare.startswith("-") or _MARK in value:
        return match.group(0)
    count("command-line-secret", 1)
    key = match.group("key") if match.group("flag") else match.group("fkey")
    quote = value[0] if value[:1] in "\"'" and len(value) > 1 else ""
    return key + quote + MASK + quote
