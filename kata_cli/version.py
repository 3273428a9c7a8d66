"""Version details: package version, build commit, OCI spec version."""

from __future__ import annotations

import os

from kata_cli import NAME, OCI_SPEC_VERSION, __version__

UNKNOWN = "<<unknown>>"


def commit() -> str:
    """The commit this copy was built from: the git checkout it runs from, else unknown."""
    git = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".git")
    try:
        head = _read(os.path.join(git, "HEAD"))
        if not head.startswith("ref: "):
            return head or UNKNOWN
        ref = head[5:]
        ref_file = os.path.join(git, ref)
        if os.path.isfile(ref_file):
            return _read(ref_file) or UNKNOWN
        for line in _read(os.path.join(git, "packed-refs")).splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha
    except OSError:
        pass
    return UNKNOWN


def _read(path: str) -> str:
    # pathlib would pull re, urllib and ipaddress into `--version`
    with open(path, encoding="utf-8") as file:
        return file.read().strip()


def version_text(name: str = NAME) -> str:
    """The three-line block of `version` / `--version` (spec section 3 layout)."""
    return (
        f"{name}  : {__version__ or UNKNOWN}\n"
        f"   commit   : {commit()}\n"
        f"   OCI specs: {OCI_SPEC_VERSION or UNKNOWN}\n"
    )
