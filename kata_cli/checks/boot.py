"""`check --boot` / `--boot-guest`: boot a real VM with kata_cli.vm.bootcheck, as a check.

`--boot` boots the configured hypervisor, kernel and image (the installation level);
`--boot-guest` boots the built-in test guest, which proves the hardware and kernel only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import (
    BOOT_TEST_GUEST,
    HARDWARE,
    INSTALLATION,
    CheckResult,
    CheckSpec,
)

CATEGORY = "boot"
DEFAULT_TIMEOUT = 60.0

BOOT = CheckSpec(
    "boot.vm",
    CATEGORY,
    "a VM boots with the configured hypervisor, kernel and image (--boot), or the "
    "test guest (--boot-guest)",
    required=True,
    remedy="see the boot stage and last guest output in the detail; `kata-cli vm` can "
    "boot the same VM interactively",
    needs_root=True,
    level=INSTALLATION,
)
# vm.plan's hints name `kata-cli vm`'s option; in `check` the same choice is --boot-guest
_VM_OPTION, _CHECK_OPTION = "--test-guest", "--boot-guest"


def boot_checks(ctx: CheckContext) -> Iterator[CheckResult]:
    """Boot a VM when --boot or --boot-guest asked for it (the vm package is imported late:
    it is heavy)."""
    mode = ctx.options.boot
    if mode is None:
        return
    test_guest = mode == BOOT_TEST_GUEST
    level = HARDWARE if test_guest else INSTALLATION
    if ctx.config_error or (not test_guest and (ctx.config is None or not ctx.installed)):
        # --boot boots what Kata is configured with: nothing to boot when it is not installed
        yield BOOT.result("skip", ctx.no_config_reason, level=level)
        return
    try:
        from kata_cli.vm.bootcheck import boot_check
    except Exception as exc:  # the vm package may be missing or broken
        yield _with_level(
            BOOT.failed(f"boot check unavailable: {type(exc).__name__}: {exc}"), level
        )
        return
    try:
        report = boot_check(
            ctx.host,
            ctx.config,
            use_test_guest=test_guest,
            timeout=ctx.options.boot_timeout,
            ready_marker=ctx.options.boot_marker,
        )
    except Exception as exc:  # a boot failure must not lose the other results
        yield _with_level(
            BOOT.failed(f"boot check failed to run: {type(exc).__name__}: {exc}"), level
        )
        return
    yield _with_level(boot_result(report, test_guest), level)


def _with_level(result: CheckResult, level: str) -> CheckResult:
    result.level = level
    return result


def boot_result(report: Any, use_test_guest: bool) -> CheckResult:
    """`booted the test guest in 3.1 s`, or where and why the boot stopped."""
    guest = "the test guest" if use_test_guest else "the configured kernel and image"
    seconds = getattr(report, "seconds", None)
    took = f" in {seconds:.1f} s" if isinstance(seconds, int | float) else ""
    if getattr(report, "ok", False):
        return BOOT.passed(f"booted {guest}{took}")
    if getattr(report, "stage", "") == "not run":  # e.g. the host root is not /
        return BOOT.result("skip", str(getattr(report, "detail", "")))
    detail = f"boot of {guest} failed at stage {getattr(report, 'stage', '?')}{took}"
    if getattr(report, "detail", ""):
        detail += f": {str(report.detail).replace(_VM_OPTION, _CHECK_OPTION)}"
    last = [line for line in (getattr(report, "last_output", None) or []) if line.strip()]
    if last:
        detail += " | last output: " + " / ".join(last[-3:])
    return BOOT.failed(detail)
