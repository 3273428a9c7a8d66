"""Version details: package version, build commit, OCI spec version."""

from __future__ import annotations

from pathlib import Path

from kata_cli import NAME, OCI_SPEC_VERSION, __version__

UNKNOWN = "<<unknown>>"


def commit() -> str:
    """The commit this copy was built from: the git checkout it runs from, else unknown."""
    git = Path(__file__).resolve().parent.parent / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head or UNKNOWN
        ref = head[5:]
        ref_file = git / ref
        if ref_file.is_file():
            return ref_file.read_text().strip() or UNKNOWN
        packed = git / "packed-refs"
        for line in packed.read_text().splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha
    except OSError:
        pass
    return UNKNOWN


def version_text(name: str = NAME) -> str:
    """The three-line block of `version` / `--version` (spec section 3 layout)."""
    return (
        f"{name}  : {__version__ or UNKNOWN}\n"
        f"   commit   : {commit()}\n"
        f"   OCI specs: {OCI_SPEC_VERSION or UNKNOWN}\n"
    )
