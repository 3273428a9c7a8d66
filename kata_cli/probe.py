"""Small parsers of host facts, shared by check, env, collect-data and the loader.

Every function takes a `Host` and reads through it; nothing here touches `/` directly.
"""

from __future__ import annotations

import os
import platform
import re

from kata_cli.host import Host
from kata_cli.record import record

CPUINFO = "/proc/cpuinfo"
MEMINFO = "/proc/meminfo"

GO_ARCH = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


def go_arch(machine: str | None = None) -> str:
    """Go's name of an architecture (`x86_64` -> `amd64`)."""
    machine = machine or platform.machine()
    return GO_ARCH.get(machine, machine)


def first_cpu_block(cpuinfo: str) -> str:
    """The text of the first CPU block of /proc/cpuinfo: up to the first blank line, trimmed."""
    text = cpuinfo.strip()
    match = re.search(r"\n\s*\n", text)
    return (text[: match.start()] if match else text).strip()


def cpu_flags(block: str) -> list[str] | None:
    """The words of the first `flags` line of a CPU block, or None when there is none."""
    for line in block.splitlines():
        if line.startswith("flags"):
            parts = line.split(":", 1)
            if len(parts) != 2:
                return None
            return parts[1].split()
    return None


def cpu_field(block: str, name: str) -> str | None:
    """The value of the *last* line starting with `name` in a CPU block (upstream's rule)."""
    value: str | None = None
    for line in block.splitlines():
        if line.startswith(name):
            parts = line.split(":", 1)
            if len(parts) == 2:
                value = parts[1].strip()
    return value


def has_word(text: str, word: str) -> bool:
    """Whole-word match, as upstream's regex word boundaries do."""
    return re.search(r"\b" + re.escape(word) + r"\b", text) is not None


@record
class CpuInfo:
    """/proc/cpuinfo: the first processor block's vendor, model and flags, and the count."""

    vendor: str | None
    model: str | None
    flags: list[str] | None
    block: str
    processors: int


def read_cpuinfo(host: Host) -> CpuInfo:
    """Parse /proc/cpuinfo. Raises OSError when the file cannot be read."""
    text = host.read_text(CPUINFO)
    block = first_cpu_block(text)
    processors = sum(1 for line in text.splitlines() if re.match(r"processor\s*:", line))
    return CpuInfo(
        vendor=cpu_field(block, "vendor_id"),
        model=cpu_field(block, "model name"),
        flags=cpu_flags(block),
        block=block,
        processors=processors,
    )


def cpu_count(host: Host) -> int:
    """CPUs usable by the process (affinity mask) on the native host; else from cpuinfo."""
    if host.is_native:
        try:
            return len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            return os.cpu_count() or 1
    try:
        count = read_cpuinfo(host).processors
    except OSError:
        count = 0
    return count or len(os.sched_getaffinity(0))


def meminfo(host: Host) -> dict[str, int]:
    """/proc/meminfo values in kB (empty when unreadable)."""
    values: dict[str, int] = {}
    text = host.read_text_or(MEMINFO, "") or ""
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        fields = rest.split()
        # (ASCII, and short: int() refuses thousands of digits and takes no "²")
        if fields and fields[0].isascii() and fields[0].isdigit() and len(fields[0]) <= 20:
            values[name.strip()] = int(fields[0])
    return values


def mem_total_mib(host: Host) -> int:
    """Host RAM in MiB (0 when unknown)."""
    return meminfo(host).get("MemTotal", 0) // 1024


def kernel_release(host: Host) -> str:
    """Third field of /proc/version. Raises OSError / ValueError like upstream fails."""
    fields = host.read_text("/proc/version").split()
    if len(fields) < 3:
        raise ValueError("unexpected contents in /proc/version")
    return fields[2]


def os_release(host: Host) -> tuple[str | None, str | None]:
    """(NAME, VERSION_ID) from /etc/os-release, then /usr/lib/os-release for what is missing."""
    name: str | None = None
    version: str | None = None
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            text = host.read_text(path)
        except FileNotFoundError:
            continue
        for line in text.splitlines():
            if name is None and line.startswith("NAME="):
                name = _os_release_value(line)
            elif version is None and line.startswith("VERSION_ID="):
                version = _os_release_value(line)
        if name is not None and version is not None:
            break
    return name, version


def _os_release_value(line: str) -> str:
    parts = line.split("=")
    return parts[1].strip('"') if len(parts) > 1 else ""


def module_loaded(host: Host, name: str) -> bool:
    return host.exists(f"/sys/module/{name}")


MODULE_PARAM_MAX = 4096  # the kernel shows a parameter in at most one page


def module_param(host: Host, module: str, param: str) -> str | None:
    """A module parameter's value without trailing newlines, or None when unreadable or
    longer than a page (`module_param_problem` says which)."""
    try:
        data = host.read_bytes(f"/sys/module/{module}/parameters/{param}", MODULE_PARAM_MAX + 1)
    except OSError:
        return None
    if len(data) > MODULE_PARAM_MAX:
        return None
    return data.decode("utf-8", "replace").rstrip("\r\n")


def module_param_problem(host: Host, module: str, param: str) -> str:
    """Why `module_param` gave no value, for a message after the parameter's path."""
    try:
        size = len(
            host.read_bytes(f"/sys/module/{module}/parameters/{param}", MODULE_PARAM_MAX + 1)
        )
    except OSError:
        return "is not readable"
    if size > MODULE_PARAM_MAX:
        return f"is too large (more than {MODULE_PARAM_MAX // 1024} KiB; a parameter fits in one)"
    return "is not readable"
