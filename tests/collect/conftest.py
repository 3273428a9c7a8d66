"""collect-data fixtures: a host with secrets seeded everywhere, stub programs on PATH."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_QEMU_CONFIG, FakeHost

MARK = "SEKRIT"  # every seeded secret contains it; no output may
SANDBOX_ID = "a1b2c3d4e5f6"

SECRET_CONFIG = (
    MINIMAL_QEMU_CONFIG.replace(
        'kernel_params = "cgroup_no_v1=all"',
        'kernel_params = "cgroup_no_v1=all agent.aa_kbc_params=cc_kbc::'
        'https://kbs:kbs-SEKRIT-pw@kbs.example.com:8080"',
    )
    + '\n# a comment that only --full-configs keeps\n[runtime.extra]\njaeger_endpoint = "http://jaeger:14268"\n'
    + 'jaeger_user = "jaeger"\njaeger_password = "jaeger-SEKRIT-pw"\n'
)

CONTAINERD_CONFIG = """\
version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]
  runtime_type = "io.containerd.kata.v2"
  privileged_without_host_devices = true
[plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example.com".auth]
  username = "ci-SEKRIT-user"
  password = "containerd-SEKRIT-pw"
  auth = "Y2k6U0VLUklU-SEKRIT"
  identitytoken = "idtoken-SEKRIT"
[plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example.com".tls]
  key_file = '''-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC-SEKRIT-
-----END PRIVATE KEY-----'''
"""

AUTH_JSON = '{\n  "auths": {\n    "quay.io": {"auth": "cXVheTpTRUtSSVQ=SEKRIT"}\n  }\n}\n'
DOCKER_DAEMON = (
    '{"proxies": {"http-proxy": "http://proxyuser:proxy-SEKRIT@proxy.corp.example:3128"},\n'
    ' "registry-mirrors": ["https://mirror.example.com"]}\n'
)
DOCKER_CLIENT = (
    '{"auths": {"https://index.docker.io/v1/": {"auth": "ZG9ja2VyOlNFS1JJVA==SEKRIT"}}}\n'
)
CRIO_CONF = '[crio.image]\nglobal_auth_file = "/etc/crio/auth.json"\n[crio.runtime.runtimes.kata]\nruntime_path = "/usr/bin/containerd-shim-kata-v2"\n'

KUBECONFIG = """\
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: DATA+OMITTED
    server: https://10.0.0.1:6443
  name: prod
users:
- name: admin
  user:
    token: kube-token-SEKRIT
    client-key-data: a2V5LVNFS1JJVA==SEKRIT
    password: kube-SEKRIT-pw
    exec:
      command: aws
      env:
      - name: AWS_SECRET_ACCESS_KEY
        value: aws-SEKRIT-key
"""


def stub(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return path


def journal_script(lines: int = 3000) -> str:
    return f"""\
    i=0
    while [ $i -lt {lines} ]; do
      echo "2026-11-25T10:00:00.$i+0000 node kata[42]: time=\\"2026-11-25T10:00:00Z\\" level=info msg=\\"tick $i\\" sandbox=other"
      i=$((i+1))
    done
    echo '2026-11-25T11:00:00.000001+0000 node kata[42]: time="2026-11-25T11:00:00Z" level=error msg="pull failed" sandbox={SANDBOX_ID} Authorization: Bearer journal-SEKRIT-token'
    echo '2026-11-25T11:00:01.000001+0000 node containerd[7]: {{"msg":"shim started","level":"WARN","sid":"{SANDBOX_ID}","source":"kata"}}'
    echo 'proxy https://u:journal-SEKRIT@proxy.example.com:3128'
    """


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    """A PATH directory of stub programs: hanging docker, failing kubectl, a loud journal."""
    directory = tmp_path / "bin"
    directory.mkdir()
    stub(directory, "docker", "exec /bin/sleep 30\n")
    stub(
        directory,
        "kubectl",
        f"""\
        if [ "$1" = config ]; then /bin/cat <<'EOF'
{KUBECONFIG}EOF
        exit 0; fi
        echo "The connection to the server localhost:8080 was refused" >&2
        exit 1
        """,
    )
    stub(directory, "journalctl", journal_script())
    stub(
        directory,
        "systemctl",
        """\
        echo "Id=$2.service"
        echo "ActiveState=active"
        echo "Environment=HTTPS_PROXY=http://proxyuser:systemd-SEKRIT@proxy.corp.example:3128 REGISTRY_TOKEN=env-SEKRIT-token"
        echo "Environment=http_proxy=proxyuser:bare-SEKRIT@proxy.corp.example:3128"
        """,
    )
    stub(directory, "containerd", 'echo "containerd github.com/containerd/containerd v1.7.20"\n')
    stub(
        directory,
        "crio",
        """\
        if [ "$1" = config ]; then echo 'pause_image_auth_file = "/x"'; echo 'password = "crio-SEKRIT-pw"'; exit 0; fi
        echo "crio version 1.30.0"
        """,
    )
    stub(directory, "podman", 'echo "podman version 5.0.0"\n')
    stub(
        directory,
        "dmesg",
        """\
        echo "[    1.0] kvm: Nested Virtualization enabled"
        echo "[    1.1] usb 1-1: new device"
        echo "[    1.2] vhost_vsock: loaded"
        """,
    )
    stub(
        directory,
        "dpkg-query",
        """\
        echo "kata-containers 3.2.0 ii "
        echo "libc6 2.36 ii "
        echo "qemu-system-x86 1:7.2 ii "
        """,
    )
    return directory


@pytest.fixture
def seeded(fake_host: FakeHost) -> FakeHost:
    """An Intel host with secrets in every place redaction must cover."""
    fake_host.intel()
    fake_host.config(SECRET_CONFIG)
    fake_host.file("/etc/machine-id", "0123456789abcdef0123456789abcdef\n")
    fake_host.file("/etc/hostname", "node-7.prod.example.com\n")
    fake_host.file("/etc/containerd/config.toml", CONTAINERD_CONFIG)
    fake_host.file("/etc/containers/auth.json", AUTH_JSON)
    fake_host.file(
        "/etc/containers/registries.conf", 'unqualified-search-registries = ["docker.io"]\n'
    )
    fake_host.file("/etc/docker/daemon.json", DOCKER_DAEMON)
    fake_host.file("/root/.docker/config.json", DOCKER_CLIENT)
    fake_host.file("/etc/crio/crio.conf", CRIO_CONF)
    fake_host.dir("/run/systemd/system")
    fake_host.file(f"/run/vc/sbs/{SANDBOX_ID}/persist.json", '{"state": "running"}\n')
    fake_host.file(
        "/proc/4242/cmdline",
        f"/opt/kata/bin/qemu-system-x86_64\0-name\0sandbox-{SANDBOX_ID}\0".encode(),
    )
    fake_host.file("/proc/4243/cmdline", b"/usr/sbin/sshd\0-D\0")
    fake_host.file(
        "/proc/4244/cmdline",
        b"/opt/kata/bin/qemu-system-x86_64\0-object\0secret,id=s0,data=qemu-SEKRIT\0"
        b"/usr/bin/containerd-shim-kata-v2\0--password\0shim-SEKRIT\0",
    )
    fake_host.file(
        "/var/lib/rancher/k3s/agent/containerd/containerd.log",
        f'time="2026-11-25T10:30:00Z" level=info msg="kata shim for {SANDBOX_ID} started"\n'
        'time="2026-11-25T10:31:00Z" level=info msg="unrelated"\n',
    )
    return fake_host
