"""`--output FILE.tar.gz`: the Markdown report (untruncated), the JSON, every raw output.

An item whose shown text is an excerpt (log lines bounded by --max-lines, filtered kernel
log) is written whole (`Item.full_text`), so the archive keeps what the report cut.
"""

from __future__ import annotations

import io
import re
import tarfile
from datetime import datetime

from kata_cli.collect.model import Report
from kata_cli.render import collect_json, collect_markdown
from kata_cli.render.text import valid_utf8

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str, limit: int = 60) -> str:
    return _UNSAFE.sub("-", text).strip("-.")[:limit] or "item"


def members(report: Report) -> dict[str, bytes]:
    """Archive member names (under one top directory) -> contents."""
    stamp = report.started.replace(":", "").replace("-", "")
    top = f"kata-collect-data-{stamp}"
    files = {
        f"{top}/report.md": collect_markdown.render(report, budget=None).encode(),
        f"{top}/report.json": collect_json.render(report).encode(),
    }
    for s_index, section in enumerate(report.sections, start=1):
        for i_index, item in enumerate(section.items, start=1):
            text = item.text if item.full_text is None else item.full_text
            if not text:
                continue
            name = f"{top}/sections/{s_index:02d}-{section.id}/{i_index:02d}-{slug(item.title)}.txt"
            files[name] = valid_utf8(text).encode()
    return files


def build(report: Report) -> bytes:
    """A gzip-compressed tar of `members()`, files 0600, times = the report's start."""
    try:
        mtime = datetime.fromisoformat(report.started.replace("Z", "+00:00")).timestamp()
    except ValueError:
        mtime = 0.0
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members(report).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o600
            info.mtime = int(mtime)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write(report: Report, path: str) -> None:
    from kata_cli.host import atomic_write

    atomic_write(path, build(report), 0o600)
