"""Is a container manager installed on the host, so that its configuration file is the
one a running manager reads? A file left behind by a manager that is not installed (a
k3s node with an old `/etc/containerd/config.toml`, a `/etc/crio/crio.conf` after CRI-O
was removed) says nothing about whether a Kata sandbox starts: it is not judged.

Installed means: its program is a file in one of the usual directories under the host
root, or its systemd unit is. Only looked at through `Host`; nothing is run. The
containerd that k3s and RKE2 embed lives under their own data directories and does not
count: it reads its own file (`rancher`).
"""

from __future__ import annotations

from kata_cli.host import Host
from kata_cli.record import record

BIN_DIRS = (
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
    "/opt/bin",
)
UNIT_DIRS = (
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
)


@record(frozen=True)
class Manager:
    """What shows that a manager is installed."""

    label: str
    program: str
    unit: str
    bin_dirs: tuple[str, ...] = BIN_DIRS

    def looked_for(self) -> str:
        """Where it was looked for, for the detail of a file that is not judged."""
        return f"no {self.program} program in {':'.join(self.bin_dirs)}, no {self.unit} unit"


CONTAINERD = Manager(
    "containerd", "containerd", "containerd.service", (*BIN_DIRS, "/opt/containerd/bin")
)
CRIO = Manager("CRI-O", "crio", "crio.service", (*BIN_DIRS, "/opt/crio/bin"))


def evidence(host: Host, manager: Manager) -> str:
    """The program or unit that shows `manager` is installed; "" when there is none."""
    candidates = [f"{d}/{manager.program}" for d in manager.bin_dirs]
    candidates += [f"{d}/{manager.unit}" for d in UNIT_DIRS]
    # kind() follows links inside the root; a unit masked to /dev/null is no file
    return next((c for c in candidates if host.kind(c) == "file"), "")
