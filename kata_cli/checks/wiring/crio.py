"""CRI-O's configuration: `/etc/crio/crio.conf`, then every file of `/etc/crio/crio.conf.d/`
in lexical order (CRI-O reads them whatever their suffix), merged key by key.

A Kata handler is a `[crio.runtime.runtimes.NAME]` table whose name or `runtime_path`
mentions kata; CRI-O starts it as a shim only with `runtime_type = "vm"`.
"""

from __future__ import annotations

import posixpath
from typing import Any

from kata_cli.checks.wiring.tomlfiles import (
    MAX_FILES,
    handler_type_errors,
    merge,
    read_recorded,
    string,
    table,
)
from kata_cli.host import Host
from kata_cli.record import field, record

CONFIG = "/etc/crio/crio.conf"
DROPIN_DIR = "/etc/crio/crio.conf.d"
VM_TYPE = "vm"


@record
class Handler:
    name: str
    runtime_type: str  # CRI-O's default is "oci"
    runtime_path: str
    config_path: str  # runtime_config_path
    table: str

    @property
    def shim(self) -> str:
        """The program CRI-O starts: runtime_path, else the handler name looked up on PATH."""
        return self.runtime_path or self.name


@record
class CrioConfig:
    files: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def runtimes(self) -> dict[str, Any]:
        return table(self.data, "crio", "runtime", "runtimes")

    def handlers(self) -> list[Handler]:
        found = []
        for name, entry in self.runtimes().items():
            if not isinstance(entry, dict):
                continue
            path = string(entry, "runtime_path")
            if "kata" not in name.lower() and "kata" not in posixpath.basename(path).lower():
                continue
            found.append(
                Handler(
                    name=name,
                    runtime_type=string(entry, "runtime_type") or "oci",
                    runtime_path=path,
                    config_path=string(entry, "runtime_config_path"),
                    table=f"[crio.runtime.runtimes.{name}]",
                )
            )
        return found


def paths(host: Host, main: str = CONFIG, dropin_dir: str = DROPIN_DIR) -> list[str]:
    """The files CRI-O reads, in order: the main file, then the drop-ins by name."""
    files = [main] if host.lexists(main) else []
    for name in host.listdir_or_empty(dropin_dir):
        candidate = posixpath.join(dropin_dir, name)
        if not host.is_dir(candidate):
            files.append(candidate)
    return files


def load(host: Host, main: str = CONFIG, dropin_dir: str = DROPIN_DIR) -> CrioConfig | None:
    """CRI-O's merged configuration; None when neither the file nor a drop-in exists."""
    files = paths(host, main, dropin_dir)
    if not files:
        return None
    config = CrioConfig()
    if len(files) > MAX_FILES:
        config.errors.append(f"more than {MAX_FILES} files; the rest were not read")
        files = files[:MAX_FILES]
    for path in files:
        data = read_recorded(host, path, config.files, config.errors)
        if data is not None:
            merge(config.data, data)
    config.errors += handler_type_errors(
        config.runtimes(),
        lambda name: f"[crio.runtime.runtimes.{name}]",
        ("runtime_type", "runtime_path", "runtime_config_path"),
    )
    return config
