"""Kernel modules (kvm, vhost, vsock) with their parameters, and the CPU's virtualisation flags."""

from __future__ import annotations

from collections.abc import Iterator

from kata_cli.collect.context import Context
from kata_cli.collect.model import FAILED, Item
from kata_cli.collect.section import Section

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
            value = ctx.read_text_or(f"/sys/module/{name}/parameters/{param}")
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


SECTION = Section(
    id="modules",
    title="Kernel modules and CPU",
    description="kvm, vhost and vsock modules with their parameters; CPU virtualisation flags.",
    probe=modules_probe,
    reads=("/sys/module/*/parameters/*",),
)
