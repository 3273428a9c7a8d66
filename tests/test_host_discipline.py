"""Host discipline: only host.py (and the allow-listed modules) touch the file system,
sockets or processes directly. Everything else goes through `kata_cli.host.Host`.

The check reads each module's AST, so a call is caught however it is spelled
(`os.listdir`, `from os import listdir`, `Path(x).read_text()`, `open(...)`), and
comments or strings mentioning those names do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kata_cli"

# module (relative to kata_cli/) -> why it may touch the local machine directly.
# vm/ is listed file by file: each module there earns its entry.
ALLOWED: dict[str, str] = {
    "host.py": "the one module that touches the host",
    "version.py": "reads the package's own .git to report the build commit",
    "logsetup.py": "opens the --log file the user named",
    "config/discovery.py": "finds the package's own data directory (share/, _share/)",
    "checks/tables.py": "reads the package's own check tables from share/",
    "console/vsock.py": "AF_VSOCK connects to a (cid, port), not to a path",
    "vm/guest_build.py": "builds the test guest: downloads, unpacks, writes its cache",
    "vm/lifecycle.py": "starts, stops and cleans up QEMU and virtiofsd in its run directory",
    "vm/qmp.py": "talks QMP on the VM's own control socket",
    "vm/relay.py": "relays the VM's hybrid-vsock socket to the shim API socket",
    "vm/shimapi.py": "serves the fake shim API socket of a VM",
    "vm/state.py": "owns the VM run directory: records, locks, pid files",
    "vm/supervisor.py": "supervises QEMU and its helpers (processes, signals, sockets)",
}

# file-system functions of os / os.path / shutil / glob / tempfile / tarfile
_MODULE_CALLS = {
    "os": {
        "open",
        "listdir",
        "scandir",
        "access",
        "stat",
        "lstat",
        "readlink",
        "unlink",
        "remove",
        "rename",
        "replace",
        "mkdir",
        "makedirs",
        "rmdir",
        "removedirs",
        "chmod",
        "chown",
        "lchown",
        "symlink",
        "link",
        "mkfifo",
        "mknod",
        "walk",
        "fwalk",
        "truncate",
        "utime",
        "statvfs",
        "chdir",
        "chroot",
        "execv",
        "execve",
        "execvp",
        "execvpe",
        "spawnv",
        "spawnve",
        "posix_spawn",
        "posix_spawnp",
        "system",
        "popen",
        "fork",
        "forkpty",
    },
    "os.path": {
        "exists",
        "lexists",
        "isfile",
        "isdir",
        "islink",
        "ismount",
        "realpath",
        "getsize",
        "getmtime",
        "getctime",
        "getatime",
        "samefile",
    },
    "shutil": {"rmtree", "copy", "copy2", "copyfile", "copytree", "move", "chown", "which"},
    "glob": {"glob", "iglob"},
    "tempfile": {"mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryDirectory"},
    "tarfile": {"open"},
    "io": {"open"},
}
# modules whose every use means processes or raw sockets
_FORBIDDEN_MODULES = {"subprocess", "pty", "socket"}
_SOCKET_OK = {"socket", "AF_UNIX", "AF_VSOCK", "SOCK_STREAM", "timeout", "error"}
# pathlib methods that touch the file system; called on anything that is not a Host
_PATH_METHODS = {
    "exists",
    "is_file",
    "is_dir",
    "is_symlink",
    "is_socket",
    "is_fifo",
    "is_char_device",
    "is_block_device",
    "is_mount",
    "glob",
    "rglob",
    "iterdir",
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "unlink",
    "rename",
    "replace",
    "mkdir",
    "rmdir",
    "touch",
    "chmod",
    "lchmod",
    "symlink_to",
    "hardlink_to",
    "readlink",
    "resolve",
    "lstat",
    "samefile",
}
# receivers that are Host objects (their methods are the door, not a way around it)
_HOST_NAMES = {"host", "fs", "this_host", "app.host", "ctx.host", "self.host", "item.fs"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


class _Scanner(ast.NodeVisitor):
    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.found: list[str] = []
        self.aliases: dict[str, str] = {}  # local name -> "module.function" or "module"

    def _hit(self, node: ast.AST, what: str) -> None:
        self.found.append(f"{self.rel}:{getattr(node, 'lineno', 0)}: {what}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.split(".")[0]
            if top in _FORBIDDEN_MODULES and alias.name != "socket":
                self._hit(node, f"import {alias.name}")
            self.aliases[alias.asname or alias.name] = alias.name
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            if module in _FORBIDDEN_MODULES and alias.name not in _SOCKET_OK:
                self._hit(node, f"from {module} import {alias.name}")
            if alias.name in _MODULE_CALLS.get(module, ()):
                self._hit(node, f"from {module} import {alias.name}")
            self.aliases[alias.asname or alias.name] = f"{module}.{alias.name}"
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = _dotted(func)
        if isinstance(func, ast.Name) and func.id == "open" and "open" not in self.aliases:
            self._hit(node, "open()")
        if name:
            head, _, last = name.rpartition(".")
            module = self.aliases.get(head, head) if head else ""
            in_memory = any(k.arg == "fileobj" for k in node.keywords)  # tarfile on a buffer
            if last in _MODULE_CALLS.get(module, ()) and not in_memory:
                self._hit(node, f"{module}.{last}()")
            if module.split(".")[0] in _FORBIDDEN_MODULES - {"socket"}:
                self._hit(node, f"{name}()")
            if last == "connect" or last == "connect_ex":
                self._hit(node, f"{name}() (sockets go through Host.connect_unix)")
        is_module = _dotted(getattr(func, "value", func)) in self.aliases
        if isinstance(func, ast.Attribute) and func.attr in _PATH_METHODS and not is_module:
            receiver = _dotted(func.value)
            looks_like_host = receiver in _HOST_NAMES or receiver.endswith(("host", ".fs"))
            if isinstance(func.value, ast.Call):  # Host("/").read_bytes(), local_host().x()
                looks_like_host = _dotted(func.value.func) in ("Host", "local_host")
            if not looks_like_host and not _is_string_method(func):
                self._hit(node, f".{func.attr}() on {receiver or ast.unparse(func.value)[:40]}")
        self.generic_visit(node)


def _is_string_method(func: ast.Attribute) -> bool:
    # str.replace / bytes.replace and dataclasses.replace are not file-system calls
    if func.attr != "replace":
        return False
    receiver = func.value
    if isinstance(receiver, ast.Constant | ast.JoinedStr | ast.Call | ast.Subscript):
        return True
    return _dotted(receiver) in ("dataclasses",) or isinstance(receiver, ast.Name | ast.Attribute)


def scan(source: str, rel: str = "<test>") -> list[str]:
    scanner = _Scanner(rel)
    scanner.visit(ast.parse(source))
    return scanner.found


def _modules() -> list[tuple[str, Path]]:
    return [(p.relative_to(PACKAGE).as_posix(), p) for p in sorted(PACKAGE.rglob("*.py"))]


def test_no_direct_host_access_outside_host_module():
    offenders = []
    for rel, path in _modules():
        if rel in ALLOWED:
            continue
        offenders.extend(scan(path.read_text(), rel))
    assert offenders == [], "use kata_cli.host.Host instead:\n" + "\n".join(offenders)


def test_allow_list_entries_exist_and_give_a_reason():
    for rel, reason in ALLOWED.items():
        assert (PACKAGE / rel).is_file(), f"{rel} is allowed but does not exist"
        assert len(reason) > 20, rel


def test_allow_list_names_vm_files_one_by_one():
    assert not any(rel.endswith("/") or "*" in rel for rel in ALLOWED)
    assert "vm/__init__.py" not in ALLOWED


def test_allowed_modules_still_need_their_entry():
    """An entry for a module that no longer touches anything is stale: remove it."""
    stale = [rel for rel in ALLOWED if rel != "host.py" and not scan((PACKAGE / rel).read_text())]
    assert stale == []


@pytest.mark.parametrize(
    "source",
    [
        "open('/etc/passwd')",
        "import os\nos.listdir('/proc')",
        "import os\nos.path.exists('/dev/kvm')",
        "from os import scandir\nscandir('/')",
        "from os.path import isfile",
        "import os.path as p\np.isdir('/x')",
        "import subprocess",
        "from subprocess import run",
        "from pathlib import Path\nPath('/etc/x').read_text()",
        "from pathlib import Path\nPath('/run').glob('*')",
        "import shutil\nshutil.rmtree('/run/x')",
        "import glob\nglob.glob('/sys/*')",
        "import socket\ns = socket.socket()\ns.connect('/run/x.sock')",
        "import os\nos.access('/dev/kvm', os.R_OK)",
        "import os\nos.stat('/x')",
        "def f(p):\n    return p.is_dir()",
        "import tarfile\ntarfile.open('/x')",
        "import os\nos.open('/dev/kvm', os.O_RDWR)",
    ],
)
def test_the_scanner_catches(source):
    assert scan(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "host.read_text('/proc/cpuinfo')",
        "ctx.host.glob('/sys/*')",
        "self.host.exists('/dev/kvm')",
        "'a'.replace('a', 'b')",
        "import dataclasses\ndataclasses.replace(x, a=1)",
        "import socket\nsocket.socket(socket.AF_UNIX)",
        "# open('/etc/passwd') in a comment\nx = 'os.listdir'",
        "import os\nos.environ.get('X')",
        "import tarfile\ntarfile.open(fileobj=buffer, mode='w:gz')",
        "Host('/').read_bytes('/x')",
    ],
)
def test_the_scanner_lets_pass(source):
    assert scan(source) == []
