from __future__ import annotations

import json
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kata_cli.errors import KataError, UsageError
from kata_cli.shim.volumes import (
    VOLUMES_ROOT,
    add_volume,
    encode_volume_path,
    parse_mount_info,
    remove_volume,
)

GOOD = (
    '{"volume-type":"block","device":"/dev/sda","fstype":"ext4","options":["journal_dev","noload"]}'
)


@pytest.mark.parametrize(
    ("path", "encoded"),
    [
        ("/a/b/c", "L2EvYi9j"),
        ("/a/b", "L2EvYg=="),
        (
            "/kubelet/kata-test-vol-001/volume001",
            "L2t1YmVsZXQva2F0YS10ZXN0LXZvbC0wMDEvdm9sdW1lMDAx",
        ),
        ("../../etc/passwd", "Li4vLi4vZXRjL3Bhc3N3ZA=="),
    ],
)
def test_encoding_matches_upstream(path, encoded):
    assert encode_volume_path(path) == encoded


def test_add_writes_verbatim_with_modes(fake_host):
    add_volume(fake_host.host, "/a/b/c", GOOD)
    directory = fake_host.local(f"{VOLUMES_ROOT}/L2EvYi9j")
    info = directory / "mountInfo.json"
    assert info.read_text() == GOOD
    assert stat.S_IMODE(info.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert sorted(p.name for p in directory.iterdir()) == ["mountInfo.json"]  # no temp files


@pytest.mark.parametrize("path", ["", " ", "\t\n"])
def test_blank_paths_are_refused_and_root_survives(fake_host, path):
    fake_host.file(f"{VOLUMES_ROOT}/L2EvYi9j/mountInfo.json", GOOD)
    with pytest.raises(UsageError):
        add_volume(fake_host.host, path, GOOD)
    with pytest.raises(UsageError):
        remove_volume(fake_host.host, path)
    assert fake_host.local(f"{VOLUMES_ROOT}/L2EvYi9j/mountInfo.json").exists()
    assert not fake_host.local(f"{VOLUMES_ROOT}/mountInfo.json").exists()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("not json", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"device":"/dev/sda","fstype":"ext4"}', '"volume-type"'),
        ('{"volume-type":"block","fstype":"ext4"}', '"device"'),
        ('{"volume-type":"block","device":"/dev/sda"}', '"fstype"'),
        ('{"volume-type":1,"device":"/dev/sda","fstype":"ext4"}', '"volume-type"'),
        ('{"volume-type":"b","device":"d","fstype":"f","metadata":"x"}', '"metadata"'),
        ('{"volume-type":"b","device":"d","fstype":"f","metadata":{"k":1}}', '"metadata"'),
        ('{"volume-type":"b","device":"d","fstype":"f","options":"ro"}', '"options"'),
    ],
)
def test_invalid_mount_info_leaves_nothing_behind(fake_host, text, needle):
    with pytest.raises(KataError) as info:
        add_volume(fake_host.host, "/a/b/c", text)
    assert needle in str(info.value)
    assert not fake_host.local(f"{VOLUMES_ROOT}/L2EvYi9j").exists()


def test_existing_non_directory_is_refused(fake_host):
    fake_host.file(f"{VOLUMES_ROOT}/L2EvYi9j", "x")
    with pytest.raises(KataError, match="should be a directory"):
        add_volume(fake_host.host, "/a/b/c", GOOD)


def test_remove_is_idempotent(fake_host):
    add_volume(fake_host.host, "/a/b/c", GOOD)
    fake_host.file(f"{VOLUMES_ROOT}/L2EvYi9j/sb1", "")
    assert remove_volume(fake_host.host, "/a/b/c") is True
    assert not fake_host.local(f"{VOLUMES_ROOT}/L2EvYi9j").exists()
    assert fake_host.local(VOLUMES_ROOT).is_dir()
    assert remove_volume(fake_host.host, "/a/b/c") is False


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    st.dictionaries(
        st.sampled_from(["volume-type", "device", "fstype", "metadata", "options", "x"]),
        json_values,
    )
)
def test_validation_never_raises_anything_else(data):
    try:
        info = parse_mount_info(json.dumps(data))
    except KataError as exc:
        assert exc.message.startswith("invalid mount info")
        return
    assert info.device and info.fstype and info.volume_type


@given(st.text(max_size=50))
def test_arbitrary_text_never_raises_anything_else(text):
    try:
        parse_mount_info(text)
    except KataError:
        pass
