"""What the guest does with a `--share`: the command that mounts it (shown by `vm run`,
`vm plan` and `vm inspect`). Light on imports: `vm inspect` needs no configuration."""

from __future__ import annotations

MOUNT_ROOT = "/mnt"


def mount_command(tag: str, mode: str) -> str:
    """The guest's command that mounts a share at /mnt/TAG."""
    target = f"{MOUNT_ROOT}/{tag}"
    if mode == "virtio-fs":
        return f"mkdir -p {target} && mount -t virtiofs {tag} {target}"
    return f"mkdir -p {target} && mount -t 9p -o trans=virtio,version=9p2000.L {tag} {target}"
