"""Installed packages of Kata and its neighbours (current package names only)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kata_cli.collect.context import Context
from kata_cli.collect.model import NOT_FOUND, Item
from kata_cli.collect.section import Section

PATTERN = re.compile(
    r"^(kata|qemu|cloud-hypervisor|firecracker|virtiofsd|containerd|cri-o|crio|runc|"
    r"podman|docker|moby|k3s|kubelet|kubeadm|linux-image)",
)


def _filtered(item: Item) -> Item:
    if item.status == "ok":
        lines = sorted(line for line in item.text.splitlines() if PATTERN.match(line))
        item.text = "\n".join(lines) + "\n" if lines else "No related packages installed.\n"
    return item


def probe(ctx: Context) -> Iterator[Item]:
    native = ctx.options.chroot or ctx.host.is_native
    dpkg = ["dpkg-query", "-W", "-f", "${Package} ${Version} ${db:Status-Abbrev}\\n"]
    if not native:
        try:  # resolved inside the root: a link out of it is not followed
            admindir = str(ctx.host.local_path("/var/lib/dpkg"))
        except OSError:
            admindir = str(ctx.host.path("/var/lib/dpkg"))
        dpkg.insert(1, f"--admindir={admindir}")
    rpm = ["rpm", "-qa", "--qf", "%{NAME} %{VERSION}-%{RELEASE}.%{ARCH}\\n"]
    if not native:
        rpm[1:1] = ["--root", str(ctx.host.root)]
    found = False
    for argv, title in ((dpkg, "dpkg-query -W (filtered)"), (rpm, "rpm -qa (filtered)")):
        item = ctx.run(argv, title=title)
        if item.status == NOT_FOUND:
            continue
        found = True
        yield _filtered(item)
    if not found:
        yield Item("text", "packages", text="Neither dpkg nor rpm is installed.\n")


SECTION = Section(
    id="packages",
    title="Packages",
    description="dpkg or rpm packages of Kata, hypervisors, virtiofsd, container managers.",
    probe=probe,
)
