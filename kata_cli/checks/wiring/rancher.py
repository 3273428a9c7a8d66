"""The containerd that k3s and RKE2 embed, and the file it reads.

k3s runs its own containerd with `<agent>/etc/containerd/config.toml`, which it writes at
every start: from `config-v3.toml.tmpl` (releases with containerd 2) or
`config.toml.tmpl` in the same directory when one exists, else from its built-in default.
RKE2 shares that agent code under `/var/lib/rancher/rke2`. So:

* with no template, a hand edit of `config.toml` lasts until the next start;
* a template newer than `config.toml` (or without one) has not been rendered yet: it is
  what the next start uses. When it is plain TOML (no `{{` action) it renders as itself
  and is judged; a Go template, or a file that does not parse, cannot be judged here
  (its problem is recorded, `config.toml` is judged as what runs now when it exists);
* a `config.toml` newer than the template was rendered from it.

Everything is read through `Host`, bounded like containerd's own files; nothing is run
(the embedded containerd is not on PATH, and is the host's program anyway).
"""

from __future__ import annotations

from kata_cli.checks.wiring import containerd
from kata_cli.checks.wiring.tomlfiles import MAX_FILE_BYTES, TomlFileError, glob, read_toml
from kata_cli.host import Host
from kata_cli.record import record

TEMPLATES = ("config-v3.toml.tmpl", "config.toml.tmpl")  # k3s with containerd 2 tries v3 first
MAX_DATA_DIRS = 16


@record(frozen=True)
class Distribution:
    """A Kubernetes distribution that embeds containerd."""

    key: str  # in check ids: wiring.<key>.*
    label: str  # in text
    data_dir: str
    restart: str  # how its containerd is restarted
    bin_dirs: tuple[str, ...]  # put before PATH for its containerd
    fallback_bin_glob: str = ""  # where its binaries are when bin_dirs do not exist
    after_path: tuple[str, ...] = ()  # put after PATH (the host's own tools win)

    @property
    def containerd_dir(self) -> str:
        return f"{self.data_dir}/agent/etc/containerd"

    @property
    def config(self) -> str:
        return f"{self.containerd_dir}/config.toml"

    @property
    def templates(self) -> tuple[str, ...]:
        return tuple(f"{self.containerd_dir}/{name}" for name in TEMPLATES)

    def search_path(self, host: Host, system: tuple[str, ...]) -> tuple[str, ...]:
        """The directories its containerd finds shims in: its own binaries, the system
        PATH, then its auxiliary tools. k3s runs from `data/current`; without that link
        (an extracted but never started release) every `data/*/bin` stands in."""
        own = tuple(d for d in self.bin_dirs if host.is_dir(d))
        if not own and self.fallback_bin_glob:
            own = tuple(glob(host, self.fallback_bin_glob)[:MAX_DATA_DIRS])
        last = tuple(d for d in self.after_path if host.is_dir(d))
        return own + tuple(d for d in system if d not in own) + last


K3S = Distribution(
    key="k3s",
    label="k3s",
    data_dir="/var/lib/rancher/k3s",
    restart="systemctl restart k3s (k3s-agent on agents)",
    bin_dirs=("/var/lib/rancher/k3s/data/current/bin",),
    fallback_bin_glob="/var/lib/rancher/k3s/data/*/bin",
    after_path=("/var/lib/rancher/k3s/data/current/bin/aux",),
)
RKE2 = Distribution(
    key="rke2",
    label="RKE2",
    data_dir="/var/lib/rancher/rke2",
    restart="systemctl restart rke2-server (rke2-agent on agents)",
    bin_dirs=("/var/lib/rancher/rke2/bin",),
)
DISTRIBUTIONS = (K3S, RKE2)

RENDERED = "rendered"  # config.toml is newer: the last start rendered it from the template
PENDING = "pending"  # newer than config.toml, or config.toml is absent: the next start uses it


@record
class Template:
    path: str
    state: str  # RENDERED | PENDING
    problem: str = ""  # why a pending template cannot be judged ("" when it can)
    others: tuple[str, ...] = ()  # further templates present, not used by this release
    why: str = ""  # why it is pending when not by its time

    @property
    def judged(self) -> bool:
        return self.state == PENDING and not self.problem


@record
class Embedded:
    """What was found of one distribution's containerd configuration."""

    distribution: Distribution
    config_exists: bool
    template: Template | None
    # what is judged: the pending template when it can be, else config.toml; None when
    # neither can be (only a template that cannot be judged)
    config: containerd.ContainerdConfig | None
    # the Kata handlers of the plain TOML template config.toml was rendered from (None:
    # no such template, or one that cannot be read as TOML)
    rendered_handlers: tuple[str, ...] | None = None

    @property
    def judges_template(self) -> bool:
        return self.template is not None and self.template.judged

    def lost_at_restart(self) -> list[str]:
        """Kata handlers written into config.toml itself that no template renders again:
        with no template, or one rendered before the edit that does not have them (a plain
        TOML template renders as itself), the next start rewrites the file without them."""
        if self.config is None:
            return []
        if self.template is not None and self.rendered_handlers is None:
            return []
        kept = self.rendered_handlers or ()
        own = self.distribution.config
        files = self.config.handler_files
        return [
            h.name
            for h in self.config.handlers()
            if files.get(h.name) == [own] and h.name not in kept
        ]


def load(host: Host, distribution: Distribution) -> Embedded | None:
    """The distribution's containerd configuration; None when it has neither
    `config.toml` nor a template under the host root."""
    config_path = distribution.config
    present = [p for p in distribution.templates if host.lexists(p)]
    config_exists = host.lexists(config_path)
    if not config_exists and not present:
        return None
    template = _template(host, present, config_path if config_exists else "") if present else None
    if template is not None and template.judged:
        judged: containerd.ContainerdConfig | None = containerd.read_files(host, template.path)
    elif config_exists:
        judged = containerd.read_files(host, config_path)
    else:
        judged = None
    rendered_handlers = None
    if template is not None and template.state == RENDERED and not _problem(host, template.path):
        source = containerd.read_files(host, template.path)
        if not source.errors:
            rendered_handlers = tuple(h.name for h in source.handlers())
    return Embedded(distribution, config_exists, template, judged, rendered_handlers)


def _template(host: Host, present: list[str], config_path: str) -> Template:
    path, others = present[0], tuple(present[1:])
    if host.kind(path) not in ("file", "missing"):
        # a FIFO, a directory: the next start reads it whatever its time, and cannot
        # render it (a FIFO blocks it)
        why = "the next start reads it whatever its modification time"
        return Template(path, PENDING, problem=_problem(host, path), others=others, why=why)
    if config_path and _newer_or_same(host, config_path, path):
        return Template(path, RENDERED, others=others)
    return Template(path, PENDING, problem=_problem(host, path), others=others)


def _newer_or_same(host: Host, config_path: str, template_path: str) -> bool:
    """Is config.toml at least as new as the template (so rendered from it)? A file whose
    time cannot be read counts as not rendered: the template is then looked at."""
    try:
        return host.stat(config_path).st_mtime >= host.stat(template_path).st_mtime
    except (OSError, ValueError):
        return False


def _problem(host: Host, path: str) -> str:
    """Why a template cannot be judged as the TOML it renders to; "" when it can."""
    try:
        data = host.read_bytes(path, limit=MAX_FILE_BYTES + 1)
    except OSError:
        data = None  # read_toml below names the reason
    if data is not None and len(data) <= MAX_FILE_BYTES:
        action = data.find(b"{{")
        if action >= 0:
            line = data.count(b"\n", 0, action) + 1
            return (
                f"{path}: a Go template (an action at line {line}), not TOML: kata-cli "
                "does not render it"
            )
    try:
        read_toml(host, path)
    except TomlFileError as exc:
        return str(exc)
    return ""
