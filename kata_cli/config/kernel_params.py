"""The guest kernel command line, assembled as the Go runtime does (spec 2.1).

`env`'s `Kernel.Parameters` and the VM launch plan both use this one function.
Order: systemd units (image only), `scsi_mod.scan=none` (virtio-scsi), agent
parameters, then the user's `kernel_params` (last, so they win). Duplicates are kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kata_cli.errors import ConfigError

if TYPE_CHECKING:
    from kata_cli.config.model import Config

DEBUG_CONSOLE_VPORT = 1026


def split_kernel_params(text: str) -> list[tuple[str, str]]:
    """Split on spaces outside double quotes; `k=v` at the first `=`, `k` alone allowed."""
    fields: list[str] = []
    current = ""
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
            current += char
        elif char == " " and not quoted:
            if current:
                fields.append(current)
            current = ""
        else:
            current += char
    if current:
        fields.append(current)
    params: list[tuple[str, str]] = []
    for item in fields:
        name, _, value = item.partition("=")
        if not name:
            raise ConfigError(f'Empty kernel parameter in "{item}"', "remove it from kernel_params")
        params.append((name, value))
    return params


def kernel_parameters(config: Config) -> list[tuple[str, str]]:
    """The full parameter list as (key, value) pairs, value "" for a bare key."""
    hv = config.hypervisor
    agent = config.agent
    params: list[tuple[str, str]] = []
    if hv.image:
        params += [
            ("systemd.unit", "kata-containers.target"),
            ("systemd.mask", "systemd-networkd.service"),
            ("systemd.mask", "systemd-networkd.socket"),
        ]
    if hv.block_device_driver == "virtio-scsi":
        params.append(("scsi_mod.scan", "none"))
    if agent.enable_debug:
        params.append(("agent.log", "debug"))
    if agent.enable_tracing:
        params.append(("agent.trace", "true"))
    if agent.container_pipe_size:
        params.append(("agent.container_pipe_size", str(agent.container_pipe_size)))
    if agent.debug_console_enabled:
        params += [
            ("agent.debug_console", ""),
            ("agent.debug_console_vport", str(DEBUG_CONSOLE_VPORT)),
        ]
    cdh_timeout = agent.cdh_api_timeout
    if config.flavour == "rs" and config.agent_origin("cdh_api_timeout_ms") != "default":
        cdh_timeout = agent.cdh_api_timeout_ms // 1000
    if cdh_timeout:
        params.append(("agent.cdh_api_timeout", str(cdh_timeout)))
    if agent.launch_process_timeout:
        params.append(("agent.launch_process_timeout", str(agent.launch_process_timeout)))
    if agent.visible_cdi_devices:
        params.append(("agent.visible_cdi_devices", "true"))
    params += split_kernel_params(hv.kernel_params)
    return params


def render(params: list[tuple[str, str]]) -> str:
    return " ".join(f"{k}={v}" if v else k for k, v in params)


def kernel_parameters_string(config: Config) -> str:
    return render(kernel_parameters(config))
