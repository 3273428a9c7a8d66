"""The KVM test: the real ioctl path where /dev/kvm exists, error paths with fixture files."""

from __future__ import annotations

import errno
import os

import pytest

from kata_cli.checks import kvm
from kata_cli.checks.context import CheckContext
from kata_cli.host import Host


def kvm_result(fake_host, is_root):
    fake_host.intel().installed()
    ctx = CheckContext(fake_host.host, None, is_root=is_root)
    (result,) = list(kvm.kvm_checks(ctx))
    return result, ctx


def real_kvm_usable() -> bool:
    return Host("/").kind("/dev/kvm") == "char" and os.access("/dev/kvm", os.R_OK | os.W_OK)


@pytest.mark.skipif(not real_kvm_usable(), reason="no usable /dev/kvm on this machine")
def test_real_ioctl_path_through_a_device_node(fake_host):
    """A 10:232 node under the fixture root is the real KVM device: same answer as /dev/kvm."""
    st = os.stat("/dev/kvm")
    fake_host.char_device("/dev/kvm", os.major(st.st_rdev), os.minor(st.st_rdev))
    expected = kvm.probe_kvm(Host("/"))
    result, ctx = kvm_result(fake_host, is_root=True)
    assert (result.status == "pass") == expected.ok
    if expected.ok:
        assert "KVM API version 12" in result.detail
    else:
        assert ctx.kvm_error == expected.errno_text


def test_missing_device_as_root_fails_with_errno_text(fake_host):
    result, ctx = kvm_result(fake_host, is_root=True)
    assert result.status == "fail"
    assert ctx.kvm_error == "no such file or directory"
    assert "does not exist" in result.detail


def test_missing_device_as_user_only_warns(fake_host):
    result, _ = kvm_result(fake_host, is_root=False)
    assert result.status == "warn"


def test_regular_file_is_not_a_kvm_device(fake_host):
    fake_host.file("/dev/kvm", "")
    result, ctx = kvm_result(fake_host, is_root=True)
    assert result.status == "fail"
    assert "not a character device" in result.detail
    assert ctx.kvm_error == "inappropriate ioctl for device"


def test_permission_denied_for_a_user_is_cannot_verify(fake_host, kvm_device):
    class Denied(Host):
        def access(self, path, mode):
            return False

    fake_host.host_type = Denied
    result, _ = kvm_result(fake_host, is_root=False)
    assert result.status == "warn"
    assert result.detail.startswith("cannot verify: cannot open /dev/kvm: permission denied")
    assert "kvm group" in result.remedy


def _node(fake_host):
    fake_host.char_device("/dev/kvm", 1, 3)  # /dev/null's numbers: opens anywhere


def _ioctl(monkeypatch, version=12, create=None):
    import fcntl

    def ioctl(fd, request, arg=0, *rest):
        if request == kvm.KVM_GET_API_VERSION:
            return version
        if create is not None:
            raise OSError(create, os.strerror(create))
        return os.open(os.devnull, os.O_RDONLY)

    monkeypatch.setattr(fcntl, "ioctl", ioctl)


def test_wrong_api_version(fake_host, monkeypatch):
    _node(fake_host)
    _ioctl(monkeypatch, version=11)
    result, _ = kvm_result(fake_host, is_root=True)
    assert result.status == "fail"
    assert "KVM API version is 11, expected 12" in result.detail


def test_busy_names_another_hypervisor(fake_host, monkeypatch):
    _node(fake_host)
    _ioctl(monkeypatch, create=errno.EBUSY)
    result, ctx = kvm_result(fake_host, is_root=True)
    assert result.status == "fail"
    assert 'reason="another hypervisor running"' in result.detail
    assert "VirtualBox" in result.remedy
    assert ctx.kvm_error == "device or resource busy"


def test_success_closes_the_vm(fake_host, monkeypatch):
    _node(fake_host)
    _ioctl(monkeypatch)
    result, ctx = kvm_result(fake_host, is_root=False)
    assert result.status == "pass"
    assert ctx.kvm_error == ""
