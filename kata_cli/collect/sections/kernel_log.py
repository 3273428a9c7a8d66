"""The kernel log lines about kvm, vhost, virtio, vsock and vfio (dmesg, else the journal)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kata_cli.collect.context import Context
from kata_cli.collect.model import TIMED_OUT, Item
from kata_cli.collect.section import Command, Section

# `kvmalloc`, `kvmemdup`: the kernel's allocator (stack frames of any oops), not KVM
KERNEL_LOG_PATTERN = re.compile(r"kvm(?!alloc|emdup)|vhost|virtio|vsock|vfio|iommu|kata", re.I)
DMESG = Command(("dmesg",), title="dmesg (kvm, vhost, virtio, vsock, vfio lines)")
# the journal's copy of the kernel log, when dmesg is not allowed (dmesg_restrict)
KERNEL_JOURNAL = Command(
    ("journalctl", "-k", "-q", "--no-pager", "-o", "short-iso", "--since={since}"),
    title="journalctl -k (kvm, vhost, virtio, vsock, vfio lines)",
)


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
    item = ctx.command(DMESG)
    if item.status == "ok":
        yield _kernel_lines(ctx, item)
        return
    yield item  # e.g. dmesg_restrict for non-root: say so, then try the journal's copy
    if item.status == TIMED_OUT:
        return  # a hung kernel log is the finding; do not spend a second --timeout
    fallback = ctx.command(KERNEL_JOURNAL)
    yield _kernel_lines(ctx, fallback) if fallback.status == "ok" else fallback


SECTION = Section(
    id="kernel-log",
    title="Kernel log",
    description="dmesg lines about kvm, vhost, virtio, vsock and vfio (last --max-lines).",
    probe=kernel_log_probe,
    uses=(DMESG, KERNEL_JOURNAL),
)
