"""Shared fixtures: fake hosts (fixture trees) and the CLI runner."""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import settings as hypothesis_settings

from kata_cli.environment import Environment
from kata_cli.host import Host

# Property tests run the same examples on every run (CI must not flake on a new draw);
# HYPOTHESIS_RANDOM=1 draws new examples instead.
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(
    "explore" if os.environ.get("HYPOTHESIS_RANDOM") == "1" else "repeatable"
)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
KATA_CONFIGS = SHARED / "kata-configs"

INTEL_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov vmx lm sse4_1 sse4_2 popcnt"
)
AMD_FLAGS = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov svm lm sse4_1 sse4_2 popcnt"
)

MINIMAL_QEMU_CONFIG = """\
[hypervisor.qemu]
path = "/opt/kata/bin/qemu-system-x86_64"
kernel = "/opt/kata/share/kata-containers/vmlinux.container"
image = "/opt/kata/share/kata-containers/kata-containers.img"
machine_type = "q35"
default_vcpus = 1
default_memory = 2048
shared_fs = "virtio-fs"
virtio_fs_daemon = "/opt/kata/libexec/virtiofsd"
block_device_driver = "virtio-scsi"
disable_block_device_use = false
kernel_params = "cgroup_no_v1=all"

[agent.kata]
dial_timeout = 45

[runtime]
internetworking_model = "tcfilter"
disable_guest_seccomp = true
"""


def kata_config_files(flavour: str | None = None) -> list[Path]:
    """The shipped Kata 4.1.0 configuration files in ../shared (empty when absent)."""
    dirs = [flavour] if flavour else ["go", "rs"]
    files: list[Path] = []
    for name in dirs:
        files += sorted((KATA_CONFIGS / name).glob("*.toml"))
    return files


NO_KATA_CONFIGS = (
    "../shared/kata-configs (the shipped Kata 4.1.0 configurations) is not beside this checkout"
)


def require_kata_configs() -> None:
    if not kata_config_files():
        pytest.skip(NO_KATA_CONFIGS)


def shipped_config_params(paths: list[Path]) -> list[Any]:
    """`parametrize` values for shipped configuration files: one visibly skipped case
    when ../shared is absent (an empty list would only say "got empty parameter set")."""
    if not paths:
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_KATA_CONFIGS))]
    return [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in paths]


def pytest_report_header(config: pytest.Config) -> str:
    if kata_config_files():
        return f"kata-configs: {KATA_CONFIGS}"
    return f"kata-configs: absent; tests that read them are skipped ({NO_KATA_CONFIGS})"


class FakeHost:
    """Builds a host file system under a temporary root.

    Device nodes are made as real character devices when possible (root), sockets as
    real Unix sockets, so checks that look at the file type see what a host shows.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._sockets: list[socket.socket] = []
        self.env: Environment | None = None  # None: the test process's own
        # a Host subclass that fakes one operation (a program's result, a denied access)
        self.host_type: type[Host] = Host

    @property
    def host(self) -> Host:
        return self.host_type(self.root, self.env)

    def local(self, host_path: str) -> Path:
        return self.root / host_path.lstrip("/")

    def file(self, host_path: str, text: str | bytes = "", mode: int | None = None) -> Path:
        path = self.local(host_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        if mode is not None:
            path.chmod(mode)
        return path

    def executable(self, host_path: str, script: str = "#!/bin/sh\nexit 0\n") -> Path:
        return self.file(host_path, script, mode=0o755)

    def dir(self, host_path: str) -> Path:
        path = self.local(host_path)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def symlink(self, host_path: str, target: str) -> Path:
        path = self.local(host_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)
        return path

    def char_device(self, host_path: str, major: int = 10, minor: int = 232) -> Path:
        path = self.local(host_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(major, minor))
        except PermissionError:
            pytest.skip("creating device nodes needs root")
        return path

    def unix_socket(self, host_path: str) -> Path:
        path = self.local(host_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(path))
        self._sockets.append(sock)
        return path

    def remove(self, host_path: str) -> None:
        path = self.local(host_path)
        if path.is_dir() and not path.is_symlink():
            import shutil

            shutil.rmtree(path)
        else:
            path.unlink()

    # -- presets ------------------------------------------------------------------------
    def cpuinfo(
        self,
        vendor: str = "GenuineIntel",
        flags: str = INTEL_FLAGS,
        model: str = "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
        cpus: int = 2,
    ) -> None:
        blocks = []
        for index in range(cpus):
            blocks.append(
                f"processor\t: {index}\nvendor_id\t: {vendor}\ncpu family\t: 6\n"
                f"model\t\t: 106\nmodel name\t: {model}\nflags\t\t: {flags}\n"
            )
        self.file("/proc/cpuinfo", "\n".join(blocks) + "\n")

    def modules(self, *names: str) -> None:
        for name in names:
            self.dir(f"/sys/module/{name}")

    def module_param(self, module: str, param: str, value: str) -> None:
        self.file(f"/sys/module/{module}/parameters/{param}", value + "\n")

    def meminfo(
        self, total_kb: int = 16384000, free_kb: int = 8000000, available_kb: int = 12000000
    ) -> None:
        self.file(
            "/proc/meminfo",
            f"MemTotal:       {total_kb} kB\nMemFree:        {free_kb} kB\n"
            f"MemAvailable:   {available_kb} kB\nBuffers:          1000 kB\n",
        )

    def os_release(self, name: str = "Debian GNU/Linux", version: str = "12") -> None:
        self.file(
            "/etc/os-release",
            f'PRETTY_NAME="{name} {version}"\nNAME="{name}"\nVERSION_ID="{version}"\n',
        )

    def proc_version(self, release: str = "6.1.0-28-amd64") -> None:
        self.file(
            "/proc/version", f"Linux version {release} (debian-kernel@lists.debian.org) #1 SMP\n"
        )

    def config(
        self,
        text: str = MINIMAL_QEMU_CONFIG,
        path: str = "/etc/kata-containers/configuration.toml",
    ) -> Path:
        return self.file(path, textwrap.dedent(text))

    def assets(self, config_text: str = MINIMAL_QEMU_CONFIG) -> None:
        """Create the hypervisor, kernel, image and virtiofsd the config names."""
        import tomllib

        data = tomllib.loads(config_text)
        for table in data.get("hypervisor", {}).values():
            for key in ("path", "virtio_fs_daemon", "jailer_path"):
                if table.get(key):
                    self.executable(table[key])
            for key in ("kernel", "image", "initrd", "firmware"):
                if table.get(key):
                    self.file(table[key], b"\x7fELF" + b"\0" * 64)

    def vhost_vsock(self) -> Path:
        """/dev/vhost-vsock as the kernel makes it (10:241); the test skips without root."""
        return self.char_device("/dev/vhost-vsock", 10, 241)

    def installed(self) -> FakeHost:
        """What Kata needs beyond the hardware presets to be capable with their qemu
        configuration: the assets it names and /dev/vhost-vsock."""
        self.assets()
        self.vhost_vsock()
        return self

    def manager(self, *programs: str) -> FakeHost:
        """Container managers installed: their program (`containerd`, `crio`) in
        /usr/bin, so that check judges their configuration files (a file of a manager
        that is not installed is left over, and not judged)."""
        for program in programs:
            self.executable(f"/usr/bin/{program}")
        return self

    def intel(self) -> FakeHost:
        """An Intel host with KVM: flags, modules, meminfo, os-release, kernel, a qemu
        configuration (`.installed()` adds its assets and /dev/vhost-vsock)."""
        self.cpuinfo()
        self.modules("kvm", "kvm_intel", "vhost", "vhost_net", "vhost_vsock")
        self._common()
        return self

    def amd(self) -> FakeHost:
        self.cpuinfo(
            vendor="AuthenticAMD", flags=AMD_FLAGS, model="AMD EPYC 7763 64-Core Processor"
        )
        self.modules("kvm", "kvm_amd", "vhost", "vhost_net", "vhost_vsock")
        self._common()
        return self

    def no_kvm(self) -> FakeHost:
        """A host without virtualization: no vmx/svm flag, no kvm modules."""
        self.cpuinfo(flags="fpu vme de pse tsc msr pae lm sse4_1 hypervisor")
        self._common()
        return self

    def _common(self) -> None:
        self.meminfo()
        self.os_release()
        self.proc_version()
        self.config()

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def fake_host(tmp_path: Path) -> Iterator[FakeHost]:
    host = FakeHost(tmp_path / "host")
    yield host
    host.close()


class HostProgramsRun(Host):
    """Runs programs named by host data from a fixture root, as they run with the root
    `/` (a fixture root is never `/`, where kata-cli does not run them at all)."""

    def run_host_program(self, host_path: str, args=(), *, timeout: float, **_: Any):  # type: ignore[no-untyped-def]
        from kata_cli.host import run_command

        return run_command([str(self.local_path(host_path)), *args], timeout=timeout)


@pytest.fixture
def host_programs_run(fake_host: FakeHost) -> None:
    fake_host.host_type = HostProgramsRun


def host_denying_reads(*host_paths: str) -> type[Host]:
    """A Host type whose reads of `host_paths` fail as a permission denial does (tests
    run as root, where chmod 000 stops no read)."""
    denied = frozenset(host_paths)

    class DenyingReads(Host):
        def read_bytes(self, host_path: str, limit: int | None = None) -> bytes:
            if host_path in denied:
                raise PermissionError(errno.EACCES, "Permission denied", str(self.path(host_path)))
            return super().read_bytes(host_path, limit)

    return DenyingReads


SECRET = "OUTSIDE-SECRET-7f3a"  # planted outside the host root: must never be read


class HostileHost:
    """A fixture host with an attacker's furniture: files, sockets and devices planted
    OUTSIDE the root, and symbolic links inside it that point there in every way
    (absolute, relative, `..` chains, loops, chains of 41, dangling, directories).

    `outside` is a sibling of the root; anything read from it carries SECRET.
    """

    def __init__(self, fake: FakeHost, outside: Path) -> None:
        self.fake = fake
        self.outside = outside
        outside.mkdir(parents=True, exist_ok=True)
        self._sockets: list[socket.socket] = []
        for rel in (
            "secret",
            "etc/passwd",
            "etc/kata-containers/configuration.toml",
            "opt/kata/share/kata-containers/vmlinux-6.1",
            "var/log/syslog",
            "etc/containerd/config.toml",
        ):
            target = outside / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"{SECRET} {rel}\n")
        (outside / "bin").mkdir(exist_ok=True)
        (outside / "bin/tool").write_text(f"#!/bin/sh\necho {SECRET}\n")
        (outside / "bin/tool").chmod(0o755)
        self.outside_socket = outside / "outside.sock"
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.outside_socket))
        server.listen(8)
        self.outside_server = server
        self._sockets.append(server)

    @property
    def root(self) -> Path:
        return self.fake.root

    @property
    def host(self) -> Host:
        return self.fake.host

    def up(self, host_path: str) -> str:
        """A relative target from `host_path`'s directory that climbs to the real `/`."""
        depth = len(Path(host_path).parent.parts) - 1 + len(self.root.parts) - 1
        return "../" * (depth + 3)

    def escaping_links(self, host_path: str, outside_rel: str) -> dict[str, str]:
        """Every way a link at `host_path` can name `outside/<outside_rel>`: kind -> target."""
        absolute = str(self.outside / outside_rel)
        return {
            "absolute": absolute,
            "relative": self.up(host_path) + absolute.lstrip("/"),
            "dotdot-chain": "/../../../.." + absolute,
        }

    def link(self, host_path: str, target: str) -> Path:
        local = self.fake.local(host_path)
        if local.is_symlink() or local.is_file():
            local.unlink()
        return self.fake.symlink(host_path, target)

    def loop(self, host_path: str) -> None:
        self.link(host_path, host_path + ".b")
        self.link(host_path + ".b", host_path)

    def chain(self, host_path: str, length: int, final: str) -> None:
        """`host_path` -> host_path.1 -> ... -> host_path.<length-1> -> final."""
        names = [host_path] + [f"{host_path}.{i}" for i in range(1, length)]
        for here, there in zip(names, [*names[1:], final], strict=True):
            self.link(here, there)

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def hostile_host(tmp_path: Path) -> Iterator[HostileHost]:
    fake = FakeHost(tmp_path / "host")
    hostile = HostileHost(fake, tmp_path / "outside")
    yield hostile
    hostile.close()
    fake.close()


@pytest.fixture
def kvm_device(fake_host: FakeHost) -> Path:
    """/dev/kvm as a real character device (10:232) when we may mknod; skips otherwise."""
    return fake_host.char_device("/dev/kvm", 10, 232)


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Cli:
    """Runs kata-cli in-process as the entry point does (`kata_cli.main.dispatch`: the fast
    path for everyday `check`/`env`, else click; the real exit-status funnel).
    `click_only` skips the fast path."""

    def __init__(self, env: dict[str, str | None], click_only: bool = False) -> None:
        self.env = env
        self.click_only = click_only
        # replaces what the core sees of the process (who runs it, terminals); the
        # variables in `env` still come from the (isolated) process environment
        self.environment: dict[str, Any] = {}
        # a Host subclass the run uses instead of Host (it fakes a denied access, ...)
        self.host_type: type[Host] | None = None

    def __call__(
        self, *args: str, input: str | bytes | None = None, env: dict[str, str | None] | None = None
    ) -> CliResult:
        from kata_cli.cli import run
        from kata_cli.main import dispatch

        runner = CliRunner()
        merged = {**self.env, **(env or {})}
        with runner.isolation(input=input, env=merged) as streams:
            environment = Environment.fake(**self.environment) if self.environment else None
            if self.click_only:
                code = run(list(args), env=environment, host_type=self.host_type)
            else:
                code = dispatch(list(args), env=environment, host_type=self.host_type)
            sys.stdout.flush()
            sys.stderr.flush()
            out, err = streams[0].getvalue(), streams[1].getvalue()
        return CliResult(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


PINNED_ENV: dict[str, str | None] = {
    "NO_COLOR": "1",
    "COLUMNS": "120",
    "KATA_CONF_FILE": None,
    "KATA_HOST_ROOT": None,
    "KATA_CHECK_NO_NETWORK": None,
    "KATA_RELEASE_URL": None,
    "KATA_CLI_DEBUG": None,
    "KATA_CLI_LOG": None,
}


@pytest.fixture
def cli() -> Cli:
    return Cli(dict(PINNED_ENV))


def run_as(euid: int, cli: Cli, fake_host: FakeHost) -> None:
    """Make the CLI and the fixture host see a process run by `euid` (0: root)."""
    cli.environment["euid"] = euid
    fake_host.env = Environment.fake(euid=euid)


@pytest.fixture
def as_user(cli: Cli, fake_host: FakeHost) -> None:
    """Run as if not root (the test machine may well be root)."""
    run_as(1000, cli, fake_host)


@pytest.fixture
def as_root(cli: Cli, fake_host: FakeHost) -> None:
    run_as(0, cli, fake_host)


def run_subprocess(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, **kwargs: Any
) -> Any:
    """Run `python -m kata_cli ARGS` in a subprocess (for tests that need a real process)."""
    import subprocess

    full_env = {k: v for k, v in os.environ.items() if k not in PINNED_ENV}
    full_env["NO_COLOR"] = "1"
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "kata_cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        **kwargs,
    )
