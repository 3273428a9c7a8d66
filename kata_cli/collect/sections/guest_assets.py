"""Guest image and initrd: the osbuilder.yaml they carry, read without mounting anything.

Images: the partition table is parsed in-process, ext2/3/4 root file systems are read
with `debugfs` (read-only, through an `?offset=` io option, no loop device); other file
systems are named with the reason they cannot be read. Initrds: the compression is
detected by magic number, gzip and xz are decompressed in-process, zstd and lz4 with
their tools on stdin, and the cpio archive is walked in memory (no temporary directory).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from kata_cli.collect.context import Context
from kata_cli.collect.model import FAILED, NOT_FOUND, Item
from kata_cli.collect.section import Command, Section

OSBUILDER = "var/lib/osbuilder/osbuilder.yaml"
MAX_INITRD = 512 * 1024 * 1024
MAX_UNPACKED = 1024 * 1024 * 1024  # a decompression bomb stops here, with a reason
SECTOR = 512
EXT_MAGIC = 0xEF53
EROFS_MAGIC = 0xE0F5E1E2
XFS_MAGIC = b"XFSB"
# an image's osbuilder.yaml, read from the ext4 partition at `{target}` (path?offset=N)
DEBUGFS = Command(("debugfs", "-R", f"cat /{OSBUILDER}", "{target}"), title="debugfs")
# initrd decompressors fed on stdin (gzip and xz are decompressed in-process)
DECOMPRESSORS = {"zstd": Command(("zstd", "-dc")), "lz4": Command(("lz4", "-dc"))}

COMPRESSIONS = (
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x02\x21\x4c\x18", "lz4"),
    (b"\x04\x22\x4d\x18", "lz4"),
    (b"070701", "cpio"),
    (b"070702", "cpio"),
    (b"070707", "cpio"),
)


class Unreadable(Exception):
    """The osbuilder.yaml cannot be read; the message says why."""


# -- images --------------------------------------------------------------------------------
def partitions(head: bytes) -> list[int]:
    """Byte offsets of the partitions in an MBR or GPT disk image ([0] for a bare fs)."""
    if len(head) < 2 * SECTOR or head[510:512] != b"\x55\xaa":
        return [0]
    entries = [head[446 + 16 * n : 462 + 16 * n] for n in range(4)]
    if any(entry[4] == 0xEE for entry in entries):
        return _gpt_partitions(head)
    offsets = []
    for entry in entries:
        kind, start = entry[4], struct.unpack_from("<I", entry, 8)[0]
        if kind and start:
            offsets.append(start * SECTOR)
    return offsets or [0]


def _gpt_partitions(head: bytes) -> list[int]:
    header = head[SECTOR : 2 * SECTOR]
    if header[:8] != b"EFI PART":
        return [0]
    table_lba, count, size = struct.unpack_from("<QII", header, 72)
    offsets = []
    for n in range(min(count, 128)):
        start = table_lba * SECTOR + n * size
        entry = head[start : start + size]
        if len(entry) < 40 or entry[:16] == b"\0" * 16:
            continue
        offsets.append(struct.unpack_from("<Q", entry, 32)[0] * SECTOR)
    return offsets or [0]


def filesystem(block: bytes) -> str:
    """The file system whose superblock starts `block` (read from a partition's start)."""
    if len(block) >= 1082 and struct.unpack_from("<H", block, 1080)[0] == EXT_MAGIC:
        return "ext4"
    if len(block) >= 1028 and struct.unpack_from("<I", block, 1024)[0] == EROFS_MAGIC:
        return "erofs"
    if block[:4] == XFS_MAGIC:
        return "xfs"
    return "unknown"


def image_probe(ctx: Context, path: str) -> Item:
    item = Item("file", f"Image {path}", path=path, lang="yaml")
    try:
        head = ctx.read_head(path, limit=64 * 1024)
        # debugfs opens a path: the image's, resolved inside the root
        local = path if ctx.options.chroot else str(ctx.host.local_path(path))
    except OSError as exc:
        item.status, item.detail = _read_error(exc)
        return item
    offsets = partitions(head)
    reasons = []
    for offset in offsets:
        try:
            block = _read_at(ctx, path, offset, 4096)
        except OSError as exc:
            reasons.append(f"partition at {offset}: {exc.strerror or exc}")
            continue
        kind = filesystem(block)
        if kind != "ext4":
            reasons.append(f"partition at {offset}: {kind} file system is not supported")
            continue
        target = f"{local}?offset={offset}" if offset else local
        run = ctx.command(DEBUGFS, target=target)
        if run.status == "ok" and run.text.strip() and "File not found" not in run.text:
            item.text = _strip_debugfs_banner(run.text)
            item.detail = f"ext4 partition at byte {offset}, read with debugfs"
            return item
        reasons.append(f"partition at {offset}: debugfs {run.detail or run.status}")
    item.status = FAILED
    item.detail = "could not read: " + "; ".join(reasons or ["no partition found"])
    return item


def _read_at(ctx: Context, path: str, offset: int, size: int) -> bytes:
    # Host has no seek; images are read up to the partition start (offsets are small)
    if offset > 64 * 1024 * 1024:
        raise OSError(0, f"partition offset {offset} too large to probe")
    return ctx.read_head(path, limit=offset + size)[offset:]


def _strip_debugfs_banner(text: str) -> str:
    lines = [line for line in text.splitlines() if not line.startswith("debugfs ")]
    return "\n".join(lines).strip("\n") + "\n"


# -- initrds -------------------------------------------------------------------------------
def compression(data: bytes) -> str:
    for magic, name in COMPRESSIONS:
        if data.startswith(magic):
            return name
    return "unknown"


def decompress(ctx: Context, data: bytes, kind: str) -> bytes:
    """The decompressed payload, at most MAX_UNPACKED bytes; Unreadable says what went wrong."""
    if kind in ("gzip", "xz"):
        try:
            return _decompress_in_process(data, kind)
        except Unreadable:
            raise
        except Exception as exc:  # zlib.error, lzma.LZMAError, EOFError: corrupt data
            raise Unreadable(f"corrupt {kind} data ({exc})") from None
    if kind in DECOMPRESSORS:
        result = ctx.pipe(DECOMPRESSORS[kind], data, max_output=MAX_UNPACKED + 1)
        if result is None:
            raise Unreadable(f"{kind}-compressed and the {kind} program is not installed")
        if len(result.stdout) > MAX_UNPACKED:
            raise Unreadable(_too_large(kind))
        if not result.stdout:
            raise Unreadable(f"{kind} -dc: {result.describe()}")
        return result.stdout
    raise Unreadable(f"unknown compression (first bytes {data[:6].hex()})")


def _decompress_in_process(data: bytes, kind: str) -> bytes:
    if kind == "gzip":
        import zlib

        # wbits 16+MAX_WBITS: gzip container; trailing data (a second archive) is ignored
        gz = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = gz.decompress(data, MAX_UNPACKED)
        if gz.unconsumed_tail:
            raise Unreadable(_too_large(kind))
        if not gz.eof:
            raise Unreadable("truncated gzip data")
        return out
    import lzma

    xz = lzma.LZMADecompressor()
    out = xz.decompress(data, MAX_UNPACKED)
    if not xz.eof:
        raise Unreadable("truncated xz data" if xz.needs_input else _too_large(kind))
    return out


def _too_large(kind: str) -> str:
    return f"{kind} payload larger than {MAX_UNPACKED // (1024 * 1024)} MiB when unpacked"


def cpio_find(data: bytes, wanted: str) -> bytes | None:
    """The contents of `wanted` in a newc/crc cpio archive held in memory, or None."""
    pos = 0
    while pos + 110 <= len(data):
        magic = data[pos : pos + 6]
        if magic not in (b"070701", b"070702"):
            return None
        try:
            fields = [int(data[pos + 6 + 8 * n : pos + 14 + 8 * n], 16) for n in range(13)]
        except ValueError:
            raise Unreadable(f"corrupt cpio header at byte {pos}") from None
        size, namesize = fields[6], fields[11]
        name_start = pos + 110
        name = data[name_start : name_start + namesize - 1].decode("utf-8", "replace")
        body = name_start + namesize
        body += -body % 4
        if name == "TRAILER!!!":
            return None
        if name.lstrip("./") == wanted:
            return data[body : body + size]
        pos = body + size
        pos += -pos % 4
    return None


def initrd_osbuilder(ctx: Context, data: bytes) -> tuple[str, bytes | None]:
    """(compression, osbuilder.yaml or None); handles an uncompressed cpio then a payload."""
    kind = compression(data)
    if kind == "cpio":
        found = cpio_find(data, OSBUILDER)
        if found is not None:
            return kind, found
        end = data.find(b"TRAILER!!!")
        rest = data[end + 10 :].lstrip(b"\0") if end >= 0 else b""
        if rest:
            inner, found = initrd_osbuilder(ctx, rest)
            return f"cpio+{inner}", found
        return kind, None
    return kind, cpio_find(decompress(ctx, data, kind), OSBUILDER)


def initrd_probe(ctx: Context, path: str) -> Item:
    item = Item("file", f"Initrd {path}", path=path, lang="yaml")
    try:
        data = ctx.read_head(path, limit=MAX_INITRD)
    except OSError as exc:
        item.status, item.detail = _read_error(exc)
        return item
    try:
        kind, found = initrd_osbuilder(ctx, data)
    except (Unreadable, OSError, EOFError, ValueError) as exc:
        item.status, item.detail = FAILED, f"could not read: {exc}"
        return item
    if found is None:
        item.status, item.detail = FAILED, f"could not read: {kind} archive has no /{OSBUILDER}"
        return item
    item.text = found.decode("utf-8", "replace")
    item.detail = f"{kind} initrd"
    return item


def _read_error(exc: OSError) -> tuple[str, str]:
    status = NOT_FOUND if isinstance(exc, FileNotFoundError) else FAILED
    return status, f"could not read: {exc.strerror or exc}"


def probe(ctx: Context) -> Iterator[Item]:
    config = ctx.config()
    if config is None:
        yield ctx.unconfigured("Guest assets")
        return
    image, initrd = config.hypervisor.image, config.hypervisor.initrd
    if image:
        yield image_probe(ctx, image)
    if initrd:
        yield initrd_probe(ctx, initrd)
    if not image and not initrd:
        yield Item("text", "Guest assets", text="The configuration names no image and no initrd.\n")


SECTION = Section(
    id="guest",
    title="Image details",
    description="osbuilder.yaml of the configured guest image (debugfs, no mount) or "
    "initrd (gzip/zstd/xz/lz4/cpio detected by magic number, read in memory).",
    probe=probe,
    uses=(DEBUGFS, *DECOMPRESSORS.values()),
    reads=("{image}", "{initrd}"),  # the configured guest assets
)
