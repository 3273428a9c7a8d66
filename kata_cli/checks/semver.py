"""Strict SemVer 2.0 (semver.org): parsing and precedence. No `v` prefix, no PEP 440."""

from __future__ import annotations

import functools
import re

from kata_cli.record import record

_NUM = r"0|[1-9]\d*"
_IDENT = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
SEMVER = re.compile(
    rf"^(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


@functools.total_ordering
@record(frozen=True)
class Version:
    """A semantic version, ordered as semver orders them."""

    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()
    build: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        match = SEMVER.match(text)
        if match is None:
            raise ValueError(f"invalid semantic version: {text!r}")
        pre = match.group("pre")
        return cls(
            int(match.group("major")),
            int(match.group("minor")),
            int(match.group("patch")),
            tuple(pre.split(".")) if pre else (),
            match.group("build") or "",
        )

    @property
    def prerelease(self) -> bool:
        return bool(self.pre)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.pre:
            text += "-" + ".".join(self.pre)
        if self.build:
            text += "+" + self.build
        return text

    def _key(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key() and self.pre == other.pre  # build ignored

    def __hash__(self) -> int:
        return hash((self._key(), self.pre))

    def __lt__(self, other: Version) -> bool:
        if self._key() != other._key():
            return self._key() < other._key()
        if self.pre == other.pre:
            return False
        if not self.pre:
            return False  # a release ranks above its pre-releases
        if not other.pre:
            return True
        return _pre_less(self.pre, other.pre)


def _pre_less(left: tuple[str, ...], right: tuple[str, ...]) -> bool:
    for a, b in zip(left, right, strict=False):
        if a == b:
            continue
        a_num, b_num = a.isdigit(), b.isdigit()
        if a_num and b_num:  # (no leading zeros: the longer is larger; no int() of a peer's
            return (len(a), a) < (len(b), b)  # 5000 digits)
        if a_num != b_num:
            return a_num  # numeric identifiers rank below alphanumeric ones
        return a < b
    return len(left) < len(right)
