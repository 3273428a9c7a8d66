"""Choosing the accelerator: KVM when /dev/kvm works for this guest, else TCG.

What we found on a host whose /dev/kvm is the paravirtual `kvm_pvm` implementation:
QEMU starts, the firmware prints, and a stock distribution kernel then makes no
progress at all (and `-cpu host` aborts on an MSR). So `auto` never picks such a
/dev/kvm; with an ordinary /dev/kvm it picks KVM and the supervisor's progress
watchdog reports a guest that prints nothing after the firmware (see `supervisor`).
"""

from __future__ import annotations

import fcntl
import os

from kata_cli.host import Host
from kata_cli.record import record

KVM_GET_API_VERSION = 0xAE00
KVM_API_VERSION = 12
PARAVIRTUAL_MODULES = ("kvm_pvm",)


@record(frozen=True)
class AccelChoice:
    accel: str  # "kvm" | "tcg"
    notice: str | None = None


def kvm_usable(host: Host) -> tuple[bool, str]:
    """Whether /dev/kvm opens and answers KVM_GET_API_VERSION (and why not)."""
    if host.kind("/dev/kvm") != "char":
        return False, "/dev/kvm does not exist"
    try:
        fd = host.open_fd("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        return False, f"/dev/kvm cannot be opened: {exc.strerror or exc}"
    try:
        version = fcntl.ioctl(fd, KVM_GET_API_VERSION)
    except OSError as exc:
        return False, f"/dev/kvm does not answer: {exc.strerror or exc}"
    finally:
        os.close(fd)
    if version != KVM_API_VERSION:
        return False, f"/dev/kvm speaks API version {version}, not {KVM_API_VERSION}"
    return True, ""


def paravirtual_kvm(host: Host) -> str | None:
    for name in PARAVIRTUAL_MODULES:
        if host.is_dir(f"/sys/module/{name}"):
            return name
    return None


def choose_accel(host: Host, requested: str) -> AccelChoice:
    """`requested` is kvm, tcg or auto. Raises nothing: `kvm` is honoured as asked."""
    if requested in ("kvm", "tcg"):
        return AccelChoice(requested)
    usable, why = kvm_usable(host)
    if not usable:
        return AccelChoice("tcg", f"{why}: using TCG (software emulation, much slower)")
    module = paravirtual_kvm(host)
    if module:
        return AccelChoice(
            "tcg",
            f"/dev/kvm is paravirtual ({module}) and standard guest kernels hang under it: "
            "using TCG (--accel kvm forces KVM)",
        )
    return AccelChoice("kvm")
