"""The QEMU launch plan: a configuration turned into a command line, as data.

Nothing here starts a process. `build_plan` takes the effective configuration (the
test guest's kernel and initrd may stand in for the configured assets), the size and
accelerator, and the VM directory its sockets live in; the kernel command line is
the plan's console settings followed by `kernel_parameters(config)` (spec 2.1, the
same function `env` reports), so the user's `kernel_params` come last and win.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from kata_cli.config.kernel_params import kernel_parameters, render
from kata_cli.config.model import Config
from kata_cli.errors import ConfigError, KataError, UsageError
from kata_cli.host import Host, local_host
from kata_cli.record import field, record, replace
from kata_cli.vm import state as st
from kata_cli.vm.guest import DEBUG_PORT_NAME, TestGuest
from kata_cli.vm.sizing import VmSize

if TYPE_CHECKING:
    from kata_cli.config.schema import HypervisorConfig

PLAN_SCHEMA = "kata-cli/vm-plan/1"
QEMU_FALLBACK = "qemu-system-x86_64"
CONSOLE_PARAMS: list[tuple[str, str]] = [("console", "ttyS0"), ("reboot", "k"), ("panic", "1")]
NVDIMM_ROOT_PARAMS: list[tuple[str, str]] = [
    ("root", "/dev/pmem0p1"),
    ("rootflags", "dax,data=ordered,errors=remount-ro"),
    ("ro", ""),
]
BLOCK_ROOT_PARAMS: list[tuple[str, str]] = [("root", "/dev/vda1"), ("ro", "")]
NVDIMM_MACHINES = ("q35", "pc")
SHARE_TAG = "kata-share{index}"
MAX_SOCKET_PATH = 107  # sun_path holds 108 bytes with the terminating NUL


@record
class Share:
    source: str
    tag: str
    mode: str  # "virtio-fs" | "9p"


@record
class LaunchPlan:
    schema: str
    name: str
    binary: str
    accel: str
    machine: str
    vcpus: int
    max_vcpus: int
    memory_mib: int
    kernel: str
    initrd: str
    image: str
    image_device: str  # "" | "nvdimm" | "virtio-blk"
    kernel_params: str
    sockets: dict[str, str]
    console_log: str
    shares: list[Share]
    virtiofsd: list[list[str]]  # one daemon per virtio-fs share
    argv: list[str]
    notes: list[str] = field(default_factory=list)


def _local(host: Host, host_path: str) -> str:
    return str(host.path(host_path)) if host_path else ""


def resolve_binary(host: Host, config: Config, test_guest: bool) -> tuple[str, list[str]]:
    """The QEMU binary (a local path) and any notes about the choice."""
    configured = config.hypervisor.path
    if configured and host.is_executable(configured):
        return _local(host, configured), []
    if test_guest:
        found = host.which(QEMU_FALLBACK)
        if found:
            note = f"configured hypervisor {configured or '(none)'} not found: using {found}"
            return found, [note]
    if not configured:
        problem = "hypervisor binary (unset): no QEMU configured"
    elif host.exists(configured):
        problem = f"hypervisor binary {configured} is not an executable file"
    else:
        problem = f"hypervisor binary {configured} does not exist"
    raise ConfigError(
        problem,
        "install QEMU, fix [hypervisor.qemu] path, or boot the test guest with --test-guest",
    )


def effective_for_boot(config: Config, guest: TestGuest | None) -> Config:
    """The configuration the VM boots: with the test guest's kernel and initrd if asked."""
    if guest is None:
        return config
    hv = replace(config.hypervisor, kernel=guest.kernel, initrd=guest.initrd, image="")
    return replace(config, hypervisor=hv)


# -- the steps of build_plan ----------------------------------------------------------------
def require_qemu(config: Config) -> None:
    if config.hypervisor_type != "qemu":
        raise ConfigError(
            f"kata-cli vm boots QEMU only; the configuration selects {config.hypervisor_type}",
            "use a qemu configuration (--config) or --test-guest with one",
        )


@record
class BootAssets:
    """Local paths of what the guest boots ("" when not used)."""

    kernel: str
    initrd: str
    image: str


def boot_assets(host: Host, boot: Config, from_test_guest: bool) -> BootAssets:
    """The kernel, initrd and image as local paths, each checked to be a file. The
    configuration's are host paths, resolved inside the host root (a symlink to
    `/opt/...` means the root's `/opt`); the test guest's are files of this machine."""
    hv = boot.hypervisor
    source_host = local_host() if from_test_guest else host
    found = {}
    for label, path in (("kernel", hv.kernel), ("initrd", hv.initrd), ("image", hv.image)):
        if not path or (label == "image" and from_test_guest):
            found[label] = ""
            continue
        try:
            resolved = source_host.resolve(path)
        except (OSError, ValueError):
            resolved = ""
        if not resolved or not source_host.is_file(resolved):
            shown = path if from_test_guest else _local(host, path)
            raise ConfigError(f"guest {label} {shown} does not exist", f"fix [hypervisor] {label}")
        found[label] = str(source_host.path(resolved))
    if not found["kernel"]:
        raise ConfigError("no guest kernel configured", "set [hypervisor.qemu] kernel")
    return BootAssets(found["kernel"], found["initrd"], found["image"])


def image_size(image: str) -> int:
    """The root image's size in bytes (a local path `boot_assets` checked)."""
    return local_host().stat(image).st_size if image else 0


def socket_paths(directory: Path, share_count: int) -> dict[str, str]:
    """The VM's Unix sockets; an error when the longest of them would not fit sun_path."""
    sockets = {
        "qmp": str(directory / st.QMP_SOCKET),
        "console": str(directory / st.CONSOLE_SOCKET),
        "debug": str(directory / st.DEBUG_SOCKET),
        "hvsock": str(directory / st.HVSOCK_SOCKET),
    }
    # the longest socket name: the last share's virtiofsd socket
    longest = str(directory / st.virtiofs_socket(max(9, share_count - 1)))
    if len(longest.encode()) > MAX_SOCKET_PATH:
        raise KataError(
            f"the VM directory {directory} is too long for Unix socket paths "
            f"({len(longest.encode())} bytes with {Path(longest).name}; at most "
            f"{MAX_SOCKET_PATH})",
            "set KATA_CLI_RUN_DIR to a shorter directory, or pick a shorter --name",
        )
    return sockets


def root_device(hv: HypervisorConfig, image: str) -> str:
    """How the root image is attached: "" (no image), "nvdimm" or "virtio-blk"."""
    if not image:
        return ""
    machine_type = hv.machine_type or "q35"
    nvdimm_ok = machine_type in NVDIMM_MACHINES and not hv.disable_image_nvdimm
    return "nvdimm" if nvdimm_ok else "virtio-blk"


def kernel_command_line(boot: Config, image_device: str) -> str:
    """Console settings, the root device's parameters, then `kernel_parameters(boot)`
    (the user's `kernel_params` last, so they win)."""
    params = list(CONSOLE_PARAMS)
    if image_device == "nvdimm":
        params += [*NVDIMM_ROOT_PARAMS, ("rootfstype", boot.hypervisor.rootfs_type)]
    elif image_device == "virtio-blk":
        params += [*BLOCK_ROOT_PARAMS, ("rootfstype", boot.hypervisor.rootfs_type)]
    params += kernel_parameters(boot)
    return render(params)


@record
class Machine:
    """The `-machine`, `-cpu` and `-m` values."""

    machine_type: str
    machine: str
    cpu: str
    memory: str


def machine_options(
    hv: HypervisorConfig, accel: str, size: VmSize, image_device: str, image_size: int
) -> Machine:
    machine_type = hv.machine_type or "q35"
    machine = f"{machine_type},accel={accel}"
    if hv.machine_accelerators:
        machine += f",{hv.machine_accelerators}"
    if image_device == "nvdimm":
        machine += ",nvdimm=on"
    cpu = "host" if accel == "kvm" else "max"
    if hv.cpu_features:
        cpu += f",{hv.cpu_features}"
    memory = f"{size.memory_mib}M"
    if image_device == "nvdimm":
        # the NVDIMM is hot-pluggable memory: maxmem must leave room for it
        slots = max(1, hv.memory_slots)
        room = max(size.max_memory_mib, size.memory_mib) + -(-image_size // (1024 * 1024))
        memory += f",slots={slots},maxmem={room}M"
    return Machine(machine_type, machine, cpu, memory)


def qemu_value(text: str) -> str:
    """A value inside a QEMU option list (`key=VALUE,key=...`): a comma is doubled, as
    QEMU reads it. An image path holding `,share=on` would otherwise add that option
    (and make the read-only root image writable from the guest)."""
    return text.replace(",", ",,")


def root_image_args(image: str, image_device: str, image_size: int) -> list[str]:
    image = qemu_value(image)
    if image_device == "nvdimm":
        return [
            "-object",
            f"memory-backend-file,id=rootmem,mem-path={image},size={image_size},readonly=on",
            "-device",
            "nvdimm,id=rootnv,memdev=rootmem,unarmed=on",
        ]
    if image_device == "virtio-blk":
        return [
            "-drive",
            f"file={image},if=none,id=rootfs,format=raw,readonly=on",
            "-device",
            "virtio-blk-pci,drive=rootfs",
        ]
    return []


def console_args(sockets: dict[str, str], console_log: str) -> list[str]:
    """QMP, the serial console (logged to a file) and the debug virtio-serial port."""
    sockets = {name: qemu_value(path) for name, path in sockets.items()}
    console_log = qemu_value(console_log)
    return [
        "-qmp",
        f"unix:{sockets['qmp']},server=on,wait=off",
        "-chardev",
        f"socket,id=console,path={sockets['console']},server=on,wait=off,logfile={console_log}",
        "-serial",
        "chardev:console",
        "-device",
        "virtio-serial-pci,id=serial0",
        "-chardev",
        f"socket,id=debug,path={sockets['debug']},server=on,wait=off",
        "-device",
        f"virtserialport,bus=serial0.0,chardev=debug,name={DEBUG_PORT_NAME},nr=1",
    ]


def hotplug_port_args(hv: HypervisorConfig, machine_type: str) -> list[str]:
    """PCIe root ports for hot-plugged disks (q35's root bus takes no hot-plug)."""
    if machine_type != "q35":
        return []
    args: list[str] = []
    for index in range(max(2, hv.pcie_root_port)):
        args += ["-device", f"pcie-root-port,id=rp{index},bus=pcie.0,chassis={index + 1}"]
    return args


def build_plan(
    host: Host,
    config: Config,
    *,
    name: str,
    directory: Path,
    accel: str,
    size: VmSize,
    guest: TestGuest | None = None,
    shares: list[str] | None = None,
    share_mode: str = "auto",
) -> LaunchPlan:
    require_qemu(config)
    binary, notes = resolve_binary(host, config, guest is not None)
    boot = effective_for_boot(config, guest)
    hv = boot.hypervisor
    assets = boot_assets(host, boot, guest is not None)
    sockets = socket_paths(directory, len(shares or []))
    console_log = str(directory / st.CONSOLE_LOG)
    image_device = root_device(hv, assets.image)
    kernel_params = kernel_command_line(boot, image_device)
    size_of_image = image_size(assets.image)
    machine = machine_options(hv, accel, size, image_device, size_of_image)
    share_list, virtiofsd, share_notes = _shares(host, boot, shares or [], share_mode, directory)
    argv = [
        binary,
        "-name",
        name,
        "-nodefaults",
        "-no-user-config",
        "-nographic",
        "-no-reboot",
        "-machine",
        machine.machine,
        "-cpu",
        machine.cpu,
        "-smp",
        f"{size.vcpus},maxcpus={size.max_vcpus}",
        "-m",
        machine.memory,
        "-kernel",
        assets.kernel,
        "-append",
        kernel_params,
        *(["-initrd", assets.initrd] if assets.initrd else []),
        *root_image_args(assets.image, image_device, size_of_image),
        *console_args(sockets, console_log),
        *hotplug_port_args(hv, machine.machine_type),
        *_share_args(share_list, size.memory_mib, directory),
    ]
    return LaunchPlan(
        schema=PLAN_SCHEMA,
        name=name,
        binary=binary,
        accel=accel,
        machine=machine.machine,
        vcpus=size.vcpus,
        max_vcpus=size.max_vcpus,
        memory_mib=size.memory_mib,
        kernel=assets.kernel,
        initrd=assets.initrd,
        image=assets.image,
        image_device=image_device,
        kernel_params=kernel_params,
        sockets=sockets,
        console_log=console_log,
        shares=share_list,
        virtiofsd=virtiofsd,
        argv=argv,
        notes=notes + share_notes + list(size.notes),
    )


def _virtiofsd(host: Host, config: Config) -> str | None:
    daemon = config.hypervisor.virtio_fs_daemon
    if daemon and host.is_executable(daemon):
        return _local(host, daemon)
    return None


SHARE_MODES = ("9p", "virtio-fs")


def parse_share(spec: str) -> tuple[str, str]:
    """`DIR`, `DIR:9p` or `DIR:virtio-fs` -> (DIR, mode or "" for --share-mode)."""
    for mode in SHARE_MODES:
        if spec.endswith(f":{mode}"):
            return spec[: -len(mode) - 1], mode
    return spec, ""


def _shares(
    host: Host, config: Config, specs: list[str], mode: str, directory: Path
) -> tuple[list[Share], list[list[str]], list[str]]:
    if not specs:
        return [], [], []
    notes: list[str] = []
    parsed = [parse_share(spec) for spec in specs]
    for source, _mode in parsed:
        if not source.strip():
            # an empty DIR (an unset shell variable) would share the working directory
            raise UsageError(
                "--share: the directory name is empty",
                "name the directory to share, e.g. --share .",
            )
        if not local_host().is_dir(source):
            problem = "not a directory" if local_host().lexists(source) else "does not exist"
            head, colon, suffix = source.rpartition(":")
            if colon and head.strip() and local_host().is_dir(head):
                # `--share /srv:nfs`: a mistyped mode, not a missing directory
                raise UsageError(
                    f"--share {source}: {problem}",
                    f"the mode suffix is :9p or :virtio-fs, not :{suffix}",
                )
            raise UsageError(f"--share {source}: {problem}")
    daemon = _virtiofsd(host, config)
    shares: list[Share] = []
    virtiofsd: list[list[str]] = []
    for index, (source, own_mode) in enumerate(parsed):
        wanted = own_mode or mode
        if wanted == "virtio-fs" and daemon is None:
            raise UsageError(
                f"--share {specs[index]}: virtio-fs needs a virtiofsd",
                "the configured virtio_fs_daemon "
                f"{config.hypervisor.virtio_fs_daemon or '(unset)'} is not executable",
            )
        share = Share(
            local_host().resolve(os.path.abspath(source)),
            SHARE_TAG.format(index=index),
            "virtio-fs" if wanted != "9p" and daemon is not None else "9p",
        )
        shares.append(share)
        if share.mode == "virtio-fs" and daemon is not None:
            virtiofsd.append(
                virtiofsd_argv(
                    daemon,
                    str(directory / st.virtiofs_socket(index)),
                    share.source,
                    config.hypervisor.virtio_fs_cache,
                    config.hypervisor.virtio_fs_extra_args,
                )
            )
    if any(share.mode == "9p" for share in shares):
        notes.append(
            "sharing over 9p: the slow path, not POSIX-complete (no virtiofsd available, "
            "--share-mode 9p or DIR:9p)"
        )
    return shares, virtiofsd, notes


def virtiofsd_argv(
    daemon: str, socket_path: str, source: str, cache: str, extra: list[str]
) -> list[str]:
    """The daemon's command line: the Rust virtiofsd Kata ships, or QEMU's older C one.

    QEMU's C daemon (`/usr/lib/qemu/virtiofsd`) takes FUSE `-o` options, calls the
    never-cache mode `none` and knows none of the Rust daemon's extra arguments.
    """
    if "/qemu/" in daemon:
        mode = {"never": "none", "": "auto"}.get(cache, cache)
        return [
            daemon,
            f"--socket-path={socket_path}",
            "-o",
            # libfuse splits -o at commas; a backslash escapes one
            "source=" + source.replace("\\", "\\\\").replace(",", "\\,"),
            "-o",
            f"cache={mode}",
        ]
    return [
        daemon,
        f"--socket-path={socket_path}",
        f"--shared-dir={source}",
        f"--cache={cache or 'auto'}",
        *extra,
    ]


def _share_args(shares: list[Share], memory_mib: int, directory: Path) -> list[str]:
    args: list[str] = []
    if any(share.mode == "virtio-fs" for share in shares):
        # vhost-user needs the guest RAM shared with the daemons: one backend for all
        args += [
            "-object",
            f"memory-backend-memfd,id=shm,size={memory_mib}M,share=on",
            "-numa",
            "node,memdev=shm",
        ]
    for index, share in enumerate(shares):
        if share.mode == "virtio-fs":
            args += [
                "-chardev",
                f"socket,id=vfs{index},path={qemu_value(str(directory / st.virtiofs_socket(index)))}",
                "-device",
                f"vhost-user-fs-pci,chardev=vfs{index},tag={share.tag}",
            ]
        else:
            args += [
                "-fsdev",
                f"local,id=fs{index},path={qemu_value(share.source)},security_model=none",
                "-device",
                f"virtio-9p-pci,fsdev=fs{index},mount_tag={share.tag}",
            ]
    return args
