"""CPU checks: vendor, required flags, supported hypervisor type (spec 4.2 steps 4-6)."""

from __future__ import annotations

import platform
from collections.abc import Iterator

from kata_cli import probe
from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import CheckResult, CheckSpec
from kata_cli.checks.tables import FlagRequirement, Requirements, VendorTable

CATEGORY = "cpu"

VENDOR = CheckSpec(
    "cpu.vendor",
    CATEGORY,
    "CPU vendor is supported (Intel or AMD)",
    required=True,
    remedy="kata-cli knows Intel (GenuineIntel) and AMD (AuthenticAMD) x86_64 CPUs only",
)
FLAGS = CheckSpec(
    "cpu.flags",
    CATEGORY,
    "/proc/cpuinfo lists CPU flags",
    required=True,
    remedy="check that /proc is mounted and readable (under --host-root)",
)
HYPERVISOR_TYPE = CheckSpec(
    "cpu.hypervisor-type",
    CATEGORY,
    "the configured hypervisor type is supported on this CPU",
    required=True,
    remedy="select qemu, clh, firecracker, stratovirt or dragonball ([runtime] hypervisor_name)",
)


def flag_spec(flag: FlagRequirement) -> CheckSpec:
    return CheckSpec(f"cpu.flag.{flag.name}", CATEGORY, flag.description, True, flag.remedy)


def catalogue(tables: Requirements) -> list[CheckSpec]:
    specs = [VENDOR, FLAGS, HYPERVISOR_TYPE]
    for vendor in tables.vendors:
        specs += [flag_spec(flag) for flag in vendor.flags]
    return list(dict.fromkeys(specs))  # a flag both vendors need (lm) is one check


def cpu_checks(ctx: CheckContext) -> Iterator[CheckResult]:
    if ctx.hypervisor_type in ctx.tables.remote:
        yield VENDOR.skipped(f"{ctx.hypervisor_type}: the VM runs elsewhere, not on this CPU")
        return
    machine = platform.machine()
    if machine != "x86_64":
        yield VENDOR.failed(
            f"cannot verify: kata-cli has requirement tables for x86_64 only, this is {machine}",
            "use the Kata runtime's own check on this architecture",
        )
        return
    cpu = ctx.cpu
    if cpu.error is not None:
        # cannot verify is not "unsupported": the fix is access to the file, not a new CPU
        yield VENDOR.failed(cpu.error, FLAGS.remedy)
        return
    vendor = ctx.vendor
    if vendor is None:
        yield VENDOR.failed(_unknown_vendor(cpu.text or "", cpu.vendor_id))
        return
    if not probe.has_word(cpu.block, vendor.match):
        yield VENDOR.failed(
            f"CPU property not found (type=attribute name={vendor.match} "
            f'description="{vendor.description}"): not in the first CPU block'
        )
    else:
        yield VENDOR.passed(f"{vendor.match} ({vendor.description})")
    htype = ctx.hypervisor_type
    if htype is not None and not vendor.supports(htype):
        yield HYPERVISOR_TYPE.failed(
            f"Unknown hypervisor type {htype}: no {vendor.key} requirement table for it"
        )
    if cpu.flags is None:
        yield FLAGS.failed("Cannot find CPU flags: no `flags` line in the first CPU block")
        return
    flags = " ".join(cpu.flags)
    for flag in vendor.flags:
        yield _flag_result(ctx, vendor, flag, flags)


def _unknown_vendor(text: str, vendor_id: str | None) -> str:
    if not text.strip():
        return f"Unknown CPU Type: {probe.CPUINFO} is empty"
    if vendor_id is None:
        return f"Unknown CPU Type: the first CPU block of {probe.CPUINFO} has no vendor_id line"
    return f"Unknown CPU Type: vendor_id is {vendor_id!r}"


def _flag_result(
    ctx: CheckContext, vendor: VendorTable, flag: FlagRequirement, flags: str
) -> CheckResult:
    spec = flag_spec(flag)
    if probe.has_word(flags, flag.name):
        return spec.passed("found")
    detail = f'CPU property not found (type=flag name={flag.name} description="{flag.description}")'
    if flag.name != vendor.virt_flag:
        return spec.failed(detail)
    if ctx.on_vmm:
        return spec.failed(
            f"{detail}: this host is itself a virtual machine (CPU flag `hypervisor`) and "
            "its hypervisor does not expose hardware virtualization (nested virtualization off)",
            f"enable nested virtualization for this VM on the outer hypervisor "
            f"(e.g. kvm_{vendor.key} nested=1 there, and -cpu host)",
        )
    return spec.failed(
        f"{detail}: virtualization is disabled in the firmware or not supported by this CPU"
    )
