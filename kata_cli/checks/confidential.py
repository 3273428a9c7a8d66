"""Confidential guests: TDX and SEV-SNP availability (a failure only when configured)."""

from __future__ import annotations

from collections.abc import Iterator

from kata_cli import probe
from kata_cli.checks.context import CheckContext
from kata_cli.checks.model import CheckResult, CheckSpec
from kata_cli.record import replace

CATEGORY = "confidential"

TDX = CheckSpec(
    "confidential.tdx",
    CATEGORY,
    "Intel TDX is available (kvm_intel tdx=Y)",
    required=False,
    remedy="enable TDX in the firmware and load kvm_intel with tdx=1 (a TDX-enabled host kernel)",
)
SEV_SNP = CheckSpec(
    "confidential.sev-snp",
    CATEGORY,
    "AMD SEV-SNP is available (kvm_amd sev_snp=Y)",
    required=False,
    remedy="enable SEV-SNP in the firmware and load kvm_amd with sev_snp=1 (an SNP host kernel)",
)


def catalogue() -> list[CheckSpec]:
    return [TDX, SEV_SNP]


def confidential_checks(ctx: CheckContext) -> Iterator[CheckResult]:
    config = ctx.config
    wants = bool(
        config and (config.hypervisor.confidential_guest or config.hypervisor.sev_snp_guest)
    )
    vendor = ctx.vendor.key if ctx.vendor else None
    for spec, module, param, owner in (
        (TDX, "kvm_intel", "tdx", "intel"),
        (SEV_SNP, "kvm_amd", "sev_snp", "amd"),
    ):
        if vendor is not None and vendor != owner:
            yield spec.skipped(f"not an {owner.upper()} CPU")
            continue
        value = probe.module_param(ctx.host, module, param)
        available = value is not None and value.strip().upper() in ("Y", "1")
        if wants:
            spec = replace(spec, required=True)
        if available:
            yield spec.passed(f"{module} {param}={value}")
        elif ctx.config_error:
            yield spec.skipped(ctx.no_config_reason)
        elif wants:
            found = _absent(ctx, module, param) if value is None else f"{param}={value}"
            yield spec.failed(f"the configuration asks for a confidential guest but {found}")
        else:
            found = "not available" if value is None else f"{param}={value}"
            yield spec.skipped(f"{found} (the configuration does not ask for it)")


def _absent(ctx: CheckContext, module: str, param: str) -> str:
    """Why a parameter has no value: module not loaded, no such parameter, or no access."""
    path = f"/sys/module/{module}/parameters/{param}"
    if not ctx.host.is_dir(f"/sys/module/{module}"):
        return f"{module} is not loaded"
    if not ctx.host.lexists(path):
        return f"{module} has no {param} parameter (the host kernel lacks that support)"
    return f"cannot verify: {path} {probe.module_param_problem(ctx.host, module, param)}"
