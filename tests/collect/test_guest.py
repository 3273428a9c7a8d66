"""Guest image and initrd probes: osbuilder.yaml read in memory or with debugfs, no mounts."""

from __future__ import annotations

import gzip
import lzma
import shutil
import struct
import subprocess

import pytest

from kata_cli.collect.context import Context
from kata_cli.collect.model import Options
from kata_cli.collect.sections import guest_assets as guest

YAML = b"---\nversion: 1\nrootfs-type: ext4\nagent-version: 3.2.0\n"


def newc(files: dict[str, bytes]) -> bytes:
    """A newc cpio archive in memory."""
    out = b""
    for ino, (name, data) in enumerate([*files.items(), ("TRAILER!!!", b"")], start=1):
        encoded = name.encode() + b"\0"
        fields = [ino, 0o100644, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0]
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        out += header + encoded
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return out


ARCHIVE = newc({"etc/hostname": b"guest\n", guest.OSBUILDER: YAML})


def _ctx(fake_host) -> Context:
    return Context(fake_host.host, Options(timeout=5, deadline=30))


def test_cpio_find_walks_the_archive():
    assert guest.cpio_find(ARCHIVE, guest.OSBUILDER) == YAML
    assert guest.cpio_find(ARCHIVE, "missing") is None


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("gzip", gzip.compress(ARCHIVE)),
        ("xz", lzma.compress(ARCHIVE, format=lzma.FORMAT_XZ)),
        ("cpio", ARCHIVE),
    ],
)
def test_initrd_in_memory(fake_host, kind, data):
    fake_host.file("/opt/kata/initrd.img", data)
    item = guest.initrd_probe(_ctx(fake_host), "/opt/kata/initrd.img")
    assert item.status == "ok", item.detail
    assert item.text == YAML.decode()
    assert item.detail == f"{kind} initrd"


def test_early_cpio_followed_by_compressed_payload(fake_host):
    early = newc({"kernel/x86/microcode/GenuineIntel.bin": b"\0" * 10})
    fake_host.file("/i.img", early + b"\0" * 64 + gzip.compress(ARCHIVE))
    item = guest.initrd_probe(_ctx(fake_host), "/i.img")
    assert item.status == "ok" and item.detail == "cpio+gzip initrd"


@pytest.mark.parametrize("tool", ["zstd", "lz4"])
def test_initrd_with_external_decompressor(fake_host, tool):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")
    data = subprocess.run([tool, "-c"], input=ARCHIVE, capture_output=True, check=True).stdout
    fake_host.file("/i.img", data)
    item = guest.initrd_probe(_ctx(fake_host), "/i.img")
    assert item.status == "ok", item.detail
    assert item.text == YAML.decode()


def test_initrd_failures_say_why(fake_host):
    ctx = _ctx(fake_host)
    missing = guest.initrd_probe(ctx, "/nope.img")
    assert (
        missing.status == "not-found"
        and missing.detail == "could not read: No such file or directory"
    )
    fake_host.file("/junk.img", b"\x00\x01\x02\x03junk")
    junk = guest.initrd_probe(ctx, "/junk.img")
    assert junk.status == "failed"
    assert junk.detail.startswith("could not read: unknown compression")
    fake_host.file("/empty.img", gzip.compress(newc({"etc/x": b""})))
    empty = guest.initrd_probe(ctx, "/empty.img")
    assert empty.detail == f"could not read: gzip archive has no /{guest.OSBUILDER}"


def _mbr(start_sector: int) -> bytes:
    mbr = bytearray(512)
    mbr[446 + 4] = 0x83
    struct.pack_into("<II", mbr, 446 + 8, start_sector, 8192)
    mbr[510:512] = b"\x55\xaa"
    return bytes(mbr)


def test_ext4_image_partition_read_with_debugfs(fake_host, tmp_path):
    if not shutil.which("mkfs.ext4") or not shutil.which("debugfs"):
        pytest.skip("e2fsprogs is not installed")
    tree = tmp_path / "rootfs"
    (tree / "var/lib/osbuilder").mkdir(parents=True)
    (tree / "var/lib/osbuilder/osbuilder.yaml").write_bytes(YAML)
    image = fake_host.file("/opt/kata/kata.img", b"")
    with image.open("wb") as handle:
        handle.truncate(6 * 1024 * 1024)
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-E", "offset=1048576", "-d", str(tree), str(image), "4M"],
        check=True,
        capture_output=True,
    )
    with image.open("r+b") as handle:
        handle.write(_mbr(2048))
    item = guest.image_probe(_ctx(fake_host), "/opt/kata/kata.img")
    assert item.status == "ok", item.detail
    assert item.text == YAML.decode()
    assert item.detail == "ext4 partition at byte 1048576, read with debugfs"


def test_unsupported_image_file_system_is_named(fake_host):
    block = bytearray(8192)
    struct.pack_into("<I", block, 1024, guest.EROFS_MAGIC)
    fake_host.file("/erofs.img", bytes(block))
    item = guest.image_probe(_ctx(fake_host), "/erofs.img")
    assert item.status == "failed"
    assert item.detail == "could not read: partition at 0: erofs file system is not supported"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x1f\x8b\x08\x00garbage-garbage", "corrupt gzip data"),
        (gzip.compress(ARCHIVE)[:40], "truncated gzip data"),
        (b"\xfd7zXZ\x00garbage", "corrupt xz data"),
        (lzma.compress(ARCHIVE, format=lzma.FORMAT_XZ)[:80], "truncated xz data"),
        (b"070701" + b"z" * 200, "corrupt cpio header at byte 0"),
    ],
)
def test_corrupt_initrds_are_findings(fake_host, data, reason):
    """A broken initrd says what is wrong with it; it never breaks the section."""
    fake_host.file("/bad.img", data)
    item = guest.initrd_probe(_ctx(fake_host), "/bad.img")
    assert item.status == "failed"
    assert item.detail.startswith(f"could not read: {reason}"), item.detail


@pytest.mark.parametrize("kind", ["gzip", "xz"])
def test_decompression_is_bounded(fake_host, monkeypatch, kind):
    monkeypatch.setattr(guest, "MAX_UNPACKED", 4096)
    big = newc({"filler": b"\0" * 100_000, guest.OSBUILDER: YAML})
    data = gzip.compress(big) if kind == "gzip" else lzma.compress(big, format=lzma.FORMAT_XZ)
    fake_host.file("/bomb.img", data)
    item = guest.initrd_probe(_ctx(fake_host), "/bomb.img")
    assert item.status == "failed"
    assert item.detail == f"could not read: {kind} payload larger than 0 MiB when unpacked"
