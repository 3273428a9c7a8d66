"""Leftovers and settings that weaken the host's protection (KATA6xx)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from kata_cli.config import schema
from kata_cli.lint.context import LintContext
from kata_cli.lint.model import ERROR, INFO, WARNING, Edit, Hit, rule
from kata_cli.lint.source import comment_of

PLACEHOLDER = re.compile(r"@[A-Z][A-Z0-9_]*@")
_ASSIGNMENT = re.compile(r"""^\s*[A-Za-z0-9_.\-"']+\s*=\s*("[^"]*"|'[^']*')\s*(#.*)?$""")

# annotation suffix -> the TOML key it sets, where the names differ
ANNOTATION_ALIASES = {
    "default_max_vcpus": "default_maxvcpus",
    "blk_logical_sector_size": "block_device_logical_sector_size",
    "blk_physical_sector_size": "block_device_physical_sector_size",
}
EXTRA_ANNOTATIONS = ("cc_init_data", "default_gpus", "default_gpu_model")
# annotations that let a pod choose a host binary, a host path, or arguments run on the host
HOST_SIDE_ANNOTATIONS = (
    "path",
    "jailer_path",
    "ctlpath",
    "virtio_fs_daemon",
    "virtio_fs_extra_args",
    "vhost_user_store_path",
    "entropy_source",
    "file_mem_backend",
    "kernel",
    "initrd",
    "firmware",
    "disable_seccomp",
    "disable_selinux",
    "seccompsandbox",
)
# annotation -> the allow-list of values it is checked against
VALUE_LISTS = {
    "path": "valid_hypervisor_paths",
    "jailer_path": "valid_jailer_paths",
    "ctlpath": "valid_ctlpaths",
    "virtio_fs_daemon": "valid_virtio_fs_daemon_paths",
    "vhost_user_store_path": "valid_vhost_user_store_paths",
    "entropy_source": "valid_entropy_sources",
}


@lru_cache(maxsize=1)
def annotation_names() -> tuple[str, ...]:
    names = {name for name in schema.HYPERVISOR_KEYS if not name.startswith("valid_")}
    names |= set(ANNOTATION_ALIASES) | set(EXTRA_ANNOTATIONS) | {"file_mem_backend"}
    names -= set(ANNOTATION_ALIASES.values())
    return tuple(sorted(names))


def _placeholders(ctx: LintContext, in_comment: bool) -> Iterator[Hit]:
    for source in ctx.files:
        if source.data is None or "@" not in source.text:
            continue
        for match in PLACEHOLDER.finditer(source.text):
            start = source.text.rfind("\n", 0, match.start()) + 1
            end = source.text.find("\n", match.end())
            line = source.text[start : len(source.text) if end < 0 else end].rstrip("\r")
            comment = comment_of(line)
            split = len(line) - len(comment) if comment is not None else len(line)
            if (match.start() - start >= split) != in_comment:
                continue
            number = source.text.count("\n", 0, start) + 1
            edit = None
            if not in_comment and _ASSIGNMENT.match(line):
                edit = Edit(source.path, number, 0, len(line), None, unsafe=True)
            yield Hit(
                args={"name": match.group(0)},
                file=source.path,
                line=number,
                column=match.start() - start + 1,
                edit=edit,
            )


@rule(
    "KATA601",
    "placeholder",
    ERROR,
    "unresolved build placeholder {name} in a value",
    "Templates are rendered by replacing @VAR@ placeholders; one left in a value is a "
    "literal string such as '@FIRMWAREVOLUMEPATH_NV@' that the runtime takes as a path.",
    "set the real value, or remove the line (--fix --remove-placeholders)",
)
def placeholder(ctx: LintContext) -> Iterator[Hit]:
    yield from _placeholders(ctx, in_comment=False)


@rule(
    "KATA602",
    "placeholder-in-comment",
    INFO,
    "unresolved build placeholder {name} in a comment",
    "A placeholder left in a comment is harmless but shows the file was not rendered completely.",
    "replace it with the value it stands for",
)
def placeholder_in_comment(ctx: LintContext) -> Iterator[Hit]:
    yield from _placeholders(ctx, in_comment=True)


@rule(
    "KATA603",
    "clear-text-secret",
    WARNING,
    "{key} holds a password in clear text",
    "The configuration file is world-readable on most hosts and ends up in bug reports; "
    "the Jaeger password does not belong in it.",
    "leave jaeger_password empty and protect the collector otherwise",
)
def clear_text_secret(ctx: LintContext) -> Iterator[Hit]:
    found = ctx.get(ctx.runtime, "jaeger_password")
    if found is not None and isinstance(found[1], str) and found[1]:
        yield ctx.hit((*ctx.top_path("runtime"), found[0]), key=found[0])


def _annotation_patterns(ctx: LintContext) -> Iterator[tuple[tuple[str, ...], str]]:
    found = ctx.get(ctx.hv, "enable_annotations")
    if found is None or not isinstance(found[1], list):
        return
    for entry in found[1]:
        if isinstance(entry, str):
            yield ctx.hv_key("enable_annotations"), entry


def _quoted(entry: str) -> str:
    """How the entry is most likely written in the file (a basic string)."""
    return '"' + entry.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _compile(entry: str) -> re.Pattern[str] | None:
    try:
        return re.compile(entry)
    except (re.error, RecursionError, OverflowError):
        return None


# a quantified group after a quantifier, as in `(\w+)+x`: Python's backtracking engine can
# take minutes on it (the runtimes use linear-time engines), so such entries are not tried
_NESTED_QUANTIFIER = re.compile(r"[+*}].*\)[+*{]")


@lru_cache(maxsize=256)
def admitted(entry: str) -> tuple[str, ...]:
    """The annotation names an enable_annotations entry admits (unanchored search)."""
    pattern = _compile(entry)
    if pattern is None or _NESTED_QUANTIFIER.search(entry):
        return ()
    return tuple(name for name in annotation_names() if pattern.search(name))


def enabled_annotations(ctx: LintContext) -> set[str]:
    """Annotation names some enable_annotations entry admits (cached per configuration)."""
    return ctx.memo("security.enabled", lambda: _enabled_annotations(ctx))


def _enabled_annotations(ctx: LintContext) -> set[str]:
    enabled: set[str] = set()
    for _path, entry in _annotation_patterns(ctx):
        enabled.update(admitted(entry))
    return enabled


@rule(
    "KATA604",
    "unanchored-annotation",
    WARNING,
    'enable_annotations entry "{entry}" is a regular expression that also admits {others}',
    "Entries are unanchored regular expressions: 'enable_iommu' also enables "
    "'enable_iommu_platform', 'path' enables 'jailer_path' and more. Pods can then set "
    "annotations the administrator did not mean to allow.",
    'anchor the entry with ^ and $, e.g. "^enable_iommu$"',
)
def unanchored_annotation(ctx: LintContext) -> Iterator[Hit]:
    for path, entry in _annotation_patterns(ctx):
        if entry.startswith("^") and entry.endswith("$"):
            continue
        others = [name for name in admitted(entry) if name != entry]
        if others:
            shown = ", ".join(others[:4]) + (", ..." if len(others) > 4 else "")
            yield ctx.value_hit(path, _quoted(entry), entry=entry, others=shown)


@rule(
    "KATA605",
    "host-side-annotation",
    WARNING,
    "enable_annotations lets any pod set {annotations}, which act on the host",
    "Annotations such as 'path', 'virtio_fs_daemon' or 'virtio_fs_extra_args' let a pod "
    "choose which host binary runs or how; enabling them widens what a pod author "
    "controls on the node.",
    "drop the entry unless every pod author is trusted with the host",
)
def host_side_annotation(ctx: LintContext) -> Iterator[Hit]:
    enabled = enabled_annotations(ctx)
    risky = [annotation for annotation in HOST_SIDE_ANNOTATIONS if annotation in enabled]
    if risky:
        yield ctx.hit(ctx.hv_key("enable_annotations"), annotations=", ".join(risky))


@rule(
    "KATA606",
    "empty-value-list",
    WARNING,
    "annotation {annotation} is enabled but {list} is empty, so every value is rejected",
    "Path annotations are also checked against an allow-list of glob patterns; with an "
    "empty list every pod setting the annotation fails to start.",
    "list the allowed values in the valid_* key, or do not enable the annotation",
)
def empty_value_list(ctx: LintContext) -> Iterator[Hit]:
    enabled = enabled_annotations(ctx)
    for annotation, list_key in VALUE_LISTS.items():
        if annotation not in enabled:
            continue
        spec = schema.HYPERVISOR_KEYS.get(list_key)
        if spec is None or not spec.known_in(ctx.flavour):
            continue
        if not ctx.value(ctx.hv, list_key, []):
            yield ctx.hit(ctx.hv_key("enable_annotations"), annotation=annotation, list=list_key)


@rule(
    "KATA607",
    "invalid-annotation-regex",
    ERROR,
    'enable_annotations entry "{entry}" is not a valid regular expression',
    "Entries are compiled as regular expressions; the runtime fails on one that does not compile.",
    "escape special characters or fix the expression",
)
def invalid_annotation_regex(ctx: LintContext) -> Iterator[Hit]:
    for path, entry in _annotation_patterns(ctx):
        if _compile(entry) is None:
            yield ctx.value_hit(path, _quoted(entry), entry=entry)


RULES = (
    placeholder,
    placeholder_in_comment,
    clear_text_secret,
    unanchored_annotation,
    host_side_annotation,
    empty_value_list,
    invalid_annotation_regex,
)
