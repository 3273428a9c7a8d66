"""Version details: package version, build commit, OCI spec version."""

from __future__ import annotations

import os

from kata_cli import NAME, OCI_SPEC_VERSION, __version__

UNKNOWN = "<<unknown>>"


def commit() -> str:
    """The commit this copy runs from: the git checkout around the package (an editable
    install or a source tree), else the one recorded when the wheel was built."""
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return checkout_commit(top) or _built_commit() or UNKNOWN


def _built_commit() -> str:
    try:
        from kata_cli._build_info import COMMIT
    except ImportError:
        return ""
    return str(COMMIT)


def checkout_commit(top: str) -> str:
    """HEAD of the git checkout at `top` without running git; "" when there is none.

    `.git` is a directory, or (a worktree, a submodule) a file naming the git directory,
    whose `commondir` holds the shared refs.
    """
    git = os.path.join(top, ".git")
    try:
        if os.path.isfile(git):
            text = _read(git)
            if not text.startswith("gitdir: "):
                return ""
            git = os.path.normpath(os.path.join(top, text[8:].strip()))
        head = _read(os.path.join(git, "HEAD"))
        if not head.startswith("ref: "):
            return _sha(head)
        ref = head[5:].strip()
        common = git
        if os.path.isfile(os.path.join(git, "commondir")):
            common = os.path.normpath(os.path.join(git, _read(os.path.join(git, "commondir"))))
        for directory in (git, common):
            if os.path.isfile(os.path.join(directory, ref)):
                return _sha(_read(os.path.join(directory, ref)))
        packed = os.path.join(common, "packed-refs")
        if os.path.isfile(packed):
            for line in _read(packed).splitlines():
                sha, _, name = line.partition(" ")
                if name == ref:
                    return _sha(sha)
    except (OSError, UnicodeDecodeError):
        pass
    return ""


def _sha(text: str) -> str:
    return text if len(text) == 40 and all(c in "0123456789abcdef" for c in text) else ""


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
