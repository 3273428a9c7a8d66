"""`check --boot`: boot a real VM with kata_cli.vm.bootcheck and turn it into a check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import CheckResult, CheckSpec
from kata_cli.checks.runner import Unit

CATEGORY = "boot"
DEFAULT_TIMEOUT = 60.0

BOOT = CheckSpec(
    "boot.vm",
    CATEGORY,
    "a VM boots with the configured hypervisor, kernel and image (--boot)",
    required=True,
    remedy="see the boot stage and last guest output in the detail; `kata-cli vm` can "
    "boot the same VM interactively",
    needs_root=True,
)


def boot_unit(
    use_test_guest: bool, timeout: float = DEFAULT_TIMEOUT, ready_marker: str = ""
) -> Unit:
    """A check unit that boots a VM (imported lazily: the vm package is heavy)."""

    def boot_checks(ctx: CheckContext) -> Iterator[CheckResult]:
        if ctx.config_error:
            yield BOOT.skipped(ctx.no_config_reason)
            return
        try:
            from kata_cli.vm.bootcheck import boot_check
        except Exception as exc:  # the vm package may be missing or broken
            yield BOOT.failed(f"boot check unavailable: {type(exc).__name__}: {exc}")
            return
        try:
            report = boot_check(
                ctx.host,
                ctx.config,
                use_test_guest=use_test_guest,
                timeout=timeout,
                ready_marker=ready_marker,
            )
        except Exception as exc:  # a boot failure must not lose the other results
            yield BOOT.failed(f"boot check failed to run: {type(exc).__name__}: {exc}")
            return
        yield boot_result(report, use_test_guest)

    return boot_checks


def boot_result(report: Any, use_test_guest: bool) -> CheckResult:
    guest = "the test guest" if use_test_guest else "the configured kernel and image"
    seconds = getattr(report, "seconds", None)
    took = f" in {seconds:.1f}s" if isinstance(seconds, int | float) else ""
    if getattr(report, "ok", False):
        return BOOT.passed(f"booted {guest} to stage {report.stage}{took}")
    detail = f"boot of {guest} failed at stage {getattr(report, 'stage', '?')}{took}"
    if getattr(report, "detail", ""):
        detail += f": {report.detail}"
    last = [line for line in (getattr(report, "last_output", None) or []) if line.strip()]
    if last:
        detail += " | last output: " + " / ".join(last[-3:])
    return BOOT.failed(detail)
