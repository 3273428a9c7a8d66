"""The data of a host check: what a check is (`CheckSpec`), what it found (`CheckResult`),
a registry unit (`Check`: specs + one function), and the verdict (`CheckReport`).

Every check belongs to one *level* of the verdict:

* `hardware`: CPU, kernel modules, KVM, vsock, memory, not a container: can this machine
  run a Kata VM at all;
* `installation`: the Kata configuration and what it names (hypervisor, kernel, image,
  firmware, virtio-fs daemon): is Kata installed so that a sandbox can start;
* `wiring`: the container manager (containerd, k3s, RKE2, CRI-O) hands pods to Kata;
* `advisory`: never decides (a newer release is available).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kata_cli.record import field, record, replace

PASS = "pass"
WARN = "warn"
FAIL = "fail"
SKIP = "skip"
STATUSES = (PASS, WARN, FAIL, SKIP)

HARDWARE = "hardware"
INSTALLATION = "installation"
WIRING = "wiring"
ADVISORY = "advisory"
LEVELS = (HARDWARE, INSTALLATION, WIRING)  # the levels the verdict is made of, in order
ALL_LEVELS = (*LEVELS, ADVISORY)

NOT_INSTALLED = "Kata is not installed"

CATEGORIES = (
    "config",
    "host",
    "cpu",
    "kernel-modules",
    "kvm",
    "vsock",
    "storage",
    "assets",
    "confidential",
    "boot",
    "wiring",
    "release",
)


@record(frozen=True)
class CheckSpec:
    """A check as data: its id, what it verifies, whether it decides the verdict, the fix,
    and the level of the verdict it belongs to."""

    id: str
    category: str
    description: str
    required: bool
    remedy: str
    needs_root: bool = False
    level: str = HARDWARE
    # one result per item (e.g. per runtime handler), with the id `<id>.<item>`
    per_item: bool = False

    def for_item(self, item: str) -> CheckSpec:
        """The spec of one item of a per-item check: `wiring.containerd.shim` -> `...shim.kata`
        (the item reduced to `[A-Za-z0-9_-]`, at most 63 characters)."""
        safe = "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in item)
        return replace(self, id=f"{self.id}.{safe[:63] or '_'}", per_item=False)

    def owns(self, check_id: str) -> bool:
        """Is `check_id` this check's, or (per-item) one of its items'?"""
        return check_id == self.id or (self.per_item and check_id.startswith(self.id + "."))

    def result(
        self, status: str, detail: str = "", remedy: str | None = None, level: str | None = None
    ) -> CheckResult:
        """A result of this check; the remedy is only kept where something is to be fixed."""
        fix = self.remedy if remedy is None else remedy
        return CheckResult(
            id=self.id,
            category=self.category,
            description=self.description,
            status=status,
            required=self.required,
            detail=detail,
            remedy=fix if status in (WARN, FAIL) else "",
            level=self.level if level is None else level,
        )

    def passed(self, detail: str = "") -> CheckResult:
        return self.result(PASS, detail)

    def failed(self, detail: str, remedy: str | None = None) -> CheckResult:
        """FAIL when the check is required, WARN when it is optional."""
        return self.result(FAIL if self.required else WARN, detail, remedy)

    def warned(self, detail: str, remedy: str | None = None) -> CheckResult:
        return self.result(WARN, detail, remedy)

    def skipped(self, reason: str) -> CheckResult:
        return self.result(SKIP, reason)


@record
class CheckResult:
    """What one check found. `status` is one of pass, warn, fail, skip; `level` one of
    hardware, installation, wiring, advisory."""

    id: str
    category: str
    description: str
    status: str
    required: bool
    detail: str = ""
    remedy: str = ""
    level: str = HARDWARE


# a check function: given the run's `checks.context.CheckContext` (which builds on this
# module, hence `Any` here), yields results
Unit = Callable[[Any], Iterable[CheckResult]]

BOOT_CONFIGURED = "configured"  # --boot: the configured kernel and image
BOOT_TEST_GUEST = "test-guest"  # --boot-guest: the built-in test guest


@record(frozen=True)
class CheckOptions:
    """What the caller asked of a check run (the command's options, as data)."""

    strict: bool = False
    ignore: tuple[str, ...] = ()
    load_modules: bool = False
    kvm: bool = True  # run the KVM test (open /dev/kvm, create a VM)
    boot: str | None = None  # BOOT_CONFIGURED, BOOT_TEST_GUEST or None
    boot_timeout: float = 60.0
    boot_marker: str = ""
    check_release: bool = False  # ask the release API (--check-release)
    include_all_releases: bool = False
    environ: Mapping[str, str] = field(default_factory=dict)  # KATA_RELEASE_URL and the like


@record(frozen=True)
class Check:
    """A registry entry: the checks a function can report, and the function.

    The function is given a `CheckContext` and yields results whose ids are among `specs`
    (tested); it decides itself whether it applies (e.g. `boot.vm` only with --boot)."""

    specs: tuple[CheckSpec, ...]
    function: Unit


@record
class CheckReport:
    """All results and the verdict.

    `capable`: every required check passed (no FAIL), at every level that was judged; the
    exit status is 0 exactly when it is true. `levels`: per level, True (judged, no
    required check failed), False (a required check failed) or None (not judged: every
    check of the level was skipped, e.g. Kata is not installed). `can_create`: the host
    is capable and the KVM test (or --boot) proved a VM starts; False when that test
    failed; None when it did not run or proved nothing. `installed`: a configuration file
    was found (False: the embedded default stands in, installation and wiring not judged).
    """

    capable: bool
    can_create: bool | None
    results: list[CheckResult]
    levels: dict[str, bool | None] = field(default_factory=dict)
    installed: bool = True
    actions: list[str] = field(default_factory=list)  # e.g. modules loaded by --load-modules

    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == FAIL]

    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == WARN]

    def get(self, check_id: str) -> CheckResult | None:
        for result in self.results:
            if result.id == check_id:
                return result
        return None
