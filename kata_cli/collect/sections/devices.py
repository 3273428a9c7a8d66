"""Device nodes KVM guests need: type, mode, device number, access."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from kata_cli.collect.context import Context, yes_no
from kata_cli.collect.model import Item
from kata_cli.collect.section import Section

DEVICES = ("/dev/kvm", "/dev/vhost-vsock", "/dev/vhost-net", "/dev/vsock", "/dev/net/tun")


def devices_probe(ctx: Context) -> Iterator[Item]:
    lines = []
    data = {}
    for path in DEVICES:
        kind = ctx.host.kind(path)
        entry: dict[str, object] = {"kind": kind}
        line = f"{path}: {kind}"
        if kind != "missing":
            try:
                st = ctx.host.stat(path)
                entry["mode"] = stat.filemode(st.st_mode)
                line += f" {stat.filemode(st.st_mode)}"
                if kind == "char":
                    entry["device"] = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
                    line += f" {entry['device']}"
                entry["accessible"] = ctx.host.access(path, os.R_OK | os.W_OK)
                line += f" rw-accessible={yes_no(entry['accessible'])}"
            except OSError as exc:
                line += f" ({exc.strerror})"
        data[path] = entry
        lines.append(line)
    yield Item("data", "Device nodes", text="\n".join(lines) + "\n", data=data)


SECTION = Section(
    id="devices",
    title="Device nodes",
    description="/dev/kvm, /dev/vhost-vsock, /dev/vhost-net: type, mode, device number, access.",
    probe=devices_probe,
)
