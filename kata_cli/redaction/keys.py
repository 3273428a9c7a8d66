"""Which key names (TOML/YAML/JSON keys, environment variables, flags) hold secrets.

A name is split into words (`_`, `-`, `.`, camelCase); it is secret when a word says so
(password, token, secret, auth, credential, cookie, session, signature, ...), when it
names a kind of key (private/api/access/secret/client/... key), or, spelled like an
environment variable, when it ends in `_KEY`, `_PASS` or `_PWD`. A name whose last word
says the value is *about* the secret rather than the secret (`token_file`,
`auth_type`, `password_stdin`, `session_timeout`) is not.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

SECRET_WORDS = frozenset(
    {
        "password",
        "passwords",
        "passwd",
        "passphrase",
        "passcode",
        "pwd",
        "secret",
        "secrets",
        "token",
        "tokens",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "creds",
        "cookie",
        "cookies",
        "session",
        "signature",
        "apikey",
        "privatekey",
        "accesskey",
        "secretkey",
        "identitytoken",
        "registrytoken",
        "clientsecret",
        "username",
        "psk",
        "keyring",
        "keydata",
        "sessionid",
        "jsessionid",
        "phpsessid",
        "sessiontoken",
        "sessionkey",
        "dockerconfigjson",
        "dockercfg",
    }
)
# words before "key" that make it a secret key (`private_key`, `client-key-data`)
KEY_KINDS = frozenset(
    {
        "private",
        "priv",
        "api",
        "access",
        "secret",
        "client",
        "encryption",
        "ssh",
        "signing",
        "master",
        "account",
        "storage",
        "shared",
        "session",
        "hmac",
        "gpg",
        "pgp",
        "tls",
        "ssl",
        "license",
        "auth",
        "app",
        "service",
        "sas",
        "decryption",
        "cipher",
        "root",
        "certificate",
    }
)
# last words that describe the secret instead of holding it
ABOUT_WORDS = frozenset(
    {
        "file",
        "files",
        "filename",
        "path",
        "paths",
        "dir",
        "directory",
        "type",
        "types",
        "kind",
        "mode",
        "method",
        "methods",
        "enabled",
        "enable",
        "disabled",
        "required",
        "length",
        "len",
        "size",
        "ttl",
        "timeout",
        "expiry",
        "expires",
        "expiration",
        "lifetime",
        "name",
        "names",
        "policy",
        "provider",
        "providers",
        "plugin",
        "format",
        "algorithm",
        "algo",
        "env",
        "command",
        "cmd",
        "sock",
        "socket",
        "port",
        "url",
        "uri",
        "endpoint",
        "server",
        "host",
        "realm",
        "scope",
        "scopes",
        "audience",
        "issuer",
        "count",
        "limit",
        "interval",
        "version",
        "level",
        "store",
        "helper",
        "helpers",
        "stdin",
        "fd",
        "ref",
        "source",
        "id",
    }
)
# first words that turn a secret name into a switch (`disable_auth`, `no-auth`)
SWITCH_WORDS = frozenset({"no", "disable", "enable", "use", "skip", "insecure", "allow", "require"})
NOT_SECRET = frozenset({"PWD", "OLDPWD", "XAUTHORITY", "SSH_AUTH_SOCK"})
# `session_id`, `SESSION_ID`: the id of a session is its secret
_ID_IS_SECRET = frozenset({"session", "secret", "client"})


# secret words also recognised glued inside a longer word
_WITHIN = ("password", "passwd", "secret", "apikey", "accesskey", "credential")


def words(name: str) -> list[str]:
    return [word.lower() for word in _WORDS.findall(name)]


@lru_cache(maxsize=4096)
def is_secret_key(name: str) -> bool:
    """Whether a key, variable or flag name (without leading dashes) holds a secret."""
    if not name or name in NOT_SECRET:
        return False
    parts = words(name)
    if not parts:
        return False
    last = parts[-1]
    if last in ABOUT_WORDS and not (last == "id" and len(parts) > 1 and parts[-2] in _ID_IS_SECRET):
        return False
    if parts[0] in SWITCH_WORDS and len(parts) > 1:
        return False
    if any(word in SECRET_WORDS for word in parts):
        return True
    lowered = name.lower()
    if any(word in lowered for word in _WITHIN) or lowered in ("pass", "pwd", "pw"):
        return True  # PGPASSWORD, MYSQLPASSWORD, APITOKEN: glued words
    for before, word in pairwise(parts):
        if word == "key" and before in KEY_KINDS:
            return True
    env_style = name.isupper() and "_" in name
    if env_style and last in ("key", "pass", "pwd", "pin"):
        return True
    return last in ("pass", "pwd") and len(parts) > 1
