"""Build hook: record the git commit a wheel is built from in `kata_cli/_build_info.py`.

An installed wheel has no `.git` next to it, so `kata-cli version` and `env`'s
`Runtime.Version.Version.Commit` read the commit from that generated module. Editable
installs are skipped: they read the live checkout instead (kata_cli/version.py).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TARGET = "kata_cli/_build_info.py"


def git_commit(root: str) -> str:
    """HEAD of the checkout at `root`, "" when git or the checkout is missing."""
    try:
        result = subprocess.run(
            ["git", "-C", root, "rev-parse", "--verify", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    commit = result.stdout.strip()
    if result.returncode != 0 or len(commit) != 40:
        return ""
    try:
        int(commit, 16)
    except ValueError:
        return ""
    return commit


class BuildInfoHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        commit = git_commit(self.root)
        if not commit:
            return
        fd, path = tempfile.mkstemp(prefix="kata-cli-build-info-", suffix=".py")
        with os.fdopen(fd, "w") as handle:
            handle.write(
                f'"""Generated at build time by hatch_build.py."""\n\nCOMMIT = "{commit}"\n'
            )
        self._generated = path
        build_data.setdefault("force_include", {})[path] = TARGET

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        generated = getattr(self, "_generated", None)
        if generated:
            try:
                os.unlink(generated)
            except OSError:
                pass
