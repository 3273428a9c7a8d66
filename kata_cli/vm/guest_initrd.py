"""The pieces of the test guest that are pure data: its /init, the initrd archive, and
the kernel taken out of its compressed wrapper. No I/O here; `guest_build` feeds it.

The initrd is a `newc` cpio archive written in memory (what `cpio -H newc` writes):
busybox and its applet links, the modules the guest loads in dependency order
(`lib/modules/load.order`), and an /init that prints the ready marker on the serial
console and serves one shell per connection on the `kata.debug` virtio-serial port.
"""

from __future__ import annotations

import lzma
import struct
import zlib

from kata_cli.record import record

# /init of the guest (PID 1). @MARKER@ and @PORT@ are filled in.
INIT_SCRIPT = r"""#!/bin/sh
# kata-cli test guest init (PID 1)
export PATH=/bin HOME=/ TERM=linux
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
while read -r module; do insmod "/lib/modules/$module" 2>/dev/null; done </lib/modules/load.order
# the ACPI power button (QMP system_powerdown) powers the guest off at once. Its input
# device shows up asynchronously: find it before saying ready and open it here, so a
# power-down that comes right after the marker is queued by evdev, not lost
button=""
tries=0
while [ -z "$button" ] && [ $tries -lt 50 ]; do
    for event in /sys/class/input/event*; do
        if [ "$(cat "$event/device/name" 2>/dev/null)" = "Power Button" ]; then
            button="/dev/input/${event##*/}"
        fi
    done
    [ -n "$button" ] || { tries=$((tries + 1)); sleep 0.1; }
done
if [ -c "$button" ] && [ -r "$button" ]; then
    exec 4<"$button"
    # evdev reads whole 24-byte events
    (dd bs=24 count=1 of=/dev/null <&4 2>/dev/null && sync && poweroff -f) &
    exec 4<&-
fi
# the debug console: one shell per host connection (it reads EOF when the host side
# closes). fd 3 keeps the port open between shells: closing it would drop input that
# arrived in between.
for port in /sys/class/virtio-ports/*; do
    if [ "$(cat "$port/name" 2>/dev/null)" = "@PORT@" ]; then
        dev="/dev/${port##*/}"
        (exec 3<>"$dev"; while :; do setsid sh <&3 >&3 2>&3; sleep 0.2; done) &
    fi
done
echo "@MARKER@"
while :; do setsid cttyhack sh; done
"""

ROOT_DIRS = ("bin", "sbin", "dev", "proc", "sys", "tmp", "run", "mnt", "etc", "lib", "lib/modules")
S_IFDIR, S_IFREG, S_IFLNK = 0o040000, 0o100000, 0o120000
PT_INTERP = 3
# compressed payloads a bzImage may carry, and where their streams start
KERNEL_MAGICS = ((b"\xfd7zXZ\x00", "xz"), (b"\x1f\x8b\x08", "gzip"), (b"\x5d\x00\x00", "lzma"))


def init_script(marker: str, port_name: str) -> str:
    return INIT_SCRIPT.replace("@MARKER@", marker).replace("@PORT@", port_name)


@record
class Entry:
    """One archive member: a directory, a regular file or a symlink (data = target)."""

    name: str
    mode: int
    data: bytes = b""


class CpioWriter:
    """A `newc` archive built in memory, in the order entries are added."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._inode = 0

    def add(self, entry: Entry) -> None:
        self._inode += 1
        self._member(entry.name, entry.mode, entry.data, self._inode)

    def _member(self, name: str, mode: int, data: bytes, inode: int) -> None:
        encoded = name.encode() + b"\0"
        nlink = 2 if mode & 0o170000 == S_IFDIR else 1
        fields = (inode, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(encoded), 0)
        header = b"070701" + b"".join(b"%08X" % value for value in fields)
        self._parts += [header, encoded, _pad(len(header) + len(encoded)), data, _pad(len(data))]

    def finish(self) -> bytes:
        self._member("TRAILER!!!", 0, b"", 0)
        return b"".join(self._parts)


def _pad(length: int) -> bytes:
    return b"\0" * (-length % 4)


def read_newc(archive: bytes) -> dict[str, Entry]:
    """The members of a `newc` archive by name (tests and `vm guest build` checks)."""
    members: dict[str, Entry] = {}
    offset = 0
    while offset + 110 <= len(archive):
        header = archive[offset : offset + 110]
        if header[:6] != b"070701":
            raise ValueError(f"not a newc header at offset {offset}")
        values = [int(header[6 + 8 * i : 14 + 8 * i], 16) for i in range(13)]
        mode, size, name_size = values[1], values[6], values[11]
        name_start = offset + 110
        name = archive[name_start : name_start + name_size - 1].decode()
        data_start = name_start + name_size + (-(110 + name_size) % 4)
        data = archive[data_start : data_start + size]
        offset = data_start + size + (-size % 4)
        if name == "TRAILER!!!":
            break
        members[name] = Entry(name, mode, data)
    return members


def initrd_archive(
    busybox: bytes,
    applets: list[str],
    modules: list[tuple[str, bytes]],
    init: str,
) -> bytes:
    """The test guest's initrd: directories, busybox with one link per applet, the
    modules and their load order, and /init."""
    writer = CpioWriter()
    for directory in ROOT_DIRS:
        writer.add(Entry(directory, S_IFDIR | 0o755))
    writer.add(Entry("bin/busybox", S_IFREG | 0o755, busybox))
    for applet in sorted(set(applets) - {"busybox", ""}):
        if "/" not in applet:
            writer.add(Entry(f"bin/{applet}", S_IFLNK | 0o777, b"busybox"))
    for name, data in modules:
        writer.add(Entry(f"lib/modules/{name}", S_IFREG | 0o644, data))
    order = "".join(f"{name}\n" for name, _data in modules)
    writer.add(Entry("lib/modules/load.order", S_IFREG | 0o644, order.encode()))
    writer.add(Entry("init", S_IFREG | 0o755, init.encode()))
    return writer.finish()


def is_static_elf(data: bytes) -> bool:
    """A 64-bit little-endian ELF executable without a program interpreter (PT_INTERP):
    it runs in a guest that has no dynamic loader."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return False
    try:
        phoff = struct.unpack_from("<Q", data, 0x20)[0]
        phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
        for index in range(phnum):
            (p_type,) = struct.unpack_from("<I", data, phoff + index * phentsize)
            if p_type == PT_INTERP:
                return False
    except struct.error:
        return False
    return True


def extract_vmlinux(vmlinuz: bytes) -> bytes | None:
    """The uncompressed ELF kernel inside a bzImage (q35 boots it directly, which saves
    seconds of in-guest decompression under TCG); None when there is none."""
    for magic, kind in KERNEL_MAGICS:
        start = vmlinuz.find(magic)
        while start != -1:
            try:
                if kind == "gzip":
                    payload = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(vmlinuz[start:])
                else:
                    fmt = lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE
                    payload = lzma.LZMADecompressor(format=fmt).decompress(vmlinuz[start:])
            except (lzma.LZMAError, zlib.error, EOFError):
                payload = b""
            if payload[:4] == b"\x7fELF":
                return payload
            start = vmlinuz.find(magic, start + 1)
    return None
