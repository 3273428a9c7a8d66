"""The containerd that k3s and RKE2 embed: its config.toml, the template k3s renders it
from, the shim search path of each distribution, and hostile files in their place."""

from __future__ import annotations

import os
import textwrap

import pytest

from kata_cli.checks.context import CheckContext
from kata_cli.checks.wiring import containerd, rancher, units
from kata_cli.config import load
from kata_cli.host import Host
from tests.conftest import SECRET

K3S = "/var/lib/rancher/k3s/agent/etc/containerd"
RKE2 = "/var/lib/rancher/rke2/agent/etc/containerd"
V2 = 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes'
V3 = 'plugins."io.containerd.cri.v1.runtime".containerd.runtimes'
KATA_V3 = f'[{V3}.kata]\nruntime_type = "io.containerd.kata.v2"\n'
RUNC_V3 = f'version = 3\n[{V3}.runc]\nruntime_type = "io.containerd.runc.v2"\n'
GO_TEMPLATE = '{{ template "base" . }}\n' + KATA_V3
SHIM = "containerd-shim-kata-v2"
K3S_BIN = "/var/lib/rancher/k3s/data/3f1a/bin"


@pytest.fixture
def k3s_host(fake_host):
    """An Intel host with Kata installed, k3s's data directory (`current` -> a release),
    and the overlay file system; no shim anywhere yet."""
    fake_host.intel()
    fake_host.assets()
    fake_host.dir(K3S_BIN)
    fake_host.symlink("/var/lib/rancher/k3s/data/current", "/var/lib/rancher/k3s/data/3f1a")
    fake_host.file("/proc/filesystems", "nodev\tsysfs\nnodev\toverlay\n")
    return fake_host


def run(fake_host, **kw):
    host = fake_host.host
    ctx = CheckContext(host, load(host, environ={}))
    return {r.id: r for r in units.wiring_checks(ctx, **kw)}


def age(fake_host, host_path: str, seconds: float) -> None:
    """Set a file's modification time `seconds` in the past (k3s compares none, we do)."""
    when = 1_700_000_000 - seconds
    os.utime(fake_host.local(host_path), (when, when), follow_symlinks=False)


def rendered(fake_host, template: str, config: str, name: str = "config-v3.toml.tmpl") -> None:
    """A template and the config.toml k3s rendered from it at its last start (newer)."""
    fake_host.file(f"{K3S}/{name}", template)
    fake_host.file(f"{K3S}/config.toml", config)
    age(fake_host, f"{K3S}/{name}", 3600)
    age(fake_host, f"{K3S}/config.toml", 60)


def pending(fake_host, template: str, config: str | None, name: str = "config-v3.toml.tmpl"):
    """A template edited after k3s last wrote config.toml (or config.toml absent)."""
    fake_host.file(f"{K3S}/{name}", template)
    age(fake_host, f"{K3S}/{name}", 60)
    if config is not None:
        fake_host.file(f"{K3S}/config.toml", config)
        age(fake_host, f"{K3S}/config.toml", 3600)


# -- judged like containerd, under its own ids ------------------------------------------


def test_k3s_rendered_from_a_go_template_all_pass(k3s_host):
    """kata-deploy's usual k3s set-up: a base-template extension, rendered at the last
    start into a config.toml that holds the handler; the shim in k3s's own bin directory."""
    k3s_host.executable(f"{K3S_BIN}/{SHIM}")
    rendered(k3s_host, GO_TEMPLATE, RUNC_V3 + KATA_V3)
    by_id = run(k3s_host)
    assert by_id["wiring.manager"].detail == "k3s"
    template = by_id["wiring.k3s.template"]
    assert template.status == "pass", template.detail
    assert "rendered it from this template at its last start" in template.detail
    config = by_id["wiring.k3s.config"]
    assert config.status == "pass"
    assert config.detail.startswith(f"{K3S}/config.toml (version 3, from 1 file; rendered by k3s")
    assert by_id["wiring.k3s.handlers"].status == "pass"
    shim = by_id["wiring.k3s.shim.kata"]
    assert shim.status == "pass", shim.detail
    assert "/var/lib/rancher/k3s/data/current/bin/containerd-shim-kata-v2 -> " in shim.detail
    assert by_id["wiring.k3s.snapshotter.kata"].status == "pass"
    assert by_id["wiring.k3s.kata-config.kata"].status == "skip"
    assert not any(i.startswith("wiring.containerd.") for i in by_id)


def test_rke2_has_its_own_ids_and_bin_directory(fake_host):
    fake_host.intel()
    fake_host.assets()
    fake_host.file("/proc/filesystems", "nodev\toverlay\n")
    fake_host.file(f"{RKE2}/config.toml", RUNC_V3.replace("runc", "kata-qemu", 1) + KATA_V3)
    fake_host.file(f"{RKE2}/config.toml.d/kata.toml", "")  # not imported: not read
    by_id = run(fake_host)
    assert by_id["wiring.manager"].detail == "RKE2"
    shim = by_id["wiring.rke2.shim.kata"]
    assert shim.status == "fail"
    assert "/var/lib/rancher/rke2/bin" not in shim.detail  # not a directory there: not listed
    fake_host.executable(f"/var/lib/rancher/rke2/bin/{SHIM}")
    by_id = run(fake_host)
    assert by_id["wiring.rke2.shim.kata"].status == "pass", by_id["wiring.rke2.shim.kata"].detail
    assert by_id["wiring.rke2.handlers"].status == "warn"  # no template: see below
    assert "wiring.rke2.template" not in by_id


def test_every_manager_is_named_and_containerd_ids_are_unchanged(k3s_host):
    k3s_host.manager("containerd", "crio")
    k3s_host.executable(f"/usr/local/bin/{SHIM}")
    k3s_host.file(
        "/etc/containerd/config.toml",
        f'version = 2\n[{V2}.kata]\nruntime_type = "io.containerd.kata.v2"\n',
    )
    rendered(k3s_host, GO_TEMPLATE, RUNC_V3 + KATA_V3)
    k3s_host.file(f"{RKE2}/config.toml", RUNC_V3)
    k3s_host.file(
        "/etc/crio/crio.conf.d/50-kata.conf",
        f'[crio.runtime.runtimes.kata]\nruntime_type = "vm"\nruntime_path = "/usr/local/bin/{SHIM}"\n',
    )
    by_id = run(k3s_host)
    assert by_id["wiring.manager"].detail == "containerd, k3s, RKE2 and CRI-O"
    for check_id in (
        "wiring.containerd.config",
        "wiring.containerd.handlers",
        "wiring.containerd.shim.kata",
        "wiring.containerd.kata-config.kata",
        "wiring.containerd.snapshotter.kata",
        "wiring.k3s.shim.kata",
        "wiring.crio.shim.kata",
    ):
        assert by_id[check_id].status in ("pass", "skip"), check_id
    assert by_id["wiring.rke2.handlers"].status == "fail"
    assert f"{RKE2}/config.toml (version 3" in by_id["wiring.rke2.handlers"].detail
    known = {spec.id for spec in units.catalogue()}
    assert {units.family(i) for i in by_id} <= known


def test_catalogue_ids_name_the_manager():
    ids = [spec.id for spec in units.catalogue()]
    assert len(ids) == len(set(ids))
    for manager in ("containerd", "k3s", "rke2"):
        for check in ("config", "handlers", "shim", "kata-config", "snapshotter"):
            assert f"wiring.{manager}.{check}" in ids
    assert "wiring.k3s.template" in ids and "wiring.rke2.template" in ids
    assert "wiring.containerd.template" not in ids
    templates = [s for s in units.catalogue() if s.id.endswith(".template")]
    assert all(not s.required for s in templates)  # it can warn, never fail


# -- the shim search path ----------------------------------------------------------------


def test_k3s_finds_a_shim_in_its_bin_directory_containerd_does_not(k3s_host):
    k3s_host.manager("containerd")
    k3s_host.executable(f"{K3S_BIN}/{SHIM}")
    k3s_host.file("/etc/containerd/config.toml", "version = 3\n" + KATA_V3)
    rendered(k3s_host, GO_TEMPLATE, RUNC_V3 + KATA_V3)
    by_id = run(k3s_host)
    assert by_id["wiring.k3s.shim.kata"].status == "pass"
    assert by_id["wiring.containerd.shim.kata"].status == "fail"


def test_without_data_current_every_release_bin_directory_is_searched(fake_host):
    fake_host.intel()
    fake_host.assets()
    fake_host.executable(f"/var/lib/rancher/k3s/data/9e2b/bin/{SHIM}")
    fake_host.file(f"{K3S}/config.toml", "version = 3\n" + KATA_V3)
    shim = run(fake_host)["wiring.k3s.shim.kata"]
    assert shim.status == "pass", shim.detail
    assert "/var/lib/rancher/k3s/data/9e2b/bin/containerd-shim-kata-v2" in shim.detail


def test_a_shim_in_opt_kata_only_fails_with_the_link_to_make(k3s_host):
    k3s_host.executable(f"/opt/kata/bin/{SHIM}")
    rendered(k3s_host, GO_TEMPLATE, RUNC_V3 + KATA_V3)
    shim = run(k3s_host)["wiring.k3s.shim.kata"]
    assert shim.status == "fail"
    assert "which is not in k3s's search path (/var/lib/rancher/k3s/data/current/bin:" in (
        shim.detail
    )
    assert shim.remedy == f"ln -s /opt/kata/bin/{SHIM} /usr/local/bin/{SHIM}"


def test_the_search_path_of_each_distribution(k3s_host):
    host = k3s_host.host
    k3s_host.dir("/var/lib/rancher/k3s/data/3f1a/bin/aux")
    path = rancher.K3S.search_path(host, ("/usr/bin", "/bin"))
    assert path == (
        "/var/lib/rancher/k3s/data/current/bin",
        "/usr/bin",
        "/bin",
        "/var/lib/rancher/k3s/data/current/bin/aux",  # after PATH: the host's tools win
    )
    assert rancher.RKE2.search_path(host, ("/usr/bin",)) == ("/usr/bin",)


# -- config.toml and its template ---------------------------------------------------------


def test_a_hand_edit_of_config_toml_without_template_is_lost_at_the_next_start(k3s_host):
    k3s_host.executable(f"{K3S_BIN}/{SHIM}")
    k3s_host.file(f"{K3S}/config.toml", RUNC_V3 + KATA_V3)
    by_id = run(k3s_host)
    handlers = by_id["wiring.k3s.handlers"]
    assert handlers.status == "warn"
    assert "rewrites" in handlers.detail and "lost at its next start" in handlers.detail
    assert f"copy {K3S}/config.toml to {K3S}/config-v3.toml.tmpl" in handlers.remedy
    k3s_host.file(f"{K3S}/config.toml", RUNC_V3.replace("3", "2", 1) + KATA_V3.replace(V3, V2))
    handlers = run(k3s_host)["wiring.k3s.handlers"]
    assert f"copy {K3S}/config.toml to {K3S}/config.toml.tmpl (it is" in handlers.remedy
    assert "k3s rewrites it at every start" in by_id["wiring.k3s.config"].detail


@pytest.mark.parametrize("name", ["config-v3.toml.tmpl", "config.toml.tmpl"])
def test_a_hand_edit_after_the_last_render_from_a_toml_template_is_lost(k3s_host, name):
    """A plain TOML template renders as itself: a Kata handler added to config.toml after
    k3s rendered it (config.toml is newer) is not in the template, so the next start drops
    it. It was a PASS saying config.toml had been rendered from the template."""
    k3s_host.executable(f"{K3S_BIN}/{SHIM}")
    rendered(k3s_host, RUNC_V3, RUNC_V3 + KATA_V3, name)
    handlers = run(k3s_host)["wiring.k3s.handlers"]
    assert handlers.status == "warn"
    assert f"renders {K3S}/config.toml from {K3S}/{name} at every start" in handlers.detail
    assert "does not have kata" in handlers.detail and "lost at its next start" in handlers.detail
    assert handlers.remedy.startswith(f"add the handler to {K3S}/{name}")
    # the template has the handler too: it survives
    rendered(k3s_host, RUNC_V3 + KATA_V3, RUNC_V3 + KATA_V3, name)
    assert run(k3s_host)["wiring.k3s.handlers"].status == "pass"
    # a Go template cannot be compared: nothing is claimed
    rendered(k3s_host, GO_TEMPLATE.replace("kata", "other"), RUNC_V3 + KATA_V3, name)
    assert run(k3s_host)["wiring.k3s.handlers"].status == "pass"


def test_a_handler_in_an_imported_drop_in_survives_the_restart(k3s_host):
    """Recent k3s releases import config-v3.toml.d/*.toml from the file they write."""
    k3s_host.executable(f"{K3S_BIN}/{SHIM}")
    k3s_host.file(f"{K3S}/config.toml", f'imports = ["{K3S}/config-v3.toml.d/*.toml"]\n' + RUNC_V3)
    k3s_host.file(f"{K3S}/config-v3.toml.d/kata.toml", "version = 3\n" + KATA_V3)
    by_id = run(k3s_host)
    assert by_id["wiring.k3s.handlers"].status == "pass", by_id["wiring.k3s.handlers"].detail
    assert "from 2 files" in by_id["wiring.k3s.config"].detail


def test_a_toml_template_newer_than_config_toml_is_what_is_judged(k3s_host):
    k3s_host.executable(f"{K3S_BIN}/{SHIM}")
    pending(k3s_host, "version = 3\n" + KATA_V3, RUNC_V3)
    by_id = run(k3s_host)
    template = by_id["wiring.k3s.template"]
    assert template.status == "warn"
    assert f"it is newer than {K3S}/config.toml, so k3s has not rendered it yet" in (
        template.detail
    )
    assert template.remedy.startswith("systemctl restart k3s")
    config = by_id["wiring.k3s.config"]
    assert config.detail.startswith(f"{K3S}/config-v3.toml.tmpl (version 3")
    assert "k3s renders it into config.toml at its next start" in config.detail
    assert by_id["wiring.k3s.handlers"].status == "pass"
    # the same template older than config.toml: config.toml (rendered from it) is judged
    age(k3s_host, f"{K3S}/config-v3.toml.tmpl", 7200)
    by_id = run(k3s_host)
    assert by_id["wiring.k3s.template"].status == "pass"
    assert by_id["wiring.k3s.handlers"].status == "fail"


def test_a_template_without_config_toml_is_judged(k3s_host):
    k3s_host.executable(f"{K3S_BIN}/{SHIM}")
    pending(k3s_host, "version = 2\n" + KATA_V3.replace(V3, V2), None, "config.toml.tmpl")
    by_id = run(k3s_host)
    assert f"{K3S}/config.toml does not exist" in by_id["wiring.k3s.template"].detail
    assert by_id["wiring.k3s.handlers"].status == "pass"
    assert by_id["wiring.k3s.shim.kata"].status == "pass"


def test_a_go_template_newer_than_config_toml_warns_and_config_toml_is_judged(k3s_host):
    pending(k3s_host, "# Kata\n" + GO_TEMPLATE, RUNC_V3)
    by_id = run(k3s_host)
    template = by_id["wiring.k3s.template"]
    assert template.status == "warn"
    assert template.detail.startswith(
        f"{K3S}/config-v3.toml.tmpl: a Go template (an action at line 2), not TOML"
    )
    assert f"{K3S}/config.toml (what the running containerd uses) is judged instead" in (
        template.detail
    )
    handlers = by_id["wiring.k3s.handlers"]
    assert handlers.status == "fail"  # the running containerd has no Kata handler
    assert (
        "the newer /var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.tmpl was not "
        "judged and may add one" in handlers.detail
    )
    assert handlers.remedy.startswith("systemctl restart k3s (k3s-agent on agents), so that it")


def test_a_go_template_alone_cannot_be_judged_and_fails_nothing(k3s_host):
    pending(k3s_host, GO_TEMPLATE, None)
    by_id = run(k3s_host)
    assert by_id["wiring.k3s.template"].status == "warn"
    assert "there is nothing else to judge" in by_id["wiring.k3s.template"].detail
    assert by_id["wiring.k3s.config"].status == "skip"
    assert not [r for r in by_id.values() if r.status == "fail"]
    assert "wiring.k3s.handlers" not in by_id


def test_both_templates_the_v3_one_is_used_and_the_other_named(k3s_host):
    k3s_host.file(f"{K3S}/config.toml.tmpl", "version = 2\n")
    rendered(k3s_host, GO_TEMPLATE, RUNC_V3 + KATA_V3)
    detail = run(k3s_host)["wiring.k3s.template"].detail
    assert detail.startswith(f"{K3S}/config-v3.toml.tmpl (config.toml.tmpl also exists: k3s")


# -- hostile files in k3s's place ---------------------------------------------------------


@pytest.mark.parametrize(
    "content, expected",
    [
        pytest.param(b"\x00\xff\xfe binary", "not valid UTF-8", id="binary"),
        pytest.param("version = 3\n[plugins\n", "invalid TOML", id="not-toml"),
        pytest.param("version = 3\nx = " + "[" * 5000 + "]" * 5000, "invalid TOML", id="deep"),
        pytest.param("version = 3\nx = 1" + "0" * 5000 + "\n", "64-bit", id="huge-integer"),
        pytest.param(
            "version = 3\n# " + "x" * (2 * 1024 * 1024) + "\n", "larger than 1024 KiB", id="huge"
        ),
        pytest.param('version = 3\nx = "{{ .NodeConfig }}"\n', "a Go template", id="action"),
        pytest.param("{{" * 100_000 + "\n", "a Go template (an action at line 1)", id="braces"),
    ],
)
def test_a_pending_template_that_is_not_toml_is_a_warning_naming_it(k3s_host, content, expected):
    k3s_host.executable(f"{K3S_BIN}/{SHIM}")
    pending(k3s_host, content, RUNC_V3 + KATA_V3)
    by_id = run(k3s_host)
    template = by_id["wiring.k3s.template"]
    assert template.status == "warn"
    assert template.detail.startswith(f"{K3S}/config-v3.toml.tmpl")
    assert expected in template.detail
    # config.toml, what runs now, is still judged
    assert by_id["wiring.k3s.config"].status == "pass"
    assert by_id["wiring.k3s.handlers"].status == "pass"


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_template_that_is_no_file_is_a_warning_not_a_hang(k3s_host, kind):
    k3s_host.file(f"{K3S}/config.toml", RUNC_V3 + KATA_V3)
    age(k3s_host, f"{K3S}/config.toml", 3600)
    local = k3s_host.local(f"{K3S}/config-v3.toml.tmpl")
    if kind == "fifo":
        os.mkfifo(local)
    else:
        local.mkdir()
    template = run(k3s_host)["wiring.k3s.template"]
    assert template.status == "warn"
    expected = "not a regular file" if kind == "fifo" else "is a directory"
    assert template.detail.startswith(f"{K3S}/config-v3.toml.tmpl: {expected}"), template.detail


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_template_that_is_no_file_warns_even_when_config_toml_is_newer(k3s_host, kind):
    """k3s reads the template at every start whatever the times: a FIFO (blocks it) or a
    directory is a warning even with a newer config.toml (was a PASS saying config.toml
    had been rendered from it)."""
    local = k3s_host.local(f"{K3S}/config-v3.toml.tmpl")
    k3s_host.dir(K3S)
    if kind == "fifo":
        os.mkfifo(local)
    else:
        local.mkdir()
    age(k3s_host, f"{K3S}/config-v3.toml.tmpl", 3600)
    k3s_host.file(f"{K3S}/config.toml", RUNC_V3 + KATA_V3)  # newer
    by_id = run(k3s_host)
    template = by_id["wiring.k3s.template"]
    assert template.status == "warn", template.detail
    assert template.detail.startswith(f"{K3S}/config-v3.toml.tmpl: ")
    assert "the next start reads it whatever its modification time" in template.detail
    assert "it is newer than" not in template.detail
    assert by_id["wiring.k3s.config"].status == "pass"  # what runs now is still judged


def test_garbage_config_toml_is_a_config_failure(k3s_host):
    k3s_host.file(f"{K3S}/config.toml", b"version = 3\n\xff\n")
    by_id = run(k3s_host)
    assert by_id["wiring.k3s.config"].status == "fail"
    assert "not valid UTF-8" in by_id["wiring.k3s.config"].detail
    assert by_id["wiring.k3s.config"].remedy.endswith("systemctl restart k3s (k3s-agent on agents)")


def test_links_out_of_the_root_are_followed_inside_it(hostile_host):
    """k3s's files and shim directory as symbolic links to the machine we run on: each
    is resolved inside the host root, nothing outside it is read or found."""
    fake = hostile_host.fake
    fake.intel()
    fake.assets()
    outside = hostile_host.outside
    (outside / "k3s").mkdir()
    (outside / "k3s" / "config.toml").write_text(f"# {SECRET}\nversion = 3\n" + KATA_V3)
    (outside / "k3s" / "tmpl").write_text(f"# {SECRET}\nversion = 3\n" + KATA_V3)
    (outside / "bin").mkdir(exist_ok=True)
    (outside / "bin" / SHIM).write_text("#!/bin/sh\n")
    (outside / "bin" / SHIM).chmod(0o755)
    for kind, target in hostile_host.escaping_links(
        f"{K3S}/config.toml", "k3s/config.toml"
    ).items():
        hostile_host.link(f"{K3S}/config.toml", target)
        hostile_host.link(
            f"{K3S}/config-v3.toml.tmpl",
            hostile_host.escaping_links(f"{K3S}/config-v3.toml.tmpl", "k3s/tmpl")[kind],
        )
        hostile_host.link("/var/lib/rancher/k3s/data/current", str(outside))
        by_id = run(fake)
        texts = " ".join(r.detail + r.remedy for r in by_id.values())
        assert SECRET not in texts, kind
        assert str(outside) not in texts.replace(f"-> {outside}", ""), kind
        assert by_id["wiring.k3s.template"].status == "warn", kind
        assert "does not exist" in by_id["wiring.k3s.template"].detail, kind
        assert by_id["wiring.k3s.config"].status == "fail", kind
        assert "wiring.k3s.handlers" in by_id and by_id["wiring.k3s.handlers"].status == "fail"


def test_nothing_is_run_for_k3s(k3s_host):
    """k3s's containerd is the host's program (and not on PATH): never run, whatever the
    root; its files are read."""
    calls: list[object] = []

    class Recording(Host):
        def run(self, argv, **kw):
            calls.append(argv)
            raise AssertionError(argv)

        def run_host_program(self, host_path, args=(), **kw):
            calls.append(host_path)
            raise AssertionError(host_path)

    k3s_host.host_type = Recording
    k3s_host.executable(f"{K3S_BIN}/{SHIM}")
    k3s_host.executable(f"{K3S_BIN}/containerd")
    rendered(k3s_host, GO_TEMPLATE, RUNC_V3 + KATA_V3)
    assert run(k3s_host)["wiring.k3s.handlers"].status == "pass"
    assert calls == []


def test_nothing_of_k3s_is_a_skip_naming_its_directory(k3s_host):
    by_id = run(k3s_host)
    assert list(by_id) == ["wiring.manager"]
    assert f"{K3S}/" in by_id["wiring.manager"].detail
    assert f"{RKE2}/" in by_id["wiring.manager"].detail


def test_handler_files_record_where_each_handler_is_defined(k3s_host):
    k3s_host.file(f"{K3S}/config.toml", f'imports = ["d/*.toml"]\n{RUNC_V3}{KATA_V3}')
    k3s_host.file(f"{K3S}/d/kata.toml", "version = 3\n" + KATA_V3)
    config = containerd.read_files(k3s_host.host, f"{K3S}/config.toml")
    assert config.handler_files == {
        "runc": [f"{K3S}/config.toml"],
        "kata": [f"{K3S}/config.toml", f"{K3S}/d/kata.toml"],
    }


# -- through the command -----------------------------------------------------------------


@pytest.mark.parametrize(
    "files, shim, exit_code, failing",
    [
        pytest.param({"config.toml": RUNC_V3 + KATA_V3}, True, 0, None, id="capable"),
        pytest.param({"config.toml": RUNC_V3}, True, 1, "wiring.k3s.handlers", id="no-handler"),
        pytest.param(
            {"config.toml": RUNC_V3 + KATA_V3}, False, 1, "wiring.k3s.shim.kata", id="no-shim"
        ),
        pytest.param({"config-v3.toml.tmpl": GO_TEMPLATE}, False, 0, None, id="template-only"),
    ],
)
def test_k3s_decides_the_verdict(cli, k3s_host, as_user, files, shim, exit_code, failing):
    from tests.jsonschemas import validate

    k3s_host.vhost_vsock()
    if shim:
        k3s_host.executable(f"{K3S_BIN}/{SHIM}")
    for name, text in files.items():
        k3s_host.file(f"{K3S}/{name}", text)
    root = str(k3s_host.root)
    result = cli("--host-root", root, "check", "-n", "--json")
    data = result.json()
    validate(data)
    assert result.exit_code == exit_code, result.stdout
    assert data["levels"]["wiring"] is (exit_code == 0)
    text = cli("--host-root", root, "check", "-n")
    assert text.exit_code == exit_code
    if failing:
        assert f"ERROR: {failing}:" in text.stderr
    else:
        assert "ERROR" not in text.stderr


def test_the_dump_is_parsed_with_the_limits_of_the_files(tmp_path):
    """`containerd config dump` prints what the installed binary wants: an integer of
    5,000 digits once escaped tomllib as a ValueError (a traceback); now the dump is set
    aside with the reason and the files are read."""
    fake = tmp_path / "containerd"
    fake.write_text("#!/bin/sh\necho 'version = 2'\necho 'oom_score = 1" + "0" * 5000 + "'\n")
    fake.chmod(0o755)
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'version = 2\n[{V2}.kata]\nruntime_type = "io.containerd.kata.v2"\n')

    class FakeContainerd(Host):
        @staticmethod
        def which(name, path=None):
            return str(fake) if name == "containerd" else None

    host = FakeContainerd("/")
    config = containerd.load(host, str(config_file))
    assert config is not None
    assert config.source == containerd.FILES_SOURCE
    assert "printed TOML past kata-cli's limits" in config.dump_note
    assert "64-bit" in config.dump_note
    assert [h.name for h in config.handlers()] == ["kata"]
    # a value past 64 bits that tomllib takes silently is refused too
    fake.write_text("#!/bin/sh\necho 'version = 2'\necho 'oom_score = 9223372036854775808'\n")
    assert "past kata-cli's limits" in containerd.load(host, str(config_file)).dump_note
    # and a dump within the limits is used
    fake.write_text(
        "#!/bin/sh\necho 'version = 2'\n"
        f"echo '[{V2}.k]'\necho 'runtime_type = \"io.containerd.kata.v2\"'\n"
    )
    dumped = containerd.load(host, str(config_file))
    assert dumped.source == containerd.DUMP_SOURCE
    assert [h.name for h in dumped.handlers()] == ["k"]


def test_docstring_table_is_the_catalogue():
    """The module docstring's table names every family of ids the catalogue has."""
    doc = textwrap.dedent(units.__doc__ or "")
    for spec in units.catalogue():
        parts = spec.id.split(".")
        if len(parts) == 3 and parts[1] in ("containerd", "k3s", "rke2"):
            assert f"wiring.<m>.{parts[2]}" in doc or f"wiring.<k3s/rke2>.{parts[2]}" in doc
        else:
            assert f"`{spec.id}" in doc, spec.id
