"""Container managers that exist on the host: docker, kubernetes, containerd, crio, podman.

Each is its own section, omitted quietly when its program is not installed. Their
configuration files carry registry credentials and proxy passwords: they are shown
because they matter for bugs, and the redactor scrubs them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from kata_cli.collect.context import Context
from kata_cli.collect.model import FAILED, Item
from kata_cli.collect.section import Command, Section

SYSTEMD_PROPERTIES = (
    "Id,LoadState,ActiveState,SubState,Result,MainPID,NRestarts,FragmentPath,DropInPaths,"
    "ExecStart,Environment,EnvironmentFiles"
)
CONTAINERD_CONFIGS = (
    "/etc/containerd/config.toml",
    "/etc/containerd/conf.d/*.toml",
    # the containerd k3s and RKE2 embed: the file they write at every start, the templates
    # they write it from, the drop-in directories recent releases import
    *(
        f"/var/lib/rancher/{dist}/agent/etc/containerd/{name}"
        for dist in ("k3s", "rke2")
        for name in (
            "config.toml",
            "config-v3.toml.tmpl",
            "config.toml.tmpl",
            "config-v3.toml.d/*.toml",
            "config.toml.d/*.toml",
        )
    ),
)


def systemd_running(ctx: Context) -> bool:
    return ctx.host.is_dir("/run/systemd/system")


def _without_systemd(ctx: Context) -> str | None:
    return None if systemd_running(ctx) else "systemd is not running on this host"


def unit(name: str) -> Command:
    """`systemctl show` of a unit's state, command line and environment (redacted later)."""
    return Command(
        ("systemctl", "show", name, f"--property={SYSTEMD_PROPERTIES}"),
        title=f"systemctl show {name}",
        unless=_without_systemd,
    )


def kata_runtime_handlers(text: str) -> dict[str, Any]:
    """containerd runtime tables whose name or runtime_type mentions kata (a file past the
    TOML limits raises ValueError like any invalid one, never RecursionError)."""
    from kata_cli.config import tomlread

    found: dict[str, Any] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if not isinstance(node, dict):
            return
        if len(path) >= 2 and path[-2] == "runtimes":
            kind = str(node.get("runtime_type", ""))
            if "kata" in path[-1] or "kata" in kind:
                found[".".join(path)] = node
                return
        for key, value in node.items():
            walk(value, (*path, key))

    walk(tomlread.loads(text), ())
    return found


def containerd_probe(ctx: Context) -> Iterator[Item]:
    for path in ctx.expand(CONTAINERD_CONFIGS):
        item = ctx.read_file(path, lang="toml")
        yield item
        if item.status != "ok" or path.endswith(".tmpl"):
            continue
        try:
            handlers = kata_runtime_handlers(item.text)
        except ValueError as exc:
            yield Item("text", f"Kata runtime handlers in {path}", status=FAILED, detail=str(exc))
            continue
        text = json.dumps(handlers, indent=2, default=str) + "\n" if handlers else ""
        yield Item(
            "data",
            f"Kata runtime handlers in {path}",
            text=text or "No kata runtime handler is configured.\n",
            lang="json" if handlers else "",
            data=handlers,
        )


DOCKER = Section(
    id="docker",
    title="Docker",
    description="docker version and info, the docker unit, daemon.json and the client config.",
    commands=(Command(("docker", "version")), Command(("docker", "info")), unit("docker")),
    files=("/etc/docker/daemon.json", "/root/.docker/config.json"),
    requires=("docker",),
)
KUBERNETES = Section(
    id="kubernetes",
    title="Kubernetes",
    description="kubectl version and config view (secrets redacted), the kubelet unit.",
    commands=(
        Command(("kubectl", "version")),
        Command(("kubectl", "config", "view"), lang="yaml"),
        Command(("kubectl", "get", "runtimeclass", "-o", "wide")),
        unit("kubelet"),
    ),
    requires=("kubectl",),
)
CONTAINERD = Section(
    id="containerd",
    title="containerd",
    description="containerd version, unit, configuration files (k3s and RKE2 too) and the "
    "kata runtime handler stanzas extracted from them.",
    commands=(Command(("containerd", "--version")), unit("containerd")),
    probe=containerd_probe,  # each file followed by the kata handlers extracted from it
    reads=CONTAINERD_CONFIGS,
    requires=("containerd", "k3s", "rke2"),
)
CRIO = Section(
    id="crio",
    title="CRI-O",
    description="crio version and effective configuration, the crio unit, its config files.",
    commands=(
        Command(("crio", "--version")),
        Command(("crio", "config"), lang="toml"),
        unit("crio"),
    ),
    files=("/etc/crio/crio.conf", "/etc/crio/crio.conf.d/*"),
    files_lang="toml",
    requires=("crio",),
)
PODMAN = Section(
    id="podman",
    title="Podman",
    description="podman version and system info, containers.conf, registries, auth.json.",
    commands=(Command(("podman", "--version")), Command(("podman", "system", "info"))),
    files=(
        "/etc/containers/*.conf",
        "/etc/containers/*.json",
        "/usr/share/containers/*.conf",
        "/usr/share/containers/*.json",
        "/run/containers/0/auth.json",
    ),
    requires=("podman",),
)
SECTIONS = (DOCKER, KUBERNETES, CONTAINERD, CRIO, PODMAN)
