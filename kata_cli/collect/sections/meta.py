"""Meta: what produced this report, when, on which (hashed) host, with which options."""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Iterator
from datetime import UTC, datetime

from kata_cli.collect.context import Context, yes_no
from kata_cli.collect.model import Item
from kata_cli.collect.section import Section

MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")


def host_id(ctx: Context) -> str:
    """A stable, non-reversible id of the host: sha256 of its machine-id, 16 hex digits."""
    for path in MACHINE_ID_FILES:
        text = (ctx.read_text_or(path, "") or "").strip()
        if text:
            return hashlib.sha256(f"kata-cli:{text}".encode()).hexdigest()[:16]
    return "unknown (no machine-id)"


def probe(ctx: Context) -> Iterator[Item]:
    from kata_cli import __version__
    from kata_cli.probe import kernel_release, os_release
    from kata_cli.version import commit

    try:
        kernel = kernel_release(ctx.host)
    except (OSError, ValueError) as exc:
        kernel = f"unknown ({exc})"
    name, version = os_release(ctx.host)
    facts = {
        "time": datetime.fromtimestamp(ctx.host.env.clock(), UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "tool": f"kata-cli {__version__}",
        "commit": commit(),
        "host_id": host_id(ctx),
        "host_root": str(ctx.host.root),
        "architecture": platform.machine(),
        "kernel": kernel,
        "distribution": f"{name or 'unknown'} {version or ''}".strip(),
        "running_as_root": ctx.host.is_root(),
        "chroot": ctx.options.chroot,
    }
    lines = [f"{key}: {yes_no(value)}" for key, value in facts.items()]
    yield Item("data", "Report details", text="\n".join(lines) + "\n", data=facts)
    if not ctx.host.is_root():
        yield Item(
            "text",
            "not root",
            text="Running as non-root: the journal, kernel log and some files may be incomplete.",
        )


SECTION = Section(
    id="meta",
    title="Meta details",
    description="Tool version and commit, host id (hashed machine-id), kernel, distribution.",
    probe=probe,
    reads=MACHINE_ID_FILES,
)
