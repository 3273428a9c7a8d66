"""Reading node documents for `fleet report`.

Documents come from files (one per node, or JSON lines), directories of such files, or
a stream of lines as `kubectl logs -l app.kubernetes.io/name=kata-cli --prefix` prints
them (`[pod/NAME/CONTAINER] {...}`); log lines between documents are skipped.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable, Iterator
from typing import Any

from kata_cli.fleet.report import DOCUMENT_LIMIT, BadDocument, Document, Merger

PREFIX = re.compile(r"\[([^\]\s]{1,400})\] ")


def stream_documents(lines: Iterable[bytes], source: str, merger: Merger) -> Iterator[Document]:
    """Documents in JSON lines, with or without kubectl's `[pod/NAME/CONTAINER] ` prefix."""
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        hint = ""
        if line.startswith(b"["):
            match = PREFIX.match(line.decode("utf-8", "replace"))
            if match:
                hint = _pod_name(match.group(1))
                line = line[len(match.group(0).encode("utf-8", "replace")) :].strip()
        if not line.startswith(b"{"):
            merger.skipped_lines += 1  # a log line on stderr, e.g. "verdict ... -> ..."
            continue
        where = f"{source}:{number}" + (f" ({hint})" if hint else "")
        if len(line) > DOCUMENT_LIMIT:
            merger.bad.append(BadDocument(where, "longer than 16 MiB"))
            continue
        yield Document(where, line, hint or f"{source}:{number}")


def _pod_name(prefix: str) -> str:
    """`pod/kata-cli-x7k2p/check` -> `kata-cli-x7k2p` (the node name is in the document)."""
    parts = prefix.split("/")
    return parts[1] if len(parts) >= 2 and parts[0] == "pod" else prefix


def file_documents(path: str, data: bytes, merger: Merger) -> Iterator[Document]:
    """One file: a whole JSON document (pretty-printed `check --json`) or JSON lines."""
    stem = os.path.basename(path)
    for suffix in (".jsonl", ".json", ".log"):
        stem = stem.removesuffix(suffix)
    text = data.strip()
    lined = b"\n" + text
    if (text.startswith(b"{") and b"\n{" not in text) or (
        b"\n{" not in lined and b"\n[pod/" not in lined
    ):
        yield Document(path, text, stem)  # one document (or not JSON: a bad one)
        return
    yield from stream_documents(text.split(b"\n"), path, merger)


def bounded_lines(stream: Any, limit: int = DOCUMENT_LIMIT) -> Iterator[bytes]:
    """Lines of a binary stream, none longer than `limit` (a longer one becomes a stub
    that fails to parse, so it is counted as a bad document)."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while True:  # drop the rest of the overlong line
                rest = stream.readline(1024 * 1024)
                if not rest or rest.endswith(b"\n"):
                    break
            yield b"{ overlong line dropped"
            continue
        yield line


def merge_inputs(paths: Iterable[str], stdin: Any, merger: Merger) -> None:
    """Feed every document of PATHs (files, directories; `-` is stdin) to `merger`.

    These are local files the user named. A directory's files are read with the
    directory as the root (a link cannot lead out of it), never a FIFO or a device,
    each bounded. A PATH that cannot be read raises OSError; a file inside a directory
    that cannot be read is a bad document.
    """
    from kata_cli.host import Host, local_host

    this_host = local_host()
    for path in paths:
        if path == "-":
            for doc in stream_documents(bounded_lines(stdin), "<stdin>", merger):
                merger.add(doc)
            continue
        full = os.path.abspath(path)
        if this_host.is_dir(full):
            directory = Host(full)
            for name in directory.listdir("/"):
                if name.startswith("."):
                    continue
                shown = os.path.join(path, name)
                try:
                    _merge_file(directory, name, shown, merger, in_directory=True)
                except OSError as exc:
                    merger.bad.append(BadDocument(shown, f"cannot read: {exc.strerror or exc}"))
        else:
            _merge_file(this_host, full, path, merger, in_directory=False)


def _merge_file(host: Any, name: str, shown: str, merger: Merger, in_directory: bool) -> None:
    flags = os.O_RDONLY | os.O_NONBLOCK | (os.O_NOFOLLOW if in_directory else 0)
    fd = host.open_fd(name, flags)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if in_directory:
            return  # subdirectories, FIFOs, sockets, devices are not read
        raise OSError(errno.EINVAL, "not a regular file", shown)
    with os.fdopen(fd, "rb") as handle:
        os.set_blocking(handle.fileno(), True)
        if info.st_size > DOCUMENT_LIMIT:  # only JSON lines can be this large
            for doc in stream_documents(bounded_lines(handle), shown, merger):
                merger.add(doc)
            return
        # the size it has (+1 sees growth): read(16 MiB) would allocate 16 MiB per file
        data = handle.read(info.st_size + 1)
    if len(data) > DOCUMENT_LIMIT:
        merger.bad.append(BadDocument(shown, "larger than 16 MiB"))
        return
    for doc in file_documents(shown, data, merger):
        merger.add(doc)
