"""Loading: drop-ins, symlinks, selection, errors with file and line, shipped files."""

from __future__ import annotations

import pytest

from kata_cli.config import load
from kata_cli.config.kernel_params import kernel_parameters_string, split_kernel_params
from kata_cli.errors import ConfigError
from tests.conftest import (
    NO_KATA_CONFIGS,
    kata_config_files,
    require_kata_configs,
    shipped_config_params,
)

ETC = "/etc/kata-containers/configuration.toml"
OPT_DIR = "/opt/kata/share/defaults/kata-containers"

BASE = """\
[hypervisor.qemu]
path = "/usr/bin/qemu-system-x86_64"
kernel = "/k"
image = "/i"
default_memory = 2048
default_vcpus = 1
machine_type = "q35"
enable_annotations = ["a", "b"]

[agent.kata]

[runtime]
enable_debug = false
"""


def test_symlinked_config_reads_dropins_next_to_target(fake_host):
    fake_host.config(BASE, path=f"{OPT_DIR}/configuration-qemu.toml")
    fake_host.symlink(ETC, f"{OPT_DIR}/configuration-qemu.toml")
    # a drop-in next to the symlink is NOT read; one next to the target is
    fake_host.file(
        "/etc/kata-containers/config.d/10-ignored.toml", "[hypervisor.qemu]\ndefault_memory = 999\n"
    )
    fake_host.file(
        f"{OPT_DIR}/config.d/10-memory.toml", "[hypervisor.qemu]\ndefault_memory = 4096\n"
    )
    config = load(fake_host.host, environ={})
    assert config.path == f"{OPT_DIR}/configuration-qemu.toml"
    assert config.requested == ETC
    assert config.dropins == [f"{OPT_DIR}/config.d/10-memory.toml"]
    assert config.hypervisor.default_memory == 4096


def _with_vcpus_dropin(fake_host, text):
    """BASE in /etc with the drop-in config.d/50-vcpus.toml: the loaded configuration."""
    fake_host.config(BASE)
    fake_host.file("/etc/kata-containers/config.d/50-vcpus.toml", text)
    return load(fake_host.host, environ={})


def test_dropin_overrides_one_key_and_keeps_the_others(fake_host):
    config = _with_vcpus_dropin(fake_host, "[hypervisor.qemu]\ndefault_vcpus = 2\n")
    assert config.hypervisor.default_vcpus == 2.0
    assert config.hypervisor.default_memory == 2048
    assert config.hypervisor.kernel == "/k"
    assert (
        config.hypervisor_origin("default_vcpus") == "/etc/kata-containers/config.d/50-vcpus.toml"
    )
    assert config.hypervisor_origin("kernel") == ETC
    assert config.hypervisor_origin("firmware") == "default"


def test_dropins_apply_in_file_name_order_and_replace_arrays(fake_host):
    fake_host.config(BASE)
    fake_host.file(
        "/etc/kata-containers/config.d/20-b.toml", '[hypervisor.qemu]\nenable_annotations = ["z"]\n'
    )
    fake_host.file(
        "/etc/kata-containers/config.d/10-a.toml",
        '[hypervisor.qemu]\nenable_annotations = ["y", "x"]\n',
    )
    config = load(fake_host.host, environ={})
    assert config.hypervisor.enable_annotations == ["z"]


def test_invalid_dropin_names_file_and_line(fake_host):
    fake_host.config(BASE)
    fake_host.file(
        "/etc/kata-containers/config.d/30-bad.toml", "[hypervisor.qemu]\n\ndefault_memory = = 1\n"
    )
    with pytest.raises(ConfigError) as info:
        load(fake_host.host, environ={})
    assert info.value.message.startswith("/etc/kata-containers/config.d/30-bad.toml:3:")
    assert "invalid TOML" in info.value.message


def test_malformed_main_file_reports_file_line_column(fake_host):
    fake_host.config('[hypervisor.qemu]\npath = "/x"\nkernel = \n')
    with pytest.raises(ConfigError) as info:
        load(fake_host.host, environ={})
    assert info.value.message.startswith(f"{ETC}:3:")


def test_not_utf8_is_a_clear_error(fake_host):
    fake_host.file(ETC, b'[runtime]\nname = "\xff"\n')
    with pytest.raises(ConfigError) as info:
        load(fake_host.host, environ={})
    assert f"{ETC}:2: not valid UTF-8" in info.value.message


def test_subdirectory_in_config_d_is_an_error(fake_host):
    fake_host.config(BASE)
    fake_host.dir("/etc/kata-containers/config.d/sub")
    with pytest.raises(ConfigError) as info:
        load(fake_host.host, environ={})
    assert "config.d/sub" in info.value.message


def test_two_hypervisor_tables_is_an_error_naming_them(fake_host):
    fake_host.config(BASE + '\n[hypervisor.clh]\npath = "/usr/bin/cloud-hypervisor"\n')
    with pytest.raises(ConfigError) as info:
        load(fake_host.host, environ={})
    assert "[hypervisor.qemu]" in info.value.message
    assert "[hypervisor.clh]" in info.value.message


def test_hypervisor_name_selects_among_tables(fake_host):
    fake_host.config(BASE + '\n[hypervisor.clh]\npath = "/usr/bin/cloud-hypervisor"\n')
    fake_host.file(
        "/etc/kata-containers/config.d/00-select.toml", '[runtime]\nhypervisor_name = "clh"\n'
    )
    config = load(fake_host.host, environ={})
    assert config.hypervisor_type == "clh"
    assert config.hypervisor.path == "/usr/bin/cloud-hypervisor"


@pytest.mark.parametrize(
    ("text", "where_what"),
    [
        (
            '[hypervisor.vmware]\npath = "/x"\n',
            '1:1: configuration file contains invalid hypervisor section: "vmware"',
        ),
        (
            '[hypervisor.qemu]\npath = "/x"\n\ndefault_memory = "lots"\n',
            "4:1: [hypervisor.qemu] default_memory: expected an integer, got string",
        ),
    ],
    ids=["unknown-hypervisor-section", "wrong-type"],
)
def test_a_refused_file_is_named_with_line_and_column(fake_host, text, where_what):
    fake_host.config(text)
    with pytest.raises(ConfigError) as info:
        load(fake_host.host, environ={})
    assert info.value.message == f"{ETC}:{where_what}"


def test_float_for_integer_and_range(fake_host):
    fake_host.config("[hypervisor.qemu]\ndefault_memory = 2048.0\n")
    with pytest.raises(ConfigError, match="expected an integer, got float"):
        load(fake_host.host, environ={})
    fake_host.config("[hypervisor.qemu]\nmemory_slots = -1\n")
    with pytest.raises(ConfigError, match="out of range"):
        load(fake_host.host, environ={})


def test_integer_accepted_for_float_vcpus(fake_host):
    fake_host.config("[hypervisor.qemu]\ndefault_vcpus = 1\n")
    assert load(fake_host.host, environ={}).hypervisor.default_vcpus == 1.0


def test_go_matches_keys_case_insensitively(fake_host):
    fake_host.config("[hypervisor.qemu]\nDefault_Memory = 4096\n")
    assert load(fake_host.host, environ={}).hypervisor.default_memory == 4096


def test_clamping_is_applied_and_recorded(fake_host):
    fake_host.cpuinfo(cpus=4)
    fake_host.meminfo(total_kb=8 * 1024 * 1024)
    fake_host.config(
        "[hypervisor.qemu]\ndefault_memory = 128\ndefault_vcpus = 64\ndefault_bridges = 9\n"
    )
    config = load(fake_host.host, environ={})
    hv = config.hypervisor
    assert (hv.default_memory, hv.default_vcpus, hv.default_bridges) == (2048, 4.0, 5)
    assert hv.default_maxvcpus == 4
    assert hv.default_maxmemory == 8192
    changed = {a.key: (a.configured, a.effective) for a in config.adjustments}
    assert changed["default_memory"] == (128, 2048)


def test_no_hypervisor_table_means_qemu_defaults(fake_host):
    fake_host.config("[runtime]\nenable_debug = true\n")
    config = load(fake_host.host, environ={})
    assert config.hypervisor_type == "qemu"
    assert config.hypervisor.kernel == "/usr/share/kata-containers/vmlinuz.container"
    assert config.runtime.enable_debug is True


def test_flavour_override(fake_host):
    fake_host.config(BASE)
    assert load(fake_host.host, environ={}).flavour == "go"
    assert load(fake_host.host, environ={}, flavour="rs").flavour == "rs"


def test_kernel_parameters_order():
    params = split_kernel_params('a=1 b "c=d e" =x'[:-3])
    assert params == [("a", "1"), ("b", ""), ('"c', 'd e"')]
    with pytest.raises(ConfigError, match="Empty kernel parameter"):
        split_kernel_params("=x")


def test_kernel_parameters_assembly(fake_host):
    fake_host.config(
        '[hypervisor.qemu]\nimage = "/i"\nkernel_params = "quiet x=1"\n'
        "[agent.kata]\nenable_debug = true\ndebug_console_enabled = true\ncdh_api_timeout = 50\n"
    )
    config = load(fake_host.host, environ={})
    assert kernel_parameters_string(config) == (
        "systemd.unit=kata-containers.target systemd.mask=systemd-networkd.service "
        "systemd.mask=systemd-networkd.socket scsi_mod.scan=none agent.log=debug "
        "agent.debug_console agent.debug_console_vport=1026 agent.cdh_api_timeout=50 quiet x=1"
    )


EXPECTED_TYPES = {
    "clh": "clh",
    "fc": "firecracker",
    "firecracker": "firecracker",
    "stratovirt": "stratovirt",
    "remote": "remote",
    "dragonball": "dragonball",
    "openvmm": "openvmm",
}


@pytest.mark.parametrize("path", shipped_config_params(kata_config_files()))
def test_every_shipped_file_loads_with_flavour_and_type(fake_host, path):
    require_kata_configs()
    config = load(fake_host.host, explicit=str(path), environ={})
    assert config.flavour == path.parent.name
    stem = path.stem.removeprefix("configuration-").removesuffix("-runtime-rs")
    expected = next(
        (v for k, v in EXPECTED_TYPES.items() if stem.startswith(k) or stem == f"rs-{k}"), "qemu"
    )
    assert config.hypervisor_type == expected
    assert config.agent_name == "kata"


def test_shipped_files_present_or_skipped():
    if not kata_config_files():
        pytest.skip(NO_KATA_CONFIGS)
    assert len(kata_config_files("go")) == 14
    assert len(kata_config_files("rs")) == 15


def test_go_dropin_case_variant_key_replaces_the_main_files_key(fake_host):
    config = _with_vcpus_dropin(fake_host, "[hypervisor.qemu]\nDefault_Vcpus = 2\n")
    assert config.hypervisor.default_vcpus == 2.0
    assert config.hypervisor_origin("default_vcpus").endswith("50-vcpus.toml")


def test_go_case_variant_top_level_tables_are_read(fake_host):
    fake_host.config(
        BASE.replace("[runtime]\nenable_debug = false\n", "[Runtime]\nenable_debug = true\n")
    )
    assert load(fake_host.host, environ={}).runtime.enable_debug is True


def test_runtime_rs_keeps_names_exact(fake_host):
    fake_host.config(
        BASE.replace("[runtime]\nenable_debug = false\n", "[Runtime]\nenable_debug = true\n")
    )
    assert load(fake_host.host, environ={}, flavour="rs").runtime.enable_debug is False


def test_hypervisor_table_names_are_not_folded(fake_host):
    fake_host.config(BASE.replace("[hypervisor.qemu]", "[hypervisor.QEMU]"))
    with pytest.raises(ConfigError, match="QEMU"):
        load(fake_host.host, environ={})


def test_deeply_nested_tables_are_a_clear_error(fake_host):
    from kata_cli.config.loader import ConfigFile, merge

    data: dict = {}
    node = data
    for _ in range(5000):
        node["t"] = {}
        node = node["t"]
    with pytest.raises(ConfigError, match="nested too deeply"):
        merge([ConfigFile("/x.toml", "", data, "main")])


def test_go_file_with_one_stray_runtime_rs_key_stays_go(fake_host):
    fake_host.config(
        BASE.replace("[agent.kata]\n", "[agent.kata]\ndial_timeout = 45\ndial_timeout_ms = 10\n")
    )
    assert load(fake_host.host, environ={}).flavour == "go"


def test_runtime_rs_keys_without_other_signs_read_as_runtime_rs(fake_host):
    fake_host.config('[hypervisor.qemu]\nvm_rootfs_driver = "virtio-blk-pci"\n\n[agent.kata]\n')
    assert load(fake_host.host, environ={}).flavour == "rs"
