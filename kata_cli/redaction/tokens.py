"""Secrets recognised by their own shape, wherever they appear (no key name needed).

Each entry is (rule name, literals, pattern): the pattern runs only on a text holding one
of the literals (a substring test is far cheaper than a regex scan), and the whole match
is replaced by the mask. Shapes are
the documented prefixes and lengths of each issuer, anchored on word boundaries so that
ordinary hex ids, digests and paths never match.
"""

from __future__ import annotations

import re

GUARDS: dict[str, tuple[str, ...]] = {
    "docker-config-base64": ("eyJhdXRocyI6",),
    "telegram-bot-token": (":AA",),
    "discord-webhook": ("/api/webhooks/",),
    "square-token": ("sq0",),
    "mailchimp-key": ("-us",),
    "artifactory-key": ("AKCp",),
    "aws-access-key-id": (
        "AKIA",
        "ASIA",
        "ABIA",
        "ACCA",
        "AGPA",
        "AIDA",
        "AIPA",
        "ANPA",
        "ANVA",
        "AROA",
        "APKA",
        "ASCA",
        "A3T",
    ),
    "github-token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "gitlab-token": (
        "glpat-",
        "glptt-",
        "gldt-",
        "glrt-",
        "glcbt-",
        "glimt-",
        "glagent-",
        "glsoat-",
        "glffct-",
        "gloas-",
        "glft-",
        "GR1348941",
    ),
    "slack-token": ("xox", "xapp-"),
    "slack-webhook": ("hooks.slack.com",),
    "google-api-key": ("AIza",),
    "google-oauth-token": ("ya29.", "GOCSPX-"),
    "docker-hub-token": ("dckr_",),
    "stripe-key": ("_live_", "_test_", "whsec_"),
    "jwt": ("eyJ",),
    "ceph-key": ("AQ",),
    "npm-token": ("npm_",),
    "pypi-token": ("pypi-",),
    "vault-token": ("hvs.", "hvb.", "hvr."),
    "openai-key": ("sk-",),
    "huggingface-token": ("hf_",),
    "sendgrid-key": ("SG.",),
    "digitalocean-token": ("_v1_",),
    "shopify-token": ("shpat_", "shpca_", "shppa_", "shpss_"),
    "twilio-key": ("SK",),
    "mailgun-key": ("key-",),
    "age-secret-key": ("AGE-SECRET-KEY-",),
    "tailscale-key": ("tskey-",),
    "grafana-token": ("glc_", "glsa_"),
    "azure-sas": ("sig=",),
    "password-hash": ("$",),
}

TOKEN_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (name, GUARDS[name], re.compile(pattern))
    for name, pattern in (
        (
            "aws-access-key-id",
            r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA|A3T[A-Z0-9])"
            r"[A-Z0-9]{16}\b",
        ),
        ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{22,255})"),
        (
            "gitlab-token",
            r"\b(?:glpat|glptt|gldt|glrt|glcbt|glimt|glagent|glsoat|glffct|gloas|glft)"
            r"-[A-Za-z0-9_-]{20,}|\bGR1348941[A-Za-z0-9_-]{20,}",
        ),
        ("slack-token", r"\bxox[abposre]-[0-9A-Za-z-]{10,}|\bxapp-\d-[A-Za-z0-9-]{20,}"),
        ("slack-webhook", r"(?<=hooks\.slack\.com/)(?:services|workflows)/[A-Za-z0-9/_+-]{20,}"),
        ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}"),
        ("google-oauth-token", r"\bya29\.[0-9A-Za-z_-]{20,}|\bGOCSPX-[A-Za-z0-9_-]{20,}"),
        ("docker-hub-token", r"\bdckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}"),
        ("stripe-key", r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}|\bwhsec_[0-9A-Za-z]{20,}"),
        ("jwt", r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
        ("ceph-key", r"\bAQ[A-Za-z0-9+/]{36}=="),
        ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        ("pypi-token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{40,}"),
        ("vault-token", r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}"),
        ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-|ant-[a-z0-9]+-)?[A-Za-z0-9_-]{32,}"),
        ("huggingface-token", r"\bhf_[A-Za-z]{30,}\b"),
        ("sendgrid-key", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
        ("digitalocean-token", r"\bdo[pro]_v1_[a-f0-9]{64}\b"),
        ("shopify-token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
        ("twilio-key", r"\bSK[0-9a-f]{32}\b"),
        ("mailgun-key", r"\bkey-[0-9a-zA-Z]{32}\b"),
        ("age-secret-key", r"\bAGE-SECRET-KEY-1[0-9A-Z]{50,}\b"),
        ("tailscale-key", r"\btskey-[a-z]+-[A-Za-z0-9]{6,}-[A-Za-z0-9]{10,}"),
        ("grafana-token", r"\bgl(?:c|sa)_[A-Za-z0-9_=+/-]{32,}"),
        ("telegram-bot-token", r"\b\d{8,10}:AA[0-9A-Za-z_-]{30,}"),
        ("discord-webhook", r"(?<=/api/webhooks/)\d+/[\w-]{20,}"),
        ("square-token", r"\bsq0(?:atp|csp|idp)-[0-9A-Za-z_-]{20,}"),
        ("mailchimp-key", r"\b[0-9a-f]{32}-us\d{1,2}\b"),
        ("artifactory-key", r"\bAKCp[A-Za-z0-9]{60,}"),
        ("docker-config-base64", r"\beyJhdXRocyI6[A-Za-z0-9+/=]{8,}"),
        ("azure-sas", r"(?<=[?&]sig=)[A-Za-z0-9%+/=]{20,}"),
        # crypt(3) password hashes: $1$ md5, $5$/$6$ sha, $2b$ bcrypt, $y$ yescrypt, argon2
        (
            "password-hash",
            r"\$(?:1|2[abxy]?|5|6|y|gy|7|argon2(?:id|i|d))\$[^\s:'\"]{8,}",
        ),
    )
)

# one scan for every literal: which rules can match at all
_LITERALS = re.compile(
    "|".join(
        re.escape(lit)
        for lit in sorted({lit for g in GUARDS.values() for lit in g}, key=len, reverse=True)
    )
)


def candidates(text: str) -> list[tuple[str, re.Pattern[str]]]:
    """The (rule, pattern) pairs whose literals occur in `text`."""
    found = {match.group(0) for match in _LITERALS.finditer(text)}
    if not found:
        return []
    return [
        (name, pattern)
        for name, literals, pattern in TOKEN_PATTERNS
        if found.intersection(literals)
    ]
