from __future__ import annotations

import json
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kata_cli.errors import KataError, UsageError
from kata_cli.shim.go_json_errors import syntax_error
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
        ("not json", "invalid character 'o' in literal null (expecting 'u')"),
        ("[]", "json: cannot unmarshal array into Go value of type volume.MountInfo"),
        ("null", "expected a JSON object"),
        ('{"device":"/dev/sda","fstype":"ext4"}', '"volume-type"'),
        ('{"volume-type":"block","fstype":"ext4"}', '"device"'),
        ('{"volume-type":"block","device":"/dev/sda"}', '"fstype"'),
        (
            '{"volume-type":1,"device":"/dev/sda","fstype":"ext4"}',
            "MountInfo.volume-type of type string",
        ),
        (
            '{"volume-type":"b","device":"d","fstype":"f","metadata":"x"}',
            "json: cannot unmarshal string into Go struct field MountInfo.metadata of type map[string]string",
        ),
        ('{"volume-type":"b","device":"d","fstype":"f","metadata":{"k":1}}', "MountInfo.metadata"),
        (
            '{"volume-type":"b","device":"d","fstype":"f","options":"ro"}',
            "MountInfo.options of type []string",
        ),
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
        assert exc.message.startswith(("invalid mount info", "json: cannot unmarshal"))
        return
    assert info.device and info.fstype and info.volume_type


@given(st.text(max_size=50))
def test_arbitrary_text_never_raises_anything_else(text):
    try:
        parse_mount_info(text)
    except KataError:
        pass


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "unexpected end of JSON input"),
        ("{", "unexpected end of JSON input"),
        ("x", "invalid character 'x' looking for beginning of value"),
        ("{x", "invalid character 'x' looking for beginning of object key string"),
        ('{"a" 1}', "invalid character '1' after object key"),
        ('{"a":1 "b"}', "invalid character '\"' after object key:value pair"),
        ("[1 2]", "invalid character '2' after array element"),
        ("{} x", "invalid character 'x' after top-level value"),
        ("tru", "unexpected end of JSON input"),
        ("trUe", "invalid character 'U' in literal true (expecting 'u')"),
        ("falsy", "invalid character 'y' in literal false (expecting 'e')"),
        (r'"a\tb"', None),
        (r'"a\tb', "unexpected end of JSON input"),
        (r'"a\qb"', "invalid character 'q' in string escape code"),
        (r'"\u12G4"', r"invalid character 'G' in \u hexadecimal character escape"),
        (r'"a\nb\u00e9"', None),
        ('"a\nb"', r"invalid character '\n' in string literal"),
        ('"a\x01b"', r"invalid character '\x01' in string literal"),
        ("-x", "invalid character 'x' in numeric literal"),
        ("1.x", "invalid character 'x' after decimal point in numeric literal"),
        ("1ex", "invalid character 'x' in exponent of numeric literal"),
        ("01", "invalid character '1' after top-level value"),
        ("[-0.5e+3, 10, true, null]", None),
        ("'a'", r"invalid character '\'' looking for beginning of value"),
    ],
)
def test_go_syntax_messages(text, message):
    assert syntax_error(text) == message


@given(st.text(max_size=40))
def test_go_syntax_agrees_with_python_on_valid_json(text):
    try:
        json.loads(text)
    except ValueError:
        return
    if "NaN" in text or "Infinity" in text:
        return  # Python accepts these, Go does not
    assert syntax_error(text) is None, text


@given(json_values.map(lambda v: json.dumps(v, ensure_ascii=False)), st.sampled_from([0, 2]))
def test_go_syntax_accepts_everything_python_writes(text, indent):
    assert syntax_error(text) is None
    assert syntax_error(json.dumps(json.loads(text), indent=indent)) is None


@given(st.text(max_size=60))
def test_go_syntax_never_raises(text):
    result = syntax_error(text)
    assert result is None or isinstance(result, str)


def test_root_volume_path_is_refused_on_add_but_removable(fake_host):
    with pytest.raises(UsageError, match="must not be /"):
        add_volume(fake_host.host, "/", GOOD)
    assert not fake_host.local(VOLUMES_ROOT).exists()
    # one written by another tool can still be removed
    fake_host.file(f"{VOLUMES_ROOT}/{encode_volume_path('/')}/mountInfo.json", GOOD)
    assert remove_volume(fake_host.host, "/") is True


def test_dot_dot_paths_stay_inside_the_volumes_root(fake_host):
    directory = add_volume(fake_host.host, "../../etc/passwd", GOOD)
    assert directory == f"{VOLUMES_ROOT}/Li4vLi4vZXRjL3Bhc3N3ZA=="
    assert fake_host.local(directory).parent == fake_host.local(VOLUMES_ROOT)


def test_non_utf8_volume_path_uses_its_raw_bytes(fake_host):
    from kata_cli.shim.volumes import list_volumes

    path = "/a\udcff"  # how Python shows the argv byte 0xff
    directory = add_volume(fake_host.host, path, GOOD)
    assert directory == f"{VOLUMES_ROOT}/L2H_"
    (entry,) = list_volumes(fake_host.host)
    assert entry.volume_path == "/a\\xff"


def test_too_long_volume_path_is_a_usage_error(fake_host):
    with pytest.raises(UsageError, match="too long"):
        add_volume(fake_host.host, "/x" * 200, GOOD)
    with pytest.raises(UsageError, match="too long"):
        remove_volume(fake_host.host, "/x" * 200)


def test_deeply_nested_mount_info_is_listed_as_an_error(fake_host):
    from kata_cli.shim.volumes import list_volumes

    fake_host.file(f"{VOLUMES_ROOT}/L2EvYi9j/mountInfo.json", "[" * 100000)
    (entry,) = list_volumes(fake_host.host)
    assert entry.volume_path == "/a/b/c"
    assert entry.error is not None and "not valid JSON" in entry.error


def test_symlinked_volume_directory_is_not_written_through(fake_host, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = fake_host.local(f"{VOLUMES_ROOT}/L2EvYi9j")
    link.parent.mkdir(parents=True)
    link.symlink_to(elsewhere)
    with pytest.raises(KataError, match="should be a directory"):
        add_volume(fake_host.host, "/a/b/c", GOOD)
    assert list(elsewhere.iterdir()) == []
    assert remove_volume(fake_host.host, "/a/b/c") is True  # removes the link only
    assert elsewhere.is_dir()
