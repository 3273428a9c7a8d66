"""Configuration: which file is in effect and why, the candidates, drop-ins, contents."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from kata_cli.collect.context import Context
from kata_cli.collect.model import FAILED, SKIPPED, Item
from kata_cli.collect.section import Section
from kata_cli.config.discovery import default_config_paths
from kata_cli.host import Host

# the directories of the default search list (a candidate is often a symlink to a
# sibling such as configuration-qemu.toml) and of the file in effect, with their drop-ins
CONFIG_DIRS = (
    *dict.fromkeys(posixpath.dirname(path) for path in default_config_paths()),
    "{config_dir}",
)
CONFIG_FILES = tuple(f"{d}/{name}" for d in CONFIG_DIRS for name in ("*", "config.d/*"))


def strip_comments(text: str) -> str:
    """Drop whole-line comments and blank-line runs (a shipped config is ~90% comments)."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if not stripped and (not kept or not kept[-1].strip()):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip("\n") + "\n" if kept else ""


def _describe_candidate(host: Host, path: str) -> tuple[str, str | None]:
    """("missing" | "file" | "symlink -> X" | ..., resolved path or None)."""
    if not host.lexists(path):
        return "missing", None
    try:
        resolved = host.resolve(path)
    except OSError as exc:
        return f"unresolvable ({exc.strerror or exc})", None
    kind = host.kind(resolved)
    if resolved != path:
        return f"symlink -> {resolved} ({kind})", resolved if kind == "file" else None
    return kind, resolved if kind == "file" else None


def _dropins(fs: Host, main_path: str) -> list[str]:
    directory = posixpath.join(posixpath.dirname(main_path), "config.d")
    return [posixpath.join(directory, name) for name in fs.listdir_or_empty(directory)]


def _content(ctx: Context, fs: Host, path: str, title: str) -> Item:
    if not ctx.declares(path):  # a candidate that resolves outside the configuration dirs
        return Item(
            "file",
            title,
            path=path,
            status=SKIPPED,
            detail="not gathered: outside the configuration directories",
        )
    reader = ctx if fs == ctx.host else ctx.on_host(fs)
    item = reader.read_file(path, title=title, lang="toml")
    if item.status == "ok" and not ctx.options.full_configs:
        item.full_text = item.text  # the archive keeps the file as it is
        item.text = strip_comments(item.text)
        item.detail = (item.detail + "; " if item.detail else "") + "comments stripped"
    return item


def probe(ctx: Context) -> Iterator[Item]:
    config = ctx.config()
    if config is None:
        yield ctx.unconfigured("In effect", status=FAILED)
    else:
        facts = {
            "source": config.source,
            "requested": config.requested,
            "path": config.path,
            "flavour": config.flavour,
            "hypervisor": config.hypervisor_name,
            "agent": config.agent_name,
            "drop_ins": config.dropins,
        }
        why = {
            "option": "named by --config",
            "env": "named by KATA_CONF_FILE",
            "default": "first existing file of the default search list",
            "embedded": "no file found; the embedded default is used",
        }.get(config.source, config.source)
        lines = [f"In effect: {config.path} ({why})"]
        if config.requested not in (config.path, "<embedded>"):
            lines.append(f"Requested as: {config.requested}")
        lines.append(
            f"Flavour: {config.flavour}; hypervisor: {config.hypervisor_name}; "
            f"agent: {config.agent_name}"
        )
        lines += [f"Drop-in: {path}" for path in config.dropins] or ["Drop-ins: none"]
        lines += [f"Note: {text}" for text in config.notices]
        yield Item("data", "In effect", text="\n".join(lines) + "\n", data=facts)

    rows = []
    shown: list[str] = []
    for path in default_config_paths():
        state, resolved = _describe_candidate(ctx.host, path)
        marker = " (in effect)" if config is not None and resolved == config.path else ""
        rows.append(f"{path}: {state}{marker}")
        if resolved and resolved not in shown:
            shown.append(resolved)
    yield Item("text", "Default search list", text="\n".join(rows) + "\n")

    if config is not None and config.source in ("option", "env"):
        local = ctx.host.this_machine()  # named on the command line: on this machine
        yield _content(ctx, local, config.path, f"{config.path} (named by {config.source})")
        for dropin in _dropins(local, config.path):
            yield _content(ctx, local, dropin, f"{dropin} (drop-in)")
    for path in shown:
        yield _content(ctx, ctx.host, path, path)
        for dropin in _dropins(ctx.host, path):
            yield _content(ctx, ctx.host, dropin, f"{dropin} (drop-in)")


SECTION = Section(
    id="config",
    title="Runtime config files",
    description="The configuration in effect and why, every default candidate (Go and "
    "runtime-rs) with symlink targets, config.d drop-ins, contents without comments.",
    probe=probe,
    reads=CONFIG_FILES,
)
