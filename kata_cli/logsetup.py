"""`--log PATH` / `--log-format`: where log records go (nothing is logged by default)."""

from __future__ import annotations

import errno
import json
import logging
import os
import sys
import time
from typing import TextIO

from kata_cli.errors import KataError


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(record.created)),
                "level": record.levelname.lower(),
                "msg": record.getMessage(),
                "name": "kata-cli",
                "pid": os.getpid(),
                "source": record.name,
            }
        )


class TextFormatter(logging.Formatter):
    """logfmt-like records; the message quotes host and peer data (paths, shim answers),
    so its control characters are escaped: a newline in a value cannot forge a record."""

    def __init__(self) -> None:
        super().__init__('time="%(asctime)s" level=%(levelname)s msg="%(message)s" source=%(name)s')

    def formatMessage(self, record: logging.LogRecord) -> str:
        from kata_cli.render.text import printable

        record.message = printable(record.message).replace('"', '\\"')
        return super().formatMessage(record)


class LogFileHandler(logging.StreamHandler):
    """A handler that, when the log file cannot be written (a full disk, an I/O error),
    says so in one line on stderr and stops logging, instead of logging's traceback."""

    def __init__(self, stream: TextIO, path: str) -> None:
        super().__init__(stream)
        self.path = path

    def handleError(self, record: logging.LogRecord) -> None:
        from kata_cli.render.text import printable

        error = sys.exc_info()[1]
        reason = getattr(error, "strerror", None) or str(error)
        logging.getLogger("kata_cli").removeHandler(self)
        try:
            line = (
                f"kata-cli: cannot write log file {self.path}: {reason} (no more records go there)"
            )
            sys.stderr.write(printable(line).encode("utf-8", "backslashreplace").decode() + "\n")
        except (OSError, ValueError, AttributeError):
            pass


def open_log(path: str) -> int:
    """The --log file's descriptor, opened for appending. Non-blocking open: a FIFO that
    nobody reads is an error (ENXIO) rather than a hang; writes then block as usual."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        fd = os.open(path, flags, 0o640)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO without a reader
            raise KataError(
                f"cannot open log file {path}: it is a FIFO that no process is reading",
                "start its reader first, or name a regular file with --log",
            ) from None
        raise KataError(f"cannot open log file {path}: {exc.strerror}", "check --log") from None
    os.set_blocking(fd, True)
    return fd


def configure(path: str, fmt: str) -> None:
    fd = open_log(path)
    # bytes of paths that are not UTF-8 (surrogate escapes) are written as \udcXX escapes
    stream = os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace")
    handler = LogFileHandler(stream, path)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger("kata_cli")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
