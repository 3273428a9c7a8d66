"""Kernel modules, device nodes, cgroups, LSMs and the kernel log: the host side of KVM."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator

from kata_cli.collect.model import FAILED, TIMED_OUT, Item, Section
from kata_cli.collect.runner import Context

MODULES = (
    "kvm",
    "kvm_intel",
    "kvm_amd",
    "vhost",
    "vhost_net",
    "vhost_vsock",
    "vsock",
    "vmw_vsock_virtio_transport_common",
    "tun",
    "overlay",
    "br_netfilter",
)
DEVICES = ("/dev/kvm", "/dev/vhost-vsock", "/dev/vhost-net", "/dev/vsock", "/dev/net/tun")
KERNEL_LOG_PATTERN = re.compile(r"kvm|vhost|virtio|vsock|vfio|iommu|kata", re.I)


def modules_probe(ctx: Context) -> Iterator[Item]:
    from kata_cli.probe import read_cpuinfo

    lines = []
    data: dict[str, dict[str, str] | None] = {}
    for name in MODULES:
        if not ctx.host.exists(f"/sys/module/{name}"):
            data[name] = None
            lines.append(f"{name}: not loaded")
            continue
        params: dict[str, str] = {}
        for param in ctx.host.listdir_or_empty(f"/sys/module/{name}/parameters"):
            value = ctx.host.read_text_or(f"/sys/module/{name}/parameters/{param}")
            params[param] = "(unreadable)" if value is None else value.strip()
        data[name] = params
        shown = " ".join(f"{k}={v}" for k, v in params.items())
        lines.append(f"{name}: loaded {shown}".rstrip())
    yield Item("data", "Kernel modules", text="\n".join(lines) + "\n", data=data)
    try:
        cpu = read_cpuinfo(ctx.host)
    except OSError as exc:
        yield Item("text", "CPU", status=FAILED, detail=f"could not read: {exc.strerror or exc}")
        return
    virt = sorted({f for f in cpu.flags or [] if f in ("vmx", "svm", "sie", "hypervisor")})
    text = (
        f"vendor: {cpu.vendor}\nmodel: {cpu.model}\nprocessors: {cpu.processors}\n"
        f"virtualisation flags: {' '.join(virt) or 'none'}\n"
    )
    yield Item(
        "data", "CPU", text=text, data={"vendor": cpu.vendor, "model": cpu.model, "flags": virt}
    )


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
                line += f" rw-accessible={entry['accessible']}"
            except OSError as exc:
                line += f" ({exc.strerror})"
        data[path] = entry
        lines.append(line)
    yield Item("data", "Device nodes", text="\n".join(lines) + "\n", data=data)


def cgroup_version(ctx: Context) -> str:
    if ctx.host.is_file("/sys/fs/cgroup/cgroup.controllers"):
        return "v2 (unified)"
    if ctx.host.is_dir("/sys/fs/cgroup/unified"):
        return "v1 (hybrid, v2 at /sys/fs/cgroup/unified)"
    if ctx.host.is_dir("/sys/fs/cgroup"):
        return "v1 (legacy)" if ctx.host.listdir_or_empty("/sys/fs/cgroup") else "not mounted"
    return "not mounted"


def selinux_state(ctx: Context) -> str:
    enforce = ctx.host.read_text_or("/sys/fs/selinux/enforce")
    if enforce is None:
        return "disabled or not present"
    return "enforcing" if enforce.strip() == "1" else "permissive"


def apparmor_state(ctx: Context) -> str:
    enabled = ctx.host.read_text_or("/sys/module/apparmor/parameters/enabled")
    if enabled is None:
        return "not present"
    if enabled.strip() != "Y":
        return "disabled"
    profiles = ctx.host.read_text_or("/sys/kernel/security/apparmor/profiles")
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


def _kernel_lines(ctx: Context, item: Item) -> Item:
    item.full_text = item.text or None  # the whole kernel log goes to the archive
    lines = [line for line in item.text.splitlines() if KERNEL_LOG_PATTERN.search(line)]
    total = len(lines)
    lines = lines[-ctx.options.max_lines :] if ctx.options.max_lines else []
    item.text = "\n".join(lines) + "\n" if lines else "No matching kernel log lines.\n"
    note = f"{total} matching lines" + (f", last {len(lines)} shown" if total > len(lines) else "")
    item.detail = f"{item.detail}; {note}"
    return item


def kernel_log_probe(ctx: Context) -> Iterator[Item]:
    item = ctx.run(["dmesg"], title="dmesg (kvm, vhost, virtio, vsock, vfio lines)")
    if item.status == "ok":
        yield _kernel_lines(ctx, item)
        return
    yield item  # e.g. dmesg_restrict for non-root: say so, then try the journal's copy
    if item.status == TIMED_OUT:
        return  # a hung kernel log is the finding; do not spend a second --timeout
    from kata_cli.collect.sections.logs import journal_since

    since = f"--since={journal_since(ctx.options.since)}"
    fallback = ctx.run(
        ["journalctl", "-k", "-q", "--no-pager", "-o", "short-iso", since],
        title="journalctl -k (kvm, vhost, virtio, vsock, vfio lines)",
    )
    yield _kernel_lines(ctx, fallback) if fallback.status == "ok" else fallback


MODULES_SECTION = Section(
    id="modules",
    title="Kernel modules and CPU",
    description="kvm, vhost and vsock modules with their parameters; CPU virtualisation flags.",
    probe=modules_probe,
)
DEVICES_SECTION = Section(
    id="devices",
    title="Device nodes",
    description="/dev/kvm, /dev/vhost-vsock, /dev/vhost-net: type, mode, device number, access.",
    probe=devices_probe,
)
SECURITY_SECTION = Section(
    id="security",
    title="cgroups, SELinux and AppArmor",
    description="cgroup version, SELinux mode, AppArmor state and Kata-related profiles.",
    probe=security_probe,
)
KERNEL_LOG_SECTION = Section(
    id="kernel-log",
    title="Kernel log",
    description="dmesg lines about kvm, vhost, virtio, vsock and vfio (last --max-lines).",
    probe=kernel_log_probe,
)
