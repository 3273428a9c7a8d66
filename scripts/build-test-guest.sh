#!/usr/bin/env bash
# Build the tiny test guest used by the `vm` tests, `bench/vm.py` and `kata-cli check --boot-guest`.
#
#   kernel: the Debian kernel that `linux-image-amd64` depends on, fetched with
#           `apt-get download` and unpacked with `dpkg-deb` (never installed), then
#           decompressed to an uncompressed `vmlinux` (q35 boots it directly; under TCG
#           that saves seconds of in-guest decompression)
#   initrd: busybox-static plus the virtio/9p/virtiofs modules; its /init prints the
#           ready marker on the serial console and serves one shell per connection on
#           the `kata.debug` virtio-serial port (the host relays hybrid vsock to it)
#
# Output: ${XDG_CACHE_HOME:-$HOME/.cache}/kata-cli/test-guest/<kernel package>-<version>-g<format>/
# with vmlinux, initrd.img and guest.json (written last: its presence means complete).
# Idempotent: a complete cache entry is reused in well under a second. Prints the directory.
# Needs: apt-get, dpkg-deb, depmod/modprobe (kmod), cpio, busybox-static, python3.
set -euo pipefail

GUEST_FORMAT=7
MARKER="KATA-CLI-GUEST-READY"
DEBUG_PORT_NAME="kata.debug"
MODULES="virtio_pci virtio_console virtio_blk virtiofs 9p 9pnet_virtio button evdev"

cache_root="${KATA_CLI_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kata-cli/test-guest}"

meta_pkg="linux-image-amd64"
kernel_package() {
    apt-cache depends "$meta_pkg" 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}'
}
kernel_pkg=$(kernel_package)
if [ -z "$kernel_pkg" ]; then
    # empty package lists (a fresh container): refresh them once
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    kernel_pkg=$(kernel_package)
fi
if [ -z "$kernel_pkg" ]; then
    echo "build-test-guest: cannot tell which kernel package $meta_pkg depends on (apt-get update?)" >&2
    exit 1
fi
kernel_ver=$(apt-cache policy "$kernel_pkg" | awk '/Candidate:/ {print $2; exit}')
# keyed on the guest format too: checkouts of different ages share the cache
out="$cache_root/${kernel_pkg#linux-image-}-${kernel_ver}-g${GUEST_FORMAT}"

if [ -f "$out/guest.json" ] && grep -q "\"format\": $GUEST_FORMAT," "$out/guest.json"; then
    echo "$out"
    exit 0
fi

busybox=""
for candidate in /bin/busybox /usr/bin/busybox; do
    if [ -x "$candidate" ] && ! ldd "$candidate" >/dev/null 2>&1; then busybox=$candidate; break; fi
done
if [ -z "$busybox" ]; then
    echo "build-test-guest: no static busybox (apt-get install busybox-static)" >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kata-cli-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

(cd "$work" && apt-get download -q "$kernel_pkg=$kernel_ver" >/dev/null 2>&1) || {
    echo "build-test-guest: apt-get download $kernel_pkg=$kernel_ver failed" >&2
    exit 1
}
dpkg-deb -x "$work"/*.deb "$work/pkg"
release=$(ls "$work/pkg/lib/modules")
depmod -b "$work/pkg" "$release"

# vmlinuz -> vmlinux: find the compressed payload and inflate it
python3 - "$work/pkg/boot/vmlinuz-$release" "$work/vmlinux" <<'EOF'
import gzip, lzma, sys, zlib

data = open(sys.argv[1], "rb").read()
magics = [(b"\xfd7zXZ\x00", "xz"), (b"\x1f\x8b\x08", "gzip"), (b"\x5d\x00\x00", "lzma")]
for magic, kind in magics:
    start = data.find(magic)
    while start != -1:
        try:
            if kind == "gzip":
                out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[start:])
            else:
                fmt = lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE
                out = lzma.LZMADecompressor(format=fmt).decompress(data[start:])
        except (lzma.LZMAError, zlib.error, EOFError):
            out = b""
        if out[:4] == b"\x7fELF":
            open(sys.argv[2], "wb").write(out)
            sys.exit(0)
        start = data.find(magic, start + 1)
sys.exit("build-test-guest: no ELF kernel found inside " + sys.argv[1])
EOF

root="$work/root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,mnt,etc,lib/modules}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
: >"$root/lib/modules/load.order"
for module in $MODULES; do
    modprobe -d "$work/pkg" -S "$release" --show-depends "$module" | awk '$1 == "insmod" {print $2}' |
        while read -r path; do
            name=$(basename "$path")
            if ! grep -qx "$name" "$root/lib/modules/load.order"; then
                cp "$path" "$root/lib/modules/$name"
                echo "$name" >>"$root/lib/modules/load.order"
            fi
        done
done

cat >"$root/init" <<EOF
#!/bin/sh
# kata-cli test guest init (PID 1)
export PATH=/bin HOME=/ TERM=linux
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
while read -r module; do insmod "/lib/modules/\$module" 2>/dev/null; done </lib/modules/load.order
# the ACPI power button (QMP system_powerdown) powers the guest off at once. Its input
# device shows up asynchronously: find it before saying ready and open it here, so a
# power-down that comes right after the marker is queued by evdev, not lost
button=""
tries=0
while [ -z "\$button" ] && [ \$tries -lt 50 ]; do
    for event in /sys/class/input/event*; do
        if [ "\$(cat "\$event/device/name" 2>/dev/null)" = "Power Button" ]; then
            button="/dev/input/\${event##*/}"
        fi
    done
    [ -n "\$button" ] || { tries=\$((tries + 1)); sleep 0.1; }
done
if [ -c "\$button" ] && [ -r "\$button" ]; then
    exec 4<"\$button"
    # evdev reads whole 24-byte events
    (dd bs=24 count=1 of=/dev/null <&4 2>/dev/null && sync && poweroff -f) &
    exec 4<&-
fi
# the debug console: one shell per host connection (it reads EOF when the host side
# closes). fd 3 keeps the port open between shells: closing it would drop input that
# arrived in between.
for port in /sys/class/virtio-ports/*; do
    if [ "\$(cat "\$port/name" 2>/dev/null)" = "$DEBUG_PORT_NAME" ]; then
        dev="/dev/\${port##*/}"
        (exec 3<>"\$dev"; while :; do setsid sh <&3 >&3 2>&3; sleep 0.2; done) &
    fi
done
echo "$MARKER"
while :; do setsid cttyhack sh; done
EOF
chmod 755 "$root/init"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$work/initrd.img"

mkdir -p "$out"
install -m 0644 "$work/vmlinux" "$out/vmlinux"
install -m 0644 "$work/initrd.img" "$out/initrd.img"
cat >"$work/guest.json" <<EOF
{"format": $GUEST_FORMAT, "kernel_package": "$kernel_pkg", "kernel_version": "$kernel_ver", "release": "$release", "kernel": "vmlinux", "initrd": "initrd.img", "ready_marker": "$MARKER", "debug_port_name": "$DEBUG_PORT_NAME", "console": "ttyS0"}
EOF
install -m 0644 "$work/guest.json" "$out/guest.json"
echo "$out"
