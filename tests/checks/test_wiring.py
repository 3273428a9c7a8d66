"""Container-manager wiring on fixture hosts: containerd (versions 1-3, imports), CRI-O,
shims, ConfigPath, snapshotters, and hostile configuration files."""

from __future__ import annotations

import textwrap

import pytest

from kata_cli.checks.context import CheckContext
from kata_cli.checks.wiring import containerd, crio, units
from kata_cli.config import load
from kata_cli.host import Host

CTR = "/etc/containerd/config.toml"
SHIM = "/opt/kata/bin/containerd-shim-kata-v2"
KATA_CONF = "/opt/kata/share/defaults/kata-containers/configuration-qemu.toml"
V2 = 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes'
V3 = 'plugins."io.containerd.cri.v1.runtime".containerd.runtimes'


def kata_handler(prefix: str = V2, name: str = "kata", extra: str = "") -> str:
    return textwrap.dedent(f"""\
        [{prefix}.{name}]
        runtime_type = "io.containerd.kata.v2"
        {extra}
        """)


@pytest.fixture
def kata_host(fake_host):
    """An Intel host with Kata installed: a configuration, its assets, the shim linked
    into /usr/local/bin, the overlay file system, containerd and CRI-O installed."""
    fake_host.intel()
    fake_host.manager("containerd", "crio")
    fake_host.assets()
    fake_host.executable(SHIM)
    fake_host.symlink("/usr/local/bin/containerd-shim-kata-v2", SHIM)
    fake_host.file("/proc/filesystems", "nodev\tsysfs\nnodev\toverlay\n\text4\n")
    return fake_host


def run(fake_host, **kw):
    host = fake_host.host
    ctx = CheckContext(host, load(host, environ={}))
    results = list(units.wiring_checks(ctx, **kw))
    return {r.id: r for r in results}


def test_containerd_v2_handler_all_pass(kata_host):
    kata_host.config(path=KATA_CONF)
    kata_host.file(
        CTR,
        "version = 2\n" + kata_handler(extra=f'[{V2}.kata.options]\nConfigPath = "{KATA_CONF}"\n'),
    )
    by_id = run(kata_host)
    assert by_id["wiring.manager"].status == "pass"
    assert by_id["wiring.containerd.config"].status == "pass"
    assert "version 2, from 1 file" in by_id["wiring.containerd.config"].detail
    assert by_id["wiring.containerd.handlers"].status == "pass"
    shim = by_id["wiring.containerd.shim.kata"]
    assert shim.status == "pass", shim.detail
    assert f"/usr/local/bin/containerd-shim-kata-v2 -> {SHIM}" in shim.detail
    config = by_id["wiring.containerd.kata-config.kata"]
    assert config.status == "pass", config.detail
    assert "hypervisor qemu" in config.detail
    snap = by_id["wiring.containerd.snapshotter.kata"]
    assert snap.status == "pass" and "overlayfs" in snap.detail


def test_containerd_v3_layout(kata_host):
    kata_host.file(
        CTR,
        "version = 3\n"
        + kata_handler(V3, "kata-qemu").replace(
            "io.containerd.kata.v2", "io.containerd.kata-qemu.v2"
        ),
    )
    kata_host.executable("/usr/bin/containerd-shim-kata-qemu-v2")
    by_id = run(kata_host)
    assert by_id["wiring.containerd.handlers"].status == "pass"
    assert "kata-qemu (io.containerd.kata-qemu.v2)" in by_id["wiring.containerd.handlers"].detail
    assert by_id["wiring.containerd.shim.kata-qemu"].status == "pass"
    assert by_id["wiring.containerd.kata-config.kata-qemu"].status == "skip"


def test_containerd_v1_layout(kata_host):
    kata_host.file(CTR, kata_handler("plugins.cri.containerd.runtimes"))
    by_id = run(kata_host)
    assert by_id["wiring.containerd.handlers"].status == "pass"


def test_shim_binary_name_from_runtime_type():
    assert containerd.shim_binary("io.containerd.kata.v2") == "containerd-shim-kata-v2"
    assert containerd.shim_binary("io.containerd.kata-qemu.v2") == "containerd-shim-kata-qemu-v2"
    assert (
        containerd.shim_binary("/opt/x/containerd-shim-kata-v2") == "/opt/x/containerd-shim-kata-v2"
    )
    assert containerd.is_kata_type("io.containerd.kata-fc.v2")
    assert not containerd.is_kata_type("io.containerd.runc.v2")
    assert not containerd.is_kata_type("io.containerd.kata.v2.evil")


def test_no_kata_handler_names_file_and_table(kata_host):
    kata_host.file(
        CTR,
        f'version = 2\n[{V2}.runc]\nruntime_type = "io.containerd.runc.v2"\n',
    )
    result = run(kata_host)["wiring.containerd.handlers"]
    assert result.status == "fail"
    assert CTR in result.detail and "handlers: runc" in result.detail
    assert f"[{V2}.kata]" in result.remedy and CTR in result.remedy
    assert 'runtime_type = "io.containerd.kata.v2"' in result.remedy


def test_v3_table_in_a_version_2_file_is_explained(kata_host):
    kata_host.file(CTR, "version = 2\n" + kata_handler(V3))
    result = run(kata_host)["wiring.containerd.handlers"]
    assert result.status == "fail"
    assert 'kata (under plugins."io.containerd.cri.v1.runtime")' in result.detail


def test_imports_relative_glob_and_absolute(kata_host):
    kata_host.file(CTR, 'version = 2\nimports = ["conf.d/*.toml", "/etc/extra/one.toml"]\n')
    kata_host.file("/etc/containerd/conf.d/10-other.toml", "version = 2\n")
    kata_host.file("/etc/containerd/conf.d/20-kata.toml", "version = 2\n" + kata_handler())
    kata_host.file("/etc/extra/one.toml", 'version = 2\nimports = ["two.toml"]\n')
    kata_host.file(
        "/etc/extra/two.toml",
        "version = 2\n" + kata_handler(name="kata-fc").replace("kata.v2", "kata-fc.v2"),
    )
    config = containerd.load(kata_host.host, CTR)
    assert config is not None and not config.errors
    assert config.files == [
        CTR,
        "/etc/containerd/conf.d/10-other.toml",
        "/etc/containerd/conf.d/20-kata.toml",
        "/etc/extra/one.toml",
        "/etc/extra/two.toml",
    ]
    assert [h.name for h in config.handlers()] == ["kata", "kata-fc"]
    assert run(kata_host)["wiring.containerd.config"].detail.endswith("from 5 files)")


def test_imported_version_2_file_is_migrated_under_a_version_3_root(kata_host):
    kata_host.file(CTR, 'version = 3\nimports = ["/etc/containerd/kata.toml"]\n')
    kata_host.file("/etc/containerd/kata.toml", "version = 2\n" + kata_handler())
    config = containerd.load(kata_host.host, CTR)
    assert [h.name for h in config.handlers()] == ["kata"]
    assert config.handlers()[0].table == f"[{V3}.kata]"


def test_missing_import_fails_the_config(kata_host):
    kata_host.file(CTR, 'version = 2\nimports = ["missing.toml"]\n' + kata_handler())
    result = run(kata_host)["wiring.containerd.config"]
    assert result.status == "fail"
    assert "/etc/containerd/missing.toml: does not exist" in result.detail


def test_import_loop_ends(kata_host):
    kata_host.file(CTR, 'version = 2\nimports = ["a.toml", "config.toml"]\n')
    kata_host.file(
        "/etc/containerd/a.toml",
        'version = 2\nimports = ["./config.toml", "a.toml"]\n' + kata_handler(),
    )
    config = containerd.load(kata_host.host, CTR)
    assert not config.errors
    assert config.files == [CTR, "/etc/containerd/a.toml"]


def test_drop_ins_importing_their_own_directory_are_read_once(kata_host):
    """40 drop-ins that each import `conf.d/*.toml` again: containerd reads each file
    once and starts; their 1,600 import entries used to fail the config as more than
    1024 pending imports."""
    for index in range(40):
        kata_host.file(
            f"/etc/containerd/conf.d/{index:02}.toml", 'version = 2\nimports = ["*.toml"]\n'
        )
    kata_host.file(CTR, 'version = 2\nimports = ["conf.d/*.toml"]\n' + kata_handler())
    config = containerd.load(kata_host.host, CTR)
    assert config.errors == []
    assert len(config.files) == 41
    result = run(kata_host)["wiring.containerd.config"]
    assert result.status == "pass", result.detail


def test_thousands_of_imports_are_bounded(kata_host):
    for index in range(300):
        kata_host.file(f"/etc/containerd/d/{index:04}.toml", 'version = 2\nimports = ["*.toml"]\n')
    kata_host.file(CTR, 'version = 2\nimports = ["d/*.toml"]\n')
    config = containerd.load(kata_host.host, CTR)
    assert 1 < len(config.files) <= 64
    assert any("more than" in e for e in config.errors), config.errors
    assert run(kata_host)["wiring.containerd.config"].status == "fail"


def test_huge_file_is_not_read(kata_host):
    kata_host.file(CTR, "version = 2\n# " + "x" * (2 * 1024 * 1024) + "\n")
    result = run(kata_host)["wiring.containerd.config"]
    assert result.status == "fail" and "larger than 1024 KiB" in result.detail


@pytest.mark.parametrize(
    "text, expected",
    [
        ('version = 2\nimports = "x.toml"\n', "imports must be a list of strings"),
        ('version = "2"\n', "version must be 1, 2 or 3"),
        ("version = 2\nplugins = 5\n", "plugins must be a table"),
        (f"version = 2\n[{V2}.kata]\nruntime_type = 5\n", "runtime_type must be a string"),
        (f"version = 2\n[{V2}]\nkata = 5\n", "must be a table"),
        ("version = 2\n[plugins\n", "invalid TOML"),
        ("version = 2\nx = " + "[" * 5000 + "]" * 5000 + "\n", "invalid TOML"),
        (b"version = 2\n\xff\n", "not valid UTF-8"),
    ],
)
def test_wrong_types_and_garbage_are_config_failures(kata_host, text, expected):
    kata_host.file(CTR, text)
    by_id = run(kata_host)
    assert by_id["wiring.containerd.config"].status == "fail"
    assert expected in by_id["wiring.containerd.config"].detail
    assert by_id["wiring.containerd.handlers"].status == "fail"


def test_import_cannot_leave_the_root(kata_host, tmp_path):
    outside = tmp_path / "outside.toml"
    outside.write_text("version = 2\n" + kata_handler())
    depth = "../" * 30
    kata_host.file(CTR, f'version = 2\nimports = ["{depth}{outside}"]\n')
    config = containerd.load(kata_host.host, CTR)
    assert config.handlers() == []
    assert any("does not exist" in e for e in config.errors)


def test_handler_names_become_safe_ids(kata_host):
    kata_host.file(CTR, "version = 2\n" + kata_handler(name='"a.b\\u001b[31m c"'))
    by_id = run(kata_host)
    assert "wiring.containerd.shim.a_b__31m_c" in by_id


def test_shim_only_in_opt_kata_is_not_found_by_containerd(fake_host):
    fake_host.intel().manager("containerd")
    fake_host.assets()
    fake_host.executable(SHIM)
    fake_host.file(CTR, "version = 2\n" + kata_handler())
    result = run(fake_host)["wiring.containerd.shim.kata"]
    assert result.status == "fail"
    assert "/opt/kata/bin, which is not in containerd's search path" in result.detail
    assert result.remedy == f"ln -s {SHIM} /usr/local/bin/containerd-shim-kata-v2"


def test_shim_missing_and_not_executable(kata_host):
    kata_host.file(
        CTR, "version = 2\n" + kata_handler(name="qemu").replace("kata.v2", "kata-qemu.v2")
    )
    result = run(kata_host)["wiring.containerd.shim.qemu"]
    assert result.status == "fail"
    assert "containerd-shim-kata-qemu-v2 is not in /usr/local/sbin:/usr/local/bin" in result.detail
    kata_host.file("/usr/bin/containerd-shim-kata-qemu-v2", "x", mode=0o644)
    result = run(kata_host)["wiring.containerd.shim.qemu"]
    assert result.status == "fail" and "is not executable" in result.detail


def test_runtime_path_overrides_the_derived_shim(kata_host):
    kata_host.file(
        CTR, "version = 2\n" + kata_handler(extra='runtime_path = "/srv/shims/kata-shim"')
    )
    assert run(kata_host)["wiring.containerd.shim.kata"].status == "fail"
    kata_host.executable("/srv/shims/kata-shim")
    result = run(kata_host)["wiring.containerd.shim.kata"]
    assert result.status == "pass" and "/srv/shims/kata-shim" in result.detail


@pytest.mark.parametrize(
    "content, expected",
    [
        (None, "does not exist"),
        ("[hypervisor.qemu\n", "does not load"),
        ("[hypervisor.nope]\n", "does not load"),
    ],
)
def test_config_path_missing_or_broken(kata_host, content, expected):
    if content is not None:
        kata_host.file("/etc/kata-alt.toml", content)
    kata_host.file(
        CTR,
        "version = 2\n"
        + kata_handler(extra=f'[{V2}.kata.options]\nConfigPath = "/etc/kata-alt.toml"\n'),
    )
    result = run(kata_host)["wiring.containerd.kata-config.kata"]
    assert result.status == "fail" and expected in result.detail
    assert str(kata_host.root) not in result.detail


def _thin_pool(host):
    host.file("/dev/mapper/kata-pool")
    host.modules("dm_thin_pool")


@pytest.mark.parametrize(
    ("snapshotter", "plugin", "missing", "provide"),
    [
        pytest.param(
            "devmapper",
            '[plugins."io.containerd.snapshotter.v1.devmapper"]\npool_name = "kata-pool"\n',
            "thin pool /dev/mapper/kata-pool does not exist",
            _thin_pool,
            id="devmapper",
        ),
        pytest.param(
            "nydus",
            '[proxy_plugins.nydus]\ntype = "snapshot"\naddress = "/run/nydus/nydus.sock"\n',
            "is missing",
            lambda host: host.unix_socket("/run/nydus/nydus.sock"),
            id="proxy-socket",
        ),
    ],
)
def test_a_snapshotter_fails_until_what_it_needs_exists(
    kata_host, snapshotter, plugin, missing, provide
):
    extra = f'snapshotter = "{snapshotter}"'
    kata_host.file(CTR, "version = 2\n" + kata_handler(extra=extra) + plugin)
    result = run(kata_host)["wiring.containerd.snapshotter.kata"]
    assert result.status == "fail"
    assert missing in result.detail
    provide(kata_host)
    assert run(kata_host)["wiring.containerd.snapshotter.kata"].status == "pass"


def test_no_overlay_file_system(kata_host):
    kata_host.file("/proc/filesystems", "nodev\tsysfs\n\text4\n")
    kata_host.file(CTR, "version = 2\n" + kata_handler())
    assert run(kata_host)["wiring.containerd.snapshotter.kata"].status == "fail"


# -- CRI-O ------------------------------------------------------------------------------


def test_crio_main_file_and_dropins_merged_in_order(kata_host):
    kata_host.file("/etc/crio/crio.conf", '[crio.runtime]\ndefault_runtime = "runc"\n')
    kata_host.file(
        "/etc/crio/crio.conf.d/50-kata",
        '[crio.runtime.runtimes.kata]\nruntime_path = "/usr/bin/kata-runtime"\n',
    )
    kata_host.file(
        "/etc/crio/crio.conf.d/60-kata.conf",
        "[crio.runtime.runtimes.kata]\n"
        'runtime_path = "/usr/local/bin/containerd-shim-kata-v2"\nruntime_type = "vm"\n'
        f'runtime_config_path = "{KATA_CONF}"\n',
    )
    kata_host.config(path=KATA_CONF)
    by_id = run(kata_host)
    assert by_id["wiring.crio.config"].status == "pass"
    assert by_id["wiring.crio.handlers"].status == "pass"
    assert by_id["wiring.crio.runtime-type.kata"].status == "pass"
    assert by_id["wiring.crio.shim.kata"].status == "pass"
    assert by_id["wiring.crio.kata-config.kata"].status == "pass"
    assert "wiring.containerd.config" not in by_id


def test_crio_handler_mistakes(kata_host):
    kata_host.executable("/usr/bin/kata-runtime")
    kata_host.file(
        "/etc/crio/crio.conf.d/50-kata.conf",
        '[crio.runtime.runtimes.kata]\nruntime_path = "/usr/bin/kata-runtime"\n',
    )
    by_id = run(kata_host)
    assert by_id["wiring.crio.runtime-type.kata"].status == "fail"
    assert "runtime_type = oci" in by_id["wiring.crio.runtime-type.kata"].detail
    assert by_id["wiring.crio.shim.kata"].status == "fail"
    assert "not a containerd shim" in by_id["wiring.crio.shim.kata"].detail


def test_crio_without_kata_handler(kata_host):
    kata_host.file(
        "/etc/crio/crio.conf", '[crio.runtime.runtimes.crun]\nruntime_path = "/usr/bin/crun"\n'
    )
    result = run(kata_host)["wiring.crio.handlers"]
    assert result.status == "fail" and "handlers: crun" in result.detail
    assert "[crio.runtime.runtimes.kata]" in result.remedy


def test_crio_loader_skips_directories_and_bad_files(kata_host):
    kata_host.dir("/etc/crio/crio.conf.d/sub")
    kata_host.file("/etc/crio/crio.conf.d/10.conf", "[crio\n")
    config = crio.load(kata_host.host)
    assert config is not None and config.files == []
    assert "invalid TOML" in config.errors[0]


# -- nothing to check -------------------------------------------------------------------


def test_neither_manager_configured_is_a_skip(kata_host):
    by_id = run(kata_host)
    assert list(by_id) == ["wiring.manager"]
    assert by_id["wiring.manager"].status == "skip"
    assert "no container manager configuration" in by_id["wiring.manager"].detail


def _not_installed(fake_host, *keep: str):
    """kata_host without containerd's and CRI-O's programs (but `keep`)."""
    for program in ("containerd", "crio"):
        if program not in keep:
            fake_host.remove(f"/usr/bin/{program}")
    return fake_host


def test_a_file_of_a_manager_that_is_not_installed_is_not_judged(kata_host):
    _not_installed(kata_host)
    kata_host.file(CTR, 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n')
    kata_host.file("/etc/crio/crio.conf", "[crio.runtime]\n")
    by_id = run(kata_host)
    assert list(by_id) == ["wiring.manager", "wiring.containerd.config", "wiring.crio.config"]
    assert all(r.status == "skip" for r in by_id.values())
    assert "not installed" in by_id["wiring.manager"].detail
    ctr = by_id["wiring.containerd.config"].detail
    assert ctr.startswith(f"{CTR}: containerd is not installed (no containerd program in ")
    assert "no containerd.service unit" in ctr and ctr.endswith("not judged")
    assert by_id["wiring.crio.config"].detail.startswith("/etc/crio/crio.conf: CRI-O is not ")


@pytest.mark.parametrize(
    "evidence",
    [
        "/usr/bin/containerd",
        "/usr/local/bin/containerd",
        "/opt/bin/containerd",
        "/lib/systemd/system/containerd.service",
        "/usr/lib/systemd/system/containerd.service",
        "/etc/systemd/system/containerd.service",
    ],
)
def test_a_program_or_unit_makes_containerd_installed(kata_host, evidence):
    _not_installed(kata_host)
    kata_host.file(evidence, "")
    kata_host.file(CTR, 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n')
    by_id = run(kata_host)
    assert by_id["wiring.manager"].detail == "containerd"
    assert by_id["wiring.containerd.handlers"].status == "fail"


def test_a_masked_unit_or_a_link_out_of_the_root_is_not_an_installation(kata_host, tmp_path):
    _not_installed(kata_host)
    kata_host.symlink("/etc/systemd/system/containerd.service", "/dev/null")
    outside = tmp_path / "outside-containerd"
    outside.write_text("")
    kata_host.symlink("/usr/local/bin/containerd", str(outside))  # resolved inside the root
    kata_host.file(CTR, "version = 2\n")
    by_id = run(kata_host)
    assert by_id["wiring.containerd.config"].status == "skip"
    assert "wiring.containerd.handlers" not in by_id


def test_an_installed_manager_is_judged_beside_a_left_over_file(kata_host):
    _not_installed(kata_host, "crio")
    kata_host.file(CTR, 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n')
    kata_host.file(
        "/etc/crio/crio.conf.d/50-kata.conf",
        '[crio.runtime.runtimes.kata]\nruntime_type = "vm"\n'
        'runtime_path = "/usr/local/bin/containerd-shim-kata-v2"\n',
    )
    by_id = run(kata_host)
    assert by_id["wiring.manager"].status == "pass"
    assert by_id["wiring.manager"].detail == "CRI-O"
    assert by_id["wiring.containerd.config"].status == "skip"
    assert by_id["wiring.crio.handlers"].status == "pass"


def test_kata_not_installed_is_a_skip(fake_host):
    fake_host.intel()
    fake_host.remove("/etc/kata-containers/configuration.toml")
    fake_host.file(CTR, "version = 2\n")
    by_id = run(fake_host)
    assert list(by_id) == ["wiring.manager"]
    assert by_id["wiring.manager"].detail == "Kata is not installed"


def test_every_result_id_belongs_to_the_catalogue(kata_host):
    kata_host.file(CTR, "version = 2\n" + kata_handler() + kata_handler(name="kata-2"))
    kata_host.file("/etc/crio/crio.conf", '[crio.runtime.runtimes.kata]\nruntime_type = "vm"\n')
    known = {spec.id for spec in units.catalogue()}
    for result in run(kata_host).values():
        assert units.family(result.id) in known
        assert result.category == "wiring"
        if result.status in ("warn", "fail"):
            assert result.remedy, result.id


def test_the_host_root_is_never_left_for_the_binary(kata_host):
    """Under a host root other than /, containerd (of the machine we run on) never runs."""
    calls = []

    class Recording(Host):
        def run(self, argv, **kw):
            calls.append(argv)

    kata_host.host_type = Recording
    kata_host.file(CTR, "version = 2\n" + kata_handler())
    run(kata_host)
    assert calls == []


def test_containerd_1_would_lose_a_handler_that_a_later_file_overwrites(kata_host):
    kata_host.file(CTR, 'version = 2\nimports = ["registry.toml"]\n' + kata_handler())
    kata_host.file(
        "/etc/containerd/registry.toml",
        'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\nsandbox_image = "pause:3.9"\n',
    )
    result = run(kata_host)["wiring.containerd.handlers"]
    assert result.status == "warn"
    assert "containerd 1.x replaces a plugin's whole table" in result.detail
    assert "loses kata" in result.detail
    kata_host.file(CTR, 'version = 3\nimports = ["registry.toml"]\n' + kata_handler(V3))
    kata_host.file("/etc/containerd/registry.toml", "version = 3\n[plugins.x]\ny = 1\n")
    assert run(kata_host)["wiring.containerd.handlers"].status == "pass"


# -- the verdict, through the command ---------------------------------------------------


@pytest.mark.parametrize(
    "containerd_text, exit_code, wiring_level",
    [
        (None, 0, None),  # no container manager: wiring not judged
        (f'version = 2\n[{V2}.runc]\nruntime_type = "io.containerd.runc.v2"\n', 1, False),
        ("version = 2\n" + kata_handler(), 0, True),
        ("version = 3\n" + kata_handler(), 1, False),  # a v2 table in a v3 file
        ("version = 2\n[plugins\n", 1, False),
    ],
)
def test_wiring_decides_the_verdict(
    cli, kata_host, as_user, containerd_text, exit_code, wiring_level
):
    kata_host.vhost_vsock()
    if containerd_text is not None:
        kata_host.file(CTR, containerd_text)
    result = cli("--host-root", str(kata_host.root), "check", "-n", "--json")
    data = result.json()
    assert result.exit_code == exit_code, result.stdout
    assert data["capable"] is (exit_code == 0)
    assert data["levels"]["wiring"] is wiring_level
    text = cli("--host-root", str(kata_host.root), "check", "-n")
    assert text.exit_code == exit_code
    assert ("System is capable of running Kata Containers" in text.stdout) is (exit_code == 0)
    if exit_code:
        assert "ERROR: wiring.containerd." in text.stderr


def test_ignore_accepts_a_per_handler_id(cli, kata_host, as_user):
    kata_host.vhost_vsock()
    handler = kata_handler(name="kata-qemu").replace("kata.v2", "kata-qemu.v2")
    kata_host.file(CTR, "version = 2\n" + handler)  # its shim is not installed
    root = str(kata_host.root)
    assert cli("--host-root", root, "check", "-n").exit_code == 1
    ignored = cli(
        "--host-root", root, "check", "-n", "--ignore", "wiring.containerd.shim.kata-qemu"
    )
    assert ignored.exit_code == 0, ignored.stderr
    bad = cli("--host-root", root, "check", "-n", "--ignore", "wiring.nothing.x")
    assert bad.exit_code == 2


def test_symlinks_out_of_the_root_are_followed_inside_it(kata_host, tmp_path):
    """An absolute symlink names a path on the host, so it is resolved under the host
    root: a file of the machine we run on is never read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kata.toml").write_text("version = 2\n" + kata_handler())
    kata_host.symlink("/etc/containerd/conf.d/kata.toml", str(outside / "kata.toml"))
    kata_host.symlink("/etc/containerd/dir", str(outside))
    kata_host.file(CTR, 'version = 2\nimports = ["conf.d/kata.toml", "dir/*.toml"]\n')
    config = containerd.load(kata_host.host, CTR)
    assert config.handlers() == []
    assert any("conf.d/kata.toml: does not exist" in e for e in config.errors)
    kata_host.symlink("/etc/crio/crio.conf", str(outside / "kata.toml"))
    assert crio.load(kata_host.host).files == []


def test_a_handler_config_other_than_the_judged_one_is_named(kata_host):
    kata_host.config(path=KATA_CONF)
    kata_host.file(
        CTR,
        "version = 2\n" + kata_handler(extra=f'[{V2}.kata.options]\nConfigPath = "{KATA_CONF}"\n'),
    )
    result = run(kata_host)["wiring.containerd.kata-config.kata"]
    assert result.status == "pass"
    assert "the other checks judged /etc/kata-containers/configuration.toml" in result.detail
    assert f"--config {KATA_CONF} judges this one" in result.detail


def test_hostile_globs_are_bounded(kata_host):
    """64 files of 64 `/*/*/*/*/*` imports over a wide tree: a bounded number of
    directory listings, an error, and a quick answer."""
    import time

    for a in range(20):
        for b in range(20):
            kata_host.dir(f"/wide/{a}/{b}")
    imports = ", ".join(['"/*/*/*/*/*.toml"'] * 64)
    for index in range(64):
        kata_host.file(f"/etc/containerd/{index}.toml", f"version = 2\nimports = [{imports}]\n")
    kata_host.file(CTR, 'version = 2\nimports = ["*.toml"]\n')
    start = time.monotonic()
    config = containerd.load(kata_host.host, CTR)
    assert time.monotonic() - start < 20
    assert any("too many" in e or "more than" in e for e in config.errors), config.errors


def test_a_long_import_chain_stops_at_the_file_limit(kata_host):
    for index in range(70):
        kata_host.file(
            f"/etc/containerd/c{index}.toml", f'version = 2\nimports = ["c{index + 1}.toml"]\n'
        )
    kata_host.file(CTR, 'version = 2\nimports = ["c0.toml"]\n')
    config = containerd.load(kata_host.host, CTR)
    assert len(config.files) == 64
    assert "more than 64 files imported; the rest were not read" in config.errors
