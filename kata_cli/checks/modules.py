"""Kernel-module checks: presence under /sys/module, parameters in strict mode.

Nothing is loaded unless `--load-modules` asked for it (upstream runs modprobe as a side
effect of a check). A module that is absent is diagnosed: VT-x/SVM disabled in firmware,
a guest-side vsock transport holding vsock, or simply not loaded after a reboot.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kata_cli import probe
from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import CheckResult, CheckSpec
from kata_cli.checks.tables import ModuleRequirement, ParamRequirement, Requirements, VendorTable

CATEGORY = "kernel-modules"
MODPROBE_TIMEOUT = 30.0
DMESG_TIMEOUT = 3.0
GUEST_VSOCK_TRANSPORTS = ("vmw_vsock_virtio_transport", "vmw_vsock_vmci_transport", "hv_sock")


def module_spec(module: ModuleRequirement) -> CheckSpec:
    return CheckSpec(
        f"module.{module.name}",
        CATEGORY,
        module.description,
        module.required,
        f"modprobe {module.name}, and list it in /etc/modules-load.d/kata.conf "
        "so it is loaded again after a reboot",
    )


def param_spec(module: ModuleRequirement, param: ParamRequirement) -> CheckSpec:
    return CheckSpec(
        f"module.{module.name}.{param.name}",
        CATEGORY,
        f"{module.name} parameter {param.name} (checked with --strict)",
        not param.report_only,
        param.remedy,
    )


def catalogue(tables: Requirements) -> list[CheckSpec]:
    """Every module check of every vendor table; a module both vendors require (kvm,
    vhost, ...) is one check, so both tables must describe it alike."""
    specs: list[CheckSpec] = []
    for vendor in tables.vendors:
        for module in vendor.modules:
            specs.append(module_spec(module))
            specs += [param_spec(module, p) for p in module.strict_params]
    return list(dict.fromkeys(specs))  # identical specs once; differing ones stay, and clash


def module_checks(ctx: CheckContext) -> Iterator[CheckResult]:
    vendor = ctx.vendor
    htype = ctx.hypervisor_type
    if vendor is None:
        return  # cpu.vendor already failed; there is no table to check against
    if htype is not None and (htype in ctx.tables.cpu_only or htype in ctx.tables.remote):
        return
    sysfs_ok = ctx.host.is_dir("/sys/module")
    for module in vendor.modules:
        spec = module_spec(module)
        if not sysfs_ok:
            yield spec.failed(
                "cannot verify: /sys/module does not exist (is sysfs mounted?)",
                "mount sysfs at /sys (or point --host-root at a root that has it)",
            )
            continue
        loaded = ctx.module_loaded(module.name)
        if not loaded and ctx.load_modules:
            loaded = _load(ctx, module.name)
            if loaded:
                yield spec.passed("loaded now by --load-modules")
                yield from _params(ctx, module)
                continue
        if loaded:
            yield spec.passed("loaded")
            yield from _params(ctx, module)
        elif module.name in ctx.builtin_modules:
            yield spec.passed("built into the kernel (listed in modules.builtin)")
            yield from _params(ctx, module)
        else:
            yield _missing(ctx, vendor, module, spec)


def _load(ctx: CheckContext, name: str) -> bool:
    result = ctx.host.run(["modprobe", name], timeout=MODPROBE_TIMEOUT)
    if result.ok and ctx.module_loaded(name):
        ctx.actions.append(f"loaded kernel module {name}")
        return True
    why = (result.stderr_text.strip() or result.describe()).splitlines()
    ctx.actions.append(f"modprobe {name} failed: {why[0] if why else result.describe()}")
    return False


def _missing(
    ctx: CheckContext, vendor: VendorTable, module: ModuleRequirement, spec: CheckSpec
) -> CheckResult:
    detail = (
        f"kernel property {module.name} not found: not loaded "
        f"(/sys/module/{module.name} does not exist)"
    )
    if module.name == vendor.virt_module:
        flags = ctx.cpu.flags or []
        other = [m for m in ("kvm_pvm", "kvm_intel", "kvm_amd") if m != module.name]
        others = [m for m in other if ctx.module_loaded(m)]
        if others:
            detail += f"; {', '.join(others)} is loaded instead"
            if "kvm_pvm" in others:
                detail += " (paravirtualized KVM, without hardware virtualization)"
        if vendor.virt_flag in flags:
            if _firmware_disabled(ctx):
                return spec.failed(
                    f"{detail}: the kernel log says virtualization is disabled by the BIOS",
                    f"enable {'VT-x' if vendor.key == 'intel' else 'SVM (AMD-V)'} in the "
                    "firmware setup, reboot, then modprobe " + module.name,
                )
            return spec.failed(
                f"{detail}, although the CPU reports `{vendor.virt_flag}`: if "
                f"`modprobe {module.name}` fails, virtualization is disabled in the firmware",
            )
        if ctx.on_vmm:
            # modprobe cannot help: the outer hypervisor does not pass virtualization through
            return spec.failed(
                f"{detail}; the CPU does not report `{vendor.virt_flag}`: this host is a VM "
                "without nested virtualization",
                "enable nested virtualization for this VM on the outer hypervisor (e.g. "
                f"kvm_{vendor.key} nested=1 there, and -cpu host); {module.name} loads after that",
            )
        return spec.failed(
            f"{detail}; the CPU does not report `{vendor.virt_flag}`",
            f"enable {'VT-x' if vendor.key == 'intel' else 'SVM (AMD-V)'} in the firmware "
            f"setup (or use a CPU that has it); {module.name} loads after that",
        )
    if module.name == "vhost_vsock":
        holders = [m for m in GUEST_VSOCK_TRANSPORTS if ctx.module_loaded(m)]
        if holders:
            return spec.failed(
                f"{detail}; it cannot be loaded while the guest-side vsock transport "
                f"{', '.join(holders)} is loaded (this host is itself a VM)",
                f"modprobe -r {' '.join(holders)} && modprobe vhost_vsock "
                "(this VM then loses its own vsock link to its hypervisor)",
            )
    if not _loaded_at_boot(ctx, module.name):
        detail += (
            "; it is not listed in /etc/modules-load.d or /etc/modules, so it is not loaded "
            "at boot unless something else pulls it in"
        )
    return spec.failed(detail)


def _loaded_at_boot(ctx: CheckContext, name: str) -> bool:
    """Is the module named in a modules-load.d file or /etc/modules (systemd, Debian)?"""
    files = [*ctx.host.glob("/etc/modules-load.d/*.conf"), "/etc/modules"]
    for path in files:
        text = ctx.host.read_text_or(path, "") or ""
        for line in text.splitlines():
            words = line.split("#", 1)[0].split()
            if words and words[0].replace("-", "_") == name:
                return True
    return False


def _firmware_disabled(ctx: CheckContext) -> bool:
    """Look for the kernel's "disabled by bios" message (native host, root only)."""
    if not (ctx.host.is_native and ctx.is_root):
        return False
    result = ctx.host.run(["dmesg"], timeout=DMESG_TIMEOUT)
    return result.ok and re.search(r"disabled by bios", result.stdout_text, re.I) is not None


def _params(ctx: CheckContext, module: ModuleRequirement) -> Iterator[CheckResult]:
    for param in module.strict_params:
        spec = param_spec(module, param)
        if not ctx.strict:
            yield spec.skipped("checked with --strict only")
            continue
        value = probe.module_param(ctx.host, module.name, param.name)
        if value is None:
            problem = probe.module_param_problem(ctx.host, module.name, param.name)
            yield spec.warned(
                f"cannot verify: /sys/module/{module.name}/parameters/{param.name} {problem}"
            )
            continue
        if _matches(value, param.expected):
            yield spec.passed(f"{param.name}={value}")
        elif param.report_only:
            yield spec.passed(f"{param.name}={value} (expected {param.expected}; reported only)")
        elif param.skip_on_vmm and ctx.on_vmm:
            yield spec.skipped(f"{param.name}={value}: not required when running on a VMM")
        else:
            yield spec.failed(
                f"kernel module parameter has unexpected value: "
                f"{param.name}={value}, expected {param.expected}"
            )


def _matches(value: str, expected: str) -> bool:
    truthy = {"Y", "1"}
    if expected in truthy:
        return value.strip().upper() in truthy
    return value.strip() == expected
