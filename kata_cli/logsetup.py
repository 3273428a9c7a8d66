"""`--log PATH` / `--log-format`: where log records go (nothing is logged by default)."""

from __future__ import annotations

import json
import logging
import os
import time

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


def configure(path: str, fmt: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    except OSError as exc:
        raise KataError(f"cannot open log file {path}: {exc.strerror}", "check --log") from None
    handler = logging.StreamHandler(os.fdopen(fd, "a"))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                'time="%(asctime)s" level=%(levelname)s msg="%(message)s" source=%(name)s'
            )
        )
    root = logging.getLogger("kata_cli")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
