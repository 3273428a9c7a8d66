"""The data of a host check: what a check is (`CheckSpec`), what it found (`CheckResult`)."""

from __future__ import annotations

from dataclasses import dataclass, field

PASS = "pass"
WARN = "warn"
FAIL = "fail"
SKIP = "skip"
STATUSES = (PASS, WARN, FAIL, SKIP)

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
    "release",
)


@dataclass(frozen=True)
class CheckSpec:
    """A check as data: its id, what it verifies, whether it decides the verdict, the fix."""

    id: str
    category: str
    description: str
    required: bool
    remedy: str
    needs_root: bool = False

    def result(self, status: str, detail: str = "", remedy: str | None = None) -> CheckResult:
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


@dataclass
class CheckResult:
    """What one check found. `status` is one of pass, warn, fail, skip."""

    id: str
    category: str
    description: str
    status: str
    required: bool
    detail: str = ""
    remedy: str = ""


@dataclass
class CheckReport:
    """All results and the verdict: `capable` (host requirements) and `can_create` (KVM).

    `can_create` is None when the KVM test did not run (not requested, or it could not be
    attempted, e.g. /dev/kvm not accessible to a non-root user).
    """

    capable: bool
    can_create: bool | None
    results: list[CheckResult]
    actions: list[str] = field(default_factory=list)  # e.g. modules loaded by --load-modules
    notes: list[str] = field(default_factory=list)  # diagnostics for stderr
    kvm_error: str = ""  # bare errno text of a failed KVM test, e.g. "device or resource busy"

    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == FAIL]

    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == WARN]

    def get(self, check_id: str) -> CheckResult | None:
        for result in self.results:
            if result.id == check_id:
                return result
        return None
