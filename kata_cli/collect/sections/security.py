"""cgroup version, SELinux mode and AppArmor state (with Kata-related profiles)."""

from __future__ import annotations

from collections.abc import Iterator

from kata_cli.collect.context import Context
from kata_cli.collect.model import Item
from kata_cli.collect.section import Section

SELINUX_ENFORCE = "/sys/fs/selinux/enforce"
APPARMOR_ENABLED = "/sys/module/apparmor/parameters/enabled"
APPARMOR_PROFILES = "/sys/kernel/security/apparmor/profiles"


def cgroup_version(ctx: Context) -> str:
    if ctx.host.is_file("/sys/fs/cgroup/cgroup.controllers"):
        return "v2 (unified)"
    if ctx.host.is_dir("/sys/fs/cgroup/unified"):
        return "v1 (hybrid, v2 at /sys/fs/cgroup/unified)"
    if ctx.host.is_dir("/sys/fs/cgroup"):
        return "v1 (legacy)" if ctx.host.listdir_or_empty("/sys/fs/cgroup") else "not mounted"
    return "not mounted"


def selinux_state(ctx: Context) -> str:
    enforce = ctx.read_text_or(SELINUX_ENFORCE)
    if enforce is None:
        return "disabled or not present"
    return "enforcing" if enforce.strip() == "1" else "permissive"


def apparmor_state(ctx: Context) -> str:
    enabled = ctx.read_text_or(APPARMOR_ENABLED)
    if enabled is None:
        return "not present"
    if enabled.strip() != "Y":
        return "disabled"
    profiles = ctx.read_text_or(APPARMOR_PROFILES)
    if profiles is None:
        return "enabled"
    count = len(profiles.splitlines())
    kata = [line for line in profiles.splitlines() if "kata" in line or "qemu" in line]
    return f"enabled, {count} profiles loaded" + (f" ({'; '.join(kata)})" if kata else "")


def security_probe(ctx: Context) -> Iterator[Item]:
    data = {
        "cgroup": cgroup_version(ctx),
        "selinux": selinux_state(ctx),
        "apparmor": apparmor_state(ctx),
    }
    text = "".join(f"{key}: {value}\n" for key, value in data.items())
    yield Item("data", "cgroups and security modules", text=text, data=data)


SECTION = Section(
    id="security",
    title="cgroups, SELinux and AppArmor",
    description="cgroup version, SELinux mode, AppArmor state and Kata-related profiles.",
    probe=security_probe,
    reads=(SELINUX_ENFORCE, APPARMOR_ENABLED, APPARMOR_PROFILES),
)
