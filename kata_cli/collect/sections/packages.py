"""Installed packages of Kata and its neighbours (current package names only)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kata_cli.collect.context import Context
from kata_cli.collect.model import NOT_FOUND, SKIPPED, Item
from kata_cli.collect.section import Command, Section

PATTERN = re.compile(
    r"^(kata|qemu|cloud-hypervisor|firecracker|virtiofsd|containerd|cri-o|crio|runc|"
    r"podman|docker|moby|k3s|kubelet|kubeadm|linux-image)",
)


def _filtered(item: Item) -> Item:
    if item.status == "ok":
        lines = sorted(line for line in item.text.splitlines() if PATTERN.match(line))
        item.text = "\n".join(lines) + "\n" if lines else "No related packages installed.\n"
    return item


DPKG_STATUS = "/var/lib/dpkg/status"
DPKG = Command(
    ("dpkg-query", "-W", "-f", "${Package} ${Version} ${db:Status-Abbrev}\\n"),
    title="dpkg-query -W (filtered)",
)
RPM = Command(
    ("rpm", "-qa", "--qf", "%{NAME} %{VERSION}-%{RELEASE}.%{ARCH}\\n"), title="rpm -qa (filtered)"
)
_WANT = {"unknown": "u", "install": "i", "hold": "h", "deinstall": "r", "purge": "p"}
_STATE = {
    "not-installed": "n",
    "config-files": "c",
    "half-installed": "H",
    "unpacked": "U",
    "half-configured": "F",
    "triggers-awaited": "W",
    "triggers-pending": "t",
    "installed": "i",
}


def dpkg_status_lines(text: str) -> list[str]:
    """`${Package} ${Version} ${db:Status-Abbrev}` for each stanza of dpkg's status file."""
    lines = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            key, sep, value = line.partition(":")
            if sep and not line[:1].isspace():
                fields[key.strip().lower()] = value.strip()
        if "package" not in fields:
            continue
        want, flag, state = ([*fields.get("status", "").split(), "", "", ""])[:3]
        abbrev = _WANT.get(want, "?") + _STATE.get(state, "?") + (" " if flag == "ok" else "R")
        lines.append(f"{fields['package']} {fields.get('version', '')} {abbrev}")
    return lines


def _dpkg_from_the_host_root(ctx: Context) -> Item:
    """dpkg's status file read inside the host root (dpkg-query would follow its links)."""
    item = ctx.read_file(DPKG_STATUS, title="dpkg status (filtered)")
    if item.status == "ok":
        item.text = "\n".join(dpkg_status_lines(item.text)) + "\n"
    return item


def probe(ctx: Context) -> Iterator[Item]:
    native = ctx.options.chroot or ctx.host.is_native
    if not native:
        # this machine's dpkg/rpm would read the host's databases through any link in
        # them; dpkg's text status is read inside the root instead, rpm's is not read
        if ctx.host.exists(DPKG_STATUS):
            yield _filtered(_dpkg_from_the_host_root(ctx))
        else:
            yield Item(
                "text",
                "packages",
                status=SKIPPED,
                detail="no dpkg status under the host root; rpm is not run: host root is not /",
            )
        return
    found = False
    for command in (DPKG, RPM):
        item = ctx.command(command)
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
    uses=(DPKG, RPM),
    reads=(DPKG_STATUS,),  # instead of dpkg-query when the host root is not /
)
