"""VM size from the configuration plus a container's limits (Kata user guide).

The VM gets `default_memory` plus the container memory limit, and `default_vcpus`
plus the CPU constraint rounded up to whole CPUs; both are clamped to the effective
maxima (`default_maxvcpus`, `default_maxmemory`, config-schema 3.2).
"""

from __future__ import annotations

import math
import re

from kata_cli.errors import UsageError
from kata_cli.record import record

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "m": 1000**2,
    "g": 1000**3,
    "t": 1000**4,
    "ki": 1024,
    "mi": 1024**2,
    "gi": 1024**3,
    "ti": 1024**4,
}
_QUANTITY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?|b)?\s*$", re.I)


def parse_memory(text: str) -> int:
    """A Kubernetes-style quantity (`512Mi`, `1G`, `1073741824`) in MiB, rounded up."""
    match = _QUANTITY.match(text)
    if not match:
        raise UsageError(
            f"invalid memory limit {text!r}", "use a quantity such as 512Mi, 1Gi or 268435456"
        )
    number = float(match.group(1))
    unit = (match.group(2) or "").lower()
    return math.ceil(number * _UNITS[unit] / 1024**2)


def parse_cpus(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"invalid CPU constraint {text!r}", "use a number such as 1.5") from None
    if value < 0 or math.isnan(value) or math.isinf(value):
        raise UsageError(f"invalid CPU constraint {text!r}", "use a positive number")
    return value


@record(frozen=True)
class VmSize:
    vcpus: int
    max_vcpus: int
    memory_mib: int
    max_memory_mib: int
    notes: tuple[str, ...] = ()


def vm_size(
    default_vcpus: float,
    default_maxvcpus: int,
    default_memory: int,
    default_maxmemory: int,
    *,
    memory_limit_mib: int = 0,
    cpus: float = 0.0,
) -> VmSize:
    """The vCPUs and memory the VM boots with (all inputs are effective values)."""
    notes: list[str] = []
    base_vcpus = max(1, math.ceil(default_vcpus))
    vcpus = base_vcpus + math.ceil(cpus)
    max_vcpus = max(default_maxvcpus, base_vcpus)
    if vcpus > max_vcpus:
        notes.append(f"{vcpus} vCPUs limited to default_maxvcpus {max_vcpus}")
        vcpus = max_vcpus
    memory = default_memory + memory_limit_mib
    max_memory = max(default_maxmemory, default_memory) if default_maxmemory else memory
    if memory > max_memory:
        notes.append(f"{memory} MiB limited to default_maxmemory {max_memory} MiB")
        memory = max_memory
    return VmSize(vcpus, max_vcpus, memory, max_memory, tuple(notes))
