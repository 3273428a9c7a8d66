#!/usr/bin/env python3
"""Redaction: recall on planted secrets, over-redaction on ordinary text, and time.

Measures kata-cli's redactor and, when the `detect_secrets` package (detect-secrets or
bc-detect-secrets) is importable, the same figures for detect-secrets alone and for
detect-secrets run under (after) kata-cli's redactor, the way it would be adopted:

  recall      planted kinds whose secret is gone (tests/redaction/kinds.py, plus a
              held-out set written for this comparison, not used to build the rules)
  over        ordinary lines changed (shipped Kata configurations, a journal excerpt,
              tests' ordinary values): every change there is a false positive
  time        seconds to redact a journal (6000 lines, the size collect-data
              queries by default; 1 MiB of long lines) - collect-data's time budget is a full report well
              under 1 s (bench/collect_data.py)

Run: python3 bench/redaction.py (in a virtual environment with detect-secrets for the
comparison).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kata_cli.redaction import MASK, Redactor  # noqa: E402
from tests.redaction.kinds import KINDS, ORDINARY, Kind  # noqa: E402

# shapes not used to write the rules: how each candidate does on secrets it was not tuned to
HELD_OUT = (
    Kind(
        "azure-connection-string",
        "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=azKey9Qw8Er7Ty6Ui5Op4==;",
        "azKey9Qw8Er7Ty6Ui5Op4==",
    ),
    Kind(
        "telegram-bot",
        "bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw here",
        "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
    ),
    Kind(
        "discord-webhook",
        "https://discord.com/api/webhooks/123456/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    ),
    Kind("square-token", "sq0atp-AbCdEfGhIjKlMnOpQrStUv", "sq0atp-AbCdEfGhIjKlMnOpQrStUv"),
    Kind(
        "mailchimp-key",
        "0123456789abcdef0123456789abcdef-us6",
        "0123456789abcdef0123456789abcdef-us6",
    ),
    Kind(
        "artifactory-key",
        "AKCp8jQ8vUyGRxLTEfwZNbHQXbHmRbZs2mVbfKbzqkPY6QXNC8MQmBwd2bXg3ZbA",
        "AKCp8jQ8vUyGRxLTEfwZNbHQXbHmRbZs2mVbfKbzqkPY6QXNC8MQmBwd2bXg3ZbA",
    ),
    Kind(
        "random-value-plain-key",
        'value = "q8Zr1xV7pL3mN9bT4kW2sD6fH0jG5cY1"',
        "q8Zr1xV7pL3mN9bT4kW2sD6fH0jG5cY1",
    ),
    Kind(
        "hex-under-plain-key",
        'data: "7f9c2ba4e88f827d616045507605853e7f9c2ba4"',
        "7f9c2ba4e88f827d616045507605853e7f9c2ba4",
    ),
    Kind("yaml-passphrase", "ssh_passphrase: correct horse battery", "correct horse battery"),
    Kind("ini-pass-upper", "PASS=hunterHeld42", "hunterHeld42"),
    Kind("json-key-secret", '{"secretAccessKey": "heldSecret77"}', "heldSecret77"),
    Kind("basic-auth-url", "ftp://anon:ftpHeld12@ftp.example.org/pub", "ftpHeld12"),
    Kind(
        "private-key-ec",
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIHeld\n-----END EC PRIVATE KEY-----",
        "MHcCAQEEIHeld",
    ),
    Kind("ibm-cloud-key", 'ibm_api_key = "heldIbmKey00aa"', "heldIbmKey00aa"),
    Kind(
        "sendgrid",
        "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",
        "TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr",
    ),
    Kind("twilio", "SK0123456789abcdef0123456789abcdef", "SK0123456789abcdef0123456789abcdef"),
    Kind("npmrc", "//registry.npmjs.org/:_authToken=heldNpmTok123", "heldNpmTok123"),
    Kind("pgpass-style", "export PGPASSWORD=heldPg55", "heldPg55"),
    Kind("jwt-no-signature", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJoZWxkIn0.", "eyJzdWIiOiJoZWxkIn0"),
    Kind(
        "docker-login-stdin-echo", "echo heldEcho31 | docker login --password-stdin", "heldEcho31"
    ),
)

Redact = Callable[[str], str]


def kata(text: str) -> str:
    return Redactor().text(text)


def detect_secrets_redactor() -> Redact | None:
    """detect-secrets as its file scan runs it (entropy limits and filters applied)."""
    try:
        from detect_secrets import SecretsCollection
        from detect_secrets.settings import default_settings
    except ImportError:
        return None
    import os
    import tempfile

    def redact(text: str) -> str:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "report.txt")
            with open(path, "w") as handle:
                handle.write(text)
            secrets = SecretsCollection()
            with default_settings():
                secrets.scan_file(path)
            found = {s.secret_value for _, s in secrets if s.secret_value}
        for value in sorted(found, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text

    return redact


def recall(redact: Redact, kinds: tuple[Kind, ...]) -> tuple[int, list[str]]:
    missed = [kind.name for kind in kinds if kind.secret in redact(kind.text)]
    return len(kinds) - len(missed), missed


def ordinary_lines() -> list[str]:
    lines = list(ORDINARY)
    configs = ROOT.parent / "shared" / "kata-configs"
    for path in sorted(configs.rglob("*.toml")):
        lines += [line for line in path.read_text().splitlines() if line.strip()]
    lines += journal().splitlines()[:200]
    return lines


def journal() -> str:
    return "".join(
        f'2026-11-25T10:00:00.{i}+0000 node kata[42]: time="2026-11-25T10:00:00Z" level=info '
        f'msg="tick {i}" sandbox=2f4a9c3b1e0d8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e{i % 10}f3a\n'
        for i in range(6000)
    )


def over(redact: Redact, lines: list[str]) -> int:
    """Ordinary lines changed, redacted as one text (as a report is)."""
    before = "\n".join(lines)
    after = redact(before)
    return sum(
        1 for old, new in zip(before.split("\n"), after.split("\n"), strict=True) if old != new
    )


def timed(redact: Redact, text: str) -> float:
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        redact(text)
        runs.append(time.perf_counter() - start)
    return min(runs)


def main() -> None:
    candidates: list[tuple[str, Redact]] = [("kata-cli", kata)]
    ds = detect_secrets_redactor()
    if ds is not None:
        import importlib.metadata as md

        dist = next((d for d in ("bc-detect-secrets", "detect-secrets") if _installed(md, d)), "?")
        version = _installed(md, dist) or "?"
        candidates += [
            (f"{dist} {version} alone", ds),
            (f"kata-cli then {dist}", lambda text: ds(kata(text))),
        ]
    else:
        print("detect_secrets is not installed: only kata-cli is measured")
    lines = ordinary_lines()
    log = journal()
    print(
        f"corpus: {len(KINDS)} planted kinds, {len(HELD_OUT)} held-out kinds, "
        f"{len(lines)} ordinary lines, journal {len(log) // 1024} KiB"
    )
    for name, redact in candidates:
        found, _ = recall(redact, KINDS)
        held, missed = recall(redact, HELD_OUT)
        print(
            f"{name:38} planted {found}/{len(KINDS)}  held-out {held}/{len(HELD_OUT)}  "
            f"over-redacted lines {over(redact, lines)}/{len(lines)}  "
            f"journal {timed(redact, log):.3f} s"
        )
        if missed:
            print(f"{'':38} held-out missed: {', '.join(missed)}")


def _installed(md, dist: str) -> str | None:  # type: ignore[no-untyped-def]
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
