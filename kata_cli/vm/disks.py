"""Hot-plugging disks into a running VM through QMP (`vm run --disk`, `vm disk-add`).

Each disk goes on its own PCIe root port (q35's root bus takes no hot-plug); the plan
creates `max(2, pcie_root_port)` of them, named rp0, rp1, ...
"""

from __future__ import annotations

import os
from pathlib import Path

from kata_cli.errors import KataError, UsageError
from kata_cli.host import local_host
from kata_cli.vm import state as st
from kata_cli.vm.qmp import Qmp, QmpError

QMP_TIMEOUT = 3.0


def _root_ports(record: st.VmRecord) -> list[str]:
    argv = record.launch.argv if record.launch else []
    return [
        arg.split(",")[1].removeprefix("id=")
        for arg in argv
        if arg.startswith("pcie-root-port,id=")
    ]


def check_disk(path: str, option: str = "") -> Path:
    """The resolved disk file or block device; a one-line error when it is neither.

    With `option` (`--disk`), the path came with that option before anything started:
    a bad one is a usage error naming the option (exit 2, as a missing `--share` is).
    """
    if not path.strip():  # abspath("") is the working directory
        raise UsageError("--disk: the file name is empty", "name a disk image file or block device")
    error = UsageError if option else KataError
    shown = f"{option} {path}" if option else path
    this_host = local_host()  # a disk named on the command line is on this machine
    try:
        resolved = this_host.resolve(os.path.abspath(path))
    except FileNotFoundError:
        raise error(f"{shown}: no such file or block device") from None
    except (OSError, ValueError) as exc:  # ELOOP, ENAMETOOLONG and friends
        raise error(f"{shown}: {getattr(exc, 'strerror', None) or exc}") from None
    if this_host.kind(resolved) not in ("file", "block"):
        raise error(f"{shown}: no such file or block device")
    return Path(resolved)


def hotplug_disk(record: st.VmRecord, path: str, read_only: bool = False) -> str:
    """Hot-plug `path` as a virtio-blk disk (QMP blockdev-add + device_add) on the next
    free PCIe root port; returns its id (`disk0`, `disk1`, ...)."""
    local = check_disk(path)
    with Qmp(str(record.directory / st.QMP_SOCKET), timeout=QMP_TIMEOUT) as qmp:
        # qdev paths look like /machine/peripheral/disk0/virtio-backend
        used = {part for b in qmp.execute("query-block") for part in str(b.get("qdev")).split("/")}
        ports = _root_ports(record)
        free = [i for i in range(len(ports)) if f"disk{i}" not in used]
        if not free:
            raise KataError(
                f"no free PCIe root port for another disk ({len(ports)} in use)",
                "raise pcie_root_port in the configuration",
            )
        node = f"disk{free[0]}"
        qmp.execute(
            "blockdev-add",
            {
                "node-name": node,
                "driver": "raw",
                "read-only": read_only,
                "file": {"driver": "file", "filename": str(local)},
            },
        )
        try:
            qmp.execute(
                "device_add",
                {"driver": "virtio-blk-pci", "drive": node, "id": node, "bus": ports[free[0]]},
            )
        except QmpError:
            qmp.execute("blockdev-del", {"node-name": node})
            raise
    return node
