"""The real containerd: `containerd --config FILE config dump` gives the merged view.

Runs Debian's containerd (scripts/test-setup.sh installs it); `config dump` needs no
running daemon. The configuration lives in tmp_path, passed with --config: the real
/etc/containerd is never read.
"""

from __future__ import annotations

import shutil

import pytest

from kata_cli.checks.context import CheckContext
from kata_cli.checks.wiring import containerd, units
from kata_cli.config import load
from kata_cli.host import Host
from tests.conftest import MINIMAL_QEMU_CONFIG

pytestmark = pytest.mark.skipif(
    shutil.which("containerd") is None,
    reason="containerd is not installed (apt-get install containerd; scripts/test-setup.sh)",
)
V2 = 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes'


def write_config(tmp_path, main: str, dropin: str):
    etc = tmp_path / "containerd"
    (etc / "conf.d").mkdir(parents=True)
    (etc / "config.toml").write_text(main)
    (etc / "conf.d" / "kata.toml").write_text(dropin)
    return str(etc / "config.toml")


def kata_config(tmp_path):
    path = tmp_path / "configuration-qemu.toml"
    path.write_text(MINIMAL_QEMU_CONFIG)
    return str(path)


def test_dump_merges_an_imported_dropin_with_the_kata_handler(tmp_path):
    conf = kata_config(tmp_path)
    path = write_config(
        tmp_path,
        'version = 2\nimports = ["conf.d/kata.toml"]\n',
        f'version = 2\n[{V2}.kata]\nruntime_type = "io.containerd.kata.v2"\n'
        f'[{V2}.kata.options]\nConfigPath = "{conf}"\n',
    )
    config = containerd.load(Host("/"), path)
    assert config is not None
    assert config.source == containerd.DUMP_SOURCE, config.dump_note
    assert not config.errors
    handlers = config.handlers()
    assert [h.name for h in handlers] == ["kata"]
    assert handlers[0].config_path == conf
    assert handlers[0].snapshotter == "overlayfs"  # containerd's own default, from the dump
    # the check unit on the real root, pointed at the tmp file
    ctx = CheckContext(Host("/"), load(Host("/"), explicit=conf, environ={}))
    by_id = {
        r.id: r
        for r in units.wiring_checks(
            ctx,
            containerd_config=path,
            crio_config=str(tmp_path / "no-crio.conf"),
            crio_dropins=str(tmp_path / "no-crio.d"),
        )
    }
    assert by_id["wiring.containerd.config"].status == "pass"
    assert "from `containerd config dump`" in by_id["wiring.containerd.config"].detail
    assert by_id["wiring.containerd.handlers"].status == "pass"
    assert by_id["wiring.containerd.kata-config.kata"].status == "pass"


def test_dump_without_the_dropin_has_no_kata_handler(tmp_path):
    path = write_config(tmp_path, "version = 2\n", "version = 2\n")
    ctx = CheckContext(Host("/"), load(Host("/"), explicit=kata_config(tmp_path), environ={}))
    by_id = {
        r.id: r
        for r in units.wiring_checks(
            ctx, containerd_config=path, crio_config="/nonexistent", crio_dropins="/nonexistent"
        )
    }
    result = by_id["wiring.containerd.handlers"]
    assert result.status == "fail"
    assert "handlers: runc" in result.detail  # containerd's built-in default handler
    assert "from `containerd config dump`" in result.detail


def test_a_file_containerd_refuses_is_a_config_failure(tmp_path):
    path = write_config(
        tmp_path,
        'version = 2\nimports = ["conf.d/kata.toml"]\n',
        f"version = 2\n[{V2}.kata]\nruntime_type = 5\n",
    )
    config = containerd.load(Host("/"), path)
    assert config.errors[0].startswith("containerd cannot load it: ")
    assert config.dump_note == "`containerd config dump` failed"


def test_files_and_dump_agree_on_the_handlers(tmp_path):
    path = write_config(
        tmp_path,
        f'version = 2\nimports = ["{tmp_path}/containerd/conf.d/*.toml"]\n'
        f'[{V2}.runc]\nruntime_type = "io.containerd.runc.v2"\n',
        f'version = 2\n[{V2}.kata-qemu]\nruntime_type = "io.containerd.kata-qemu.v2"\n'
        'snapshotter = "devmapper"\n',
    )
    dumped = containerd.load(Host("/"), path)
    read = containerd.load(Host("/"), path, use_binary=False)
    assert dumped.source == containerd.DUMP_SOURCE and read.source == containerd.FILES_SOURCE
    assert [(h.name, h.shim) for h in dumped.handlers()] == [
        (h.name, h.shim) for h in read.handlers()
    ]
    assert read.handlers()[0].snapshotter == "devmapper"
    if containerd_major() < 2:  # 1.x has no per-handler snapshotter: the dump shows the truth
        assert dumped.handlers()[0].snapshotter == "overlayfs"


def containerd_major() -> int:
    from kata_cli.host import run_command

    out = run_command(["containerd", "--version"], timeout=5).stdout_text
    version = next((w for w in out.split() if w[:1].isdigit() or w[:2] == "v1"), "0")
    return int(version.lstrip("v").split(".")[0])


def test_containerd_1_replaces_a_plugin_table_from_a_later_file(tmp_path):
    """The main file's Kata handler is lost when an import rewrites the CRI plugin table:
    the dump shows it with containerd 1.x; the file reader warns about it."""
    path = write_config(
        tmp_path,
        'version = 2\nimports = ["conf.d/kata.toml"]\n'
        f'[{V2}.kata]\nruntime_type = "io.containerd.kata.v2"\n',
        'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\nsandbox_image = "pause:3.9"\n',
    )
    dumped = containerd.load(Host("/"), path)
    read = containerd.load(Host("/"), path, use_binary=False)
    assert [h.name for h in read.handlers()] == ["kata"]
    assert read.lost_by_containerd_1() == ["kata"]
    expected = [] if containerd_major() < 2 else ["kata"]
    assert [h.name for h in dumped.handlers()] == expected
