"""KVM usability: open /dev/kvm, KVM_GET_API_VERSION == 12, KVM_CREATE_VM (spec 4.5).

Runs for root, and for any user who can open /dev/kvm (upstream: root only). A non-root
user who cannot open it gets a "cannot verify" warning, never a false "missing".
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator

from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import FAIL, WARN, CheckResult, CheckSpec
from kata_cli.host import Host
from kata_cli.record import record

CATEGORY = "kvm"
KVM_DEVICE = "/dev/kvm"
KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01
KVM_API_VERSION = 12

USABLE = CheckSpec(
    "kvm.usable",
    CATEGORY,
    "/dev/kvm can create a virtual machine",
    required=True,
    remedy="load kvm and kvm_intel/kvm_amd (modprobe), then check /dev/kvm exists",
    needs_root=True,
)
KVM_TYPES = ("qemu", "clh", "firecracker", "stratovirt", "dragonball", "openvmm")
NO_KVM_TYPES = ("remote", "mock")
PVM = "kvm_pvm"
KVM_PROVIDERS = ("kvm_intel", "kvm_amd", PVM)
BOOT_PROOF = "`kata-cli check --boot` boots the configured kernel and image: that is the proof"


@record
class KvmProbe:
    """What opening /dev/kvm, asking its API version and creating a test VM found."""

    ok: bool
    errno_text: str = ""  # Go-style bare errno text: "device or resource busy"
    message: str = ""
    code: int = 0


def errno_text(code: int) -> str:
    """Go's wording of an errno: strerror in lower case."""
    text = os.strerror(code)
    return text[:1].lower() + text[1:]


def probe_kvm(host: Host) -> KvmProbe:
    """Open /dev/kvm and try the two ioctls. Never raises."""
    import fcntl

    try:
        fd = host.open_fd(KVM_DEVICE, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        code = exc.errno or errno.EIO
        return KvmProbe(
            False, errno_text(code), f"cannot open kvm device: {errno_text(code)}", code
        )
    try:
        try:
            version = fcntl.ioctl(fd, KVM_GET_API_VERSION, 0)
        except OSError as exc:
            code = exc.errno or errno.EIO
            return KvmProbe(
                False, errno_text(code), f"KVM_GET_API_VERSION failed: {errno_text(code)}", code
            )
        if version != KVM_API_VERSION:
            return KvmProbe(
                False,
                "KVM API version is not correct",
                f"KVM API version is {version}, expected {KVM_API_VERSION}",
            )
        try:
            vm_fd = fcntl.ioctl(fd, KVM_CREATE_VM, 0)
        except OSError as exc:
            code = exc.errno or errno.EIO
            message = f"cannot create VM: {errno_text(code)}"
            if code == errno.EBUSY:
                message = (
                    f'cannot create VM (reason="another hypervisor running"): {errno_text(code)}'
                )
            return KvmProbe(False, errno_text(code), message, code)
        os.close(vm_fd)
        return KvmProbe(True, message=f"KVM API version {version}; created and closed a test VM")
    finally:
        os.close(fd)


def kvm_checks(ctx: CheckContext) -> Iterator[CheckResult]:
    if not ctx.options.kvm:
        return
    htype = ctx.hypervisor_type
    if htype in NO_KVM_TYPES or htype in ctx.tables.remote:
        yield USABLE.skipped(f"hypervisor type {htype} does not use KVM on this host")
        return
    if htype is not None and htype not in KVM_TYPES:
        yield USABLE.skipped(f"unknown hypervisor type {htype}")
        return
    kind = ctx.host.kind(KVM_DEVICE)
    if not ctx.is_root and kind != "missing" and not ctx.host.access(KVM_DEVICE, os.R_OK | os.W_OK):
        yield USABLE.warned(
            "cannot verify: cannot open /dev/kvm: permission denied",
            "add the user to the kvm group (usermod -aG kvm $USER, then log in again), "
            "or run as root",
        )
        return
    result = probe_kvm(ctx.host)
    if result.ok:
        providers = [m for m in KVM_PROVIDERS if ctx.module_loaded(m)]
        via = f" (provided by {', '.join(providers)})" if providers else ""
        if PVM in providers:
            yield _paravirtualized(ctx, result.message + via)
            return
        yield USABLE.passed(result.message + via)
        return
    detail = result.message
    remedy = USABLE.remedy
    if kind == "missing":
        detail = f"cannot open kvm device: {result.errno_text} ({KVM_DEVICE} does not exist)"
    elif kind != "char":
        detail += f" ({KVM_DEVICE} is a {kind}, not a character device)"
        remedy = f"{KVM_DEVICE} must be the KVM character device (10:232); recreate it"
    elif result.code == errno.EBUSY:
        remedy = "stop the other hypervisor (VirtualBox, VMware) that holds VT-x/SVM"
    elif result.code in (errno.EACCES, errno.EPERM):
        remedy = "add the user to the kvm group (usermod -aG kvm $USER), or run as root"
    ctx.kvm_error = result.errno_text
    yield USABLE.result(FAIL if ctx.is_root or kind == "char" else WARN, detail, remedy)


def _paravirtualized(ctx: CheckContext, detail: str) -> CheckResult:
    """kvm_pvm creates VMs without hardware virtualization, but a standard guest kernel
    hangs under it: a created VM proves nothing; without kvm_intel/kvm_amd it fails."""
    vendor = ctx.vendor
    vendor_module = vendor.virt_module if vendor else "kvm_intel/kvm_amd"
    caveat = (
        f"{detail}; {PVM} is paravirtualized KVM: creating a VM does not show that a "
        "standard guest kernel runs under it"
    )
    if vendor is not None and (
        ctx.module_loaded(vendor_module) or vendor_module in ctx.builtin_modules
    ):
        return USABLE.warned(
            f"{caveat} (which module serves /dev/kvm cannot be told from here)", BOOT_PROOF
        )
    if ctx.on_vmm:
        remedy = (
            "this host is a VM without nested virtualization: enable nested virtualization "
            "for it on the outer hypervisor (and pass the host CPU through), so that "
            f"{vendor_module} can serve /dev/kvm; {BOOT_PROOF}"
        )
    else:
        remedy = (
            "enable VT-x/SVM in the firmware setup so that "
            f"{vendor_module} can serve /dev/kvm; {BOOT_PROOF}"
        )
    return USABLE.result(
        FAIL, f"{caveat}, and {vendor_module} is not loaded: only {PVM} serves /dev/kvm", remedy
    )
