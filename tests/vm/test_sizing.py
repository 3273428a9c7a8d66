"""VM sizing: default size plus container limits, clamped (Kata user guide, schema 3.2)."""

from __future__ import annotations

import pytest

from kata_cli.errors import UsageError
from kata_cli.vm.sizing import parse_cpus, parse_memory, vm_size


@pytest.mark.parametrize(
    ("text", "mib"),
    [
        ("512Mi", 512),
        ("1Gi", 1024),
        ("1G", 954),
        ("268435456", 256),
        ("1", 1),
        ("0.5Gi", 512),
        ("100M", 96),
        (" 2gi ", 2048),
    ],
)
def test_parse_memory(text: str, mib: int) -> None:
    assert parse_memory(text) == mib


@pytest.mark.parametrize("text", ["", "lots", "-1Mi", "12Qi", "1e3", "1Zi", "1Ei5"])
def test_parse_memory_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        parse_memory(text)


@pytest.mark.parametrize("text", ["x", "-1", "nan", "inf", "1e400", "-0.5"])
def test_parse_cpus_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        parse_cpus(text)


@pytest.mark.parametrize(
    ("vcpus", "maxvcpus", "memory", "maxmemory", "limit", "cpus", "expected"),
    [
        # default size, no container limits
        (1.0, 8, 2048, 16000, 0, 0.0, (1, 2048)),
        # the user guide's example: +512Mi, +1.5 CPUs -> 2 more vCPUs
        (1.0, 8, 2048, 16000, 512, 1.5, (3, 2560)),
        # fractional default_vcpus rounds up
        (0.5, 8, 256, 16000, 0, 0.2, (2, 256)),
        # clamped to default_maxvcpus and default_maxmemory
        (2.0, 4, 2048, 3000, 2048, 7.0, (4, 3000)),
        # whole CPUs stay whole
        (1.0, 8, 2048, 0, 0, 2.0, (3, 2048)),
    ],
)
def test_vm_size_table(
    vcpus: float,
    maxvcpus: int,
    memory: int,
    maxmemory: int,
    limit: int,
    cpus: float,
    expected: tuple[int, int],
) -> None:
    size = vm_size(vcpus, maxvcpus, memory, maxmemory, memory_limit_mib=limit, cpus=cpus)
    assert (size.vcpus, size.memory_mib) == expected


def test_clamping_is_explained() -> None:
    size = vm_size(2.0, 4, 2048, 3000, memory_limit_mib=2048, cpus=7.0)
    assert size.notes == (
        "9 vCPUs limited to default_maxvcpus 4",
        "4096 MiB limited to default_maxmemory 3000 MiB",
    )
