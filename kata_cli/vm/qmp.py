"""A small QMP client (QEMU Machine Protocol) over a Unix socket, with timeouts."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from kata_cli.errors import KataError


class QmpError(KataError):
    """QMP could not be reached, timed out, or QEMU answered with an error."""


class Qmp:
    def __init__(self, path: str, timeout: float = 5.0) -> None:
        self.path = path
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._sock: socket.socket | None = None
        self._buffer = b""

    def __enter__(self) -> Qmp:
        self.connect()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except OSError as exc:
            sock.close()
            raise QmpError(
                f"cannot connect to QMP socket {self.path}: {exc.strerror or exc}"
            ) from None
        self._sock = sock
        greeting = self._read_message()
        if "QMP" not in greeting:
            raise QmpError(f"{self.path} is not a QMP socket")
        self.execute("qmp_capabilities")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        if self._sock is None:
            raise QmpError("QMP is not connected")
        message: dict[str, Any] = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        try:
            self._sock.sendall(json.dumps(message).encode() + b"\n")
        except OSError as exc:
            raise QmpError(f"QMP {command}: {exc.strerror or exc}") from None
        while True:
            reply = self._read_message()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                error = reply["error"]
                raise QmpError(f"QMP {command}: {error.get('desc', error)}")
            return reply.get("return")

    def _read_message(self) -> dict[str, Any]:
        assert self._sock is not None
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QmpError(f"QMP {self.path}: no answer within {self.timeout:g}s")
            self._sock.settimeout(remaining)
            try:
                data = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError as exc:
                raise QmpError(f"QMP {self.path}: {exc.strerror or exc}") from None
            if not data:
                raise QmpError(f"QMP {self.path}: QEMU closed the connection")
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            message = json.loads(line)
        except ValueError:
            raise QmpError(f"QMP {self.path}: not JSON: {line[:80]!r}") from None
        if not isinstance(message, dict):
            raise QmpError(f"QMP {self.path}: unexpected message {line[:80]!r}")
        return message
